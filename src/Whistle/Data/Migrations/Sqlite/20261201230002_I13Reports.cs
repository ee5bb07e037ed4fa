using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class I13Reports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Surges",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CoarsenedAt",
                table: "Sightings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Sightings",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CoarsenedAt",
                table: "Reports",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Reports",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PositionCipher",
                table: "Reports",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "TextCipher",
                table: "Reports",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "CoarsenReportDays",
                table: "Network",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "DeleteReportDays",
                table: "Network",
                type: "REAL",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PlaceCipher",
                table: "Surges");

            migrationBuilder.DropColumn(
                name: "CoarsenedAt",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "PlaceCipher",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "CoarsenedAt",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "PlaceCipher",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "PositionCipher",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "TextCipher",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "CoarsenReportDays",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "DeleteReportDays",
                table: "Network");
        }
    }
}
