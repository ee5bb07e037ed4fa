using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
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
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CoarsenedAt",
                table: "Sightings",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Sightings",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CoarsenedAt",
                table: "Reports",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Reports",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PositionCipher",
                table: "Reports",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "TextCipher",
                table: "Reports",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "CoarsenReportDays",
                table: "Network",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "DeleteReportDays",
                table: "Network",
                type: "double precision",
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
