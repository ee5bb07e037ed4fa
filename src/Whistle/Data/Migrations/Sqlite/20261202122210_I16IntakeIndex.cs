using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class I16IntakeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Reports_SightingId",
                table: "Reports");

            migrationBuilder.CreateIndex(
                name: "IX_Reports_SightingId_SourceHash",
                table: "Reports",
                columns: new[] { "SightingId", "SourceHash" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Reports_SightingId_SourceHash",
                table: "Reports");

            migrationBuilder.CreateIndex(
                name: "IX_Reports_SightingId",
                table: "Reports",
                column: "SightingId");
        }
    }
}
