using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class I11Subscriptions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CodeTallies",
                columns: table => new
                {
                    Key = table.Column<byte[]>(type: "bytea", nullable: false),
                    Window = table.Column<long>(type: "bigint", nullable: false),
                    Sent = table.Column<int>(type: "integer", nullable: false),
                    Wrong = table.Column<int>(type: "integer", nullable: false),
                    Refused = table.Column<int>(type: "integer", nullable: false),
                    PurgeAfterHour = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CodeTallies", x => new { x.Key, x.Window });
                });

            migrationBuilder.CreateIndex(
                name: "IX_CodeTallies_PurgeAfterHour",
                table: "CodeTallies",
                column: "PurgeAfterHour");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CodeTallies");
        }
    }
}
