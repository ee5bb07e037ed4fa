using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
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
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PlaceCipher",
                table: "Surges",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "AreaCipher",
                table: "Subscribers",
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

            migrationBuilder.AddColumn<byte[]>(
                name: "PositionCipher",
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

            migrationBuilder.AddColumn<byte[]>(
                name: "StatusNoteCipher",
                table: "Incidents",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "DescriptionCipher",
                table: "FollowUps",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "App",
                table: "Evidence",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "FileCapturedAt",
                table: "Evidence",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FileCapturedFrom",
                table: "Evidence",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Fields",
                table: "Custody",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Pins",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    HeadHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Statement = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    Signature = table.Column<byte[]>(type: "bytea", nullable: false),
                    Token = table.Column<byte[]>(type: "bytea", nullable: true),
                    TsaUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    TimestampedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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
