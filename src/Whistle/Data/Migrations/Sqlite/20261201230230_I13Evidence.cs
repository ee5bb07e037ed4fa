using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class I13Evidence : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "App",
                table: "Evidence",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FileCapturedAt",
                table: "Evidence",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FileCapturedFrom",
                table: "Evidence",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "App",
                table: "Evidence");

            migrationBuilder.DropColumn(
                name: "FileCapturedAt",
                table: "Evidence");

            migrationBuilder.DropColumn(
                name: "FileCapturedFrom",
                table: "Evidence");
        }
    }
}
