using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class FanoutOrders : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FanoutOrders",
                columns: table => new
                {
                    AlertId = table.Column<Guid>(type: "uuid", nullable: false),
                    Channel = table.Column<int>(type: "integer", nullable: false),
                    Recipients = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FanoutOrders", x => new { x.AlertId, x.Channel });
                });

            // The order moves out of the row whose cursor moves: a cursor update no longer rewrites megabytes.
            migrationBuilder.Sql("""INSERT INTO "FanoutOrders" ("AlertId", "Channel", "Recipients") SELECT "AlertId", "Channel", "Recipients" FROM "Fanouts";""");

            migrationBuilder.DropColumn(
                name: "Recipients",
                table: "Fanouts");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FanoutOrders");

            migrationBuilder.AddColumn<byte[]>(
                name: "Recipients",
                table: "Fanouts",
                type: "bytea",
                nullable: false,
                defaultValue: new byte[0]);
        }
    }
}
