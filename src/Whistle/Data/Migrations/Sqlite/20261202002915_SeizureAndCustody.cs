using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SeizureAndCustody : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "TextCipher",
                table: "Witnesses",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Surges",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "AreaCipher",
                table: "Subscribers",
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

            migrationBuilder.AddColumn<byte[]>(
                name: "PositionCipher",
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

            migrationBuilder.AddColumn<byte[]>(
                name: "StatusNoteCipher",
                table: "Incidents",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "DescriptionCipher",
                table: "FollowUps",
                type: "BLOB",
                nullable: true);

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

            migrationBuilder.AddColumn<string>(
                name: "Fields",
                table: "Custody",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Pins",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Seq = table.Column<long>(type: "INTEGER", nullable: false),
                    HeadHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Statement = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    Signature = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Token = table.Column<byte[]>(type: "BLOB", nullable: true),
                    TsaUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    TimestampedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Pins", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Pins_IncidentId",
                table: "Pins",
                column: "IncidentId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Pins");

            migrationBuilder.DropColumn(
                name: "TextCipher",
                table: "Witnesses");

            migrationBuilder.DropColumn(
                name: "PlaceCipher",
                table: "Surges");

            migrationBuilder.DropColumn(
                name: "AreaCipher",
                table: "Subscribers");

            migrationBuilder.DropColumn(
                name: "CoarsenedAt",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "PlaceCipher",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "PositionCipher",
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

            migrationBuilder.DropColumn(
                name: "StatusNoteCipher",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "DescriptionCipher",
                table: "FollowUps");

            migrationBuilder.DropColumn(
                name: "App",
                table: "Evidence");

            migrationBuilder.DropColumn(
                name: "FileCapturedAt",
                table: "Evidence");

            migrationBuilder.DropColumn(
                name: "FileCapturedFrom",
                table: "Evidence");

            migrationBuilder.DropColumn(
                name: "Fields",
                table: "Custody");
        }
    }
}
