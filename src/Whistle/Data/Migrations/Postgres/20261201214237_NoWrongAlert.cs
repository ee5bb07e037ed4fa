using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class NoWrongAlert : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Precision",
                table: "Timeline",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "Drills",
                table: "Subscribers",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "EscalationStopped",
                table: "Sightings",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "Escalations",
                table: "Sightings",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "PlacedHow",
                table: "Sightings",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "PlacedZoneId",
                table: "Sightings",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TwoPersonAbove",
                table: "Network",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ApprovedAt",
                table: "Alerts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ApprovedBy",
                table: "Alerts",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Audience",
                table: "Alerts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "AudienceReason",
                table: "Alerts",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "AwaitingApproval",
                table: "Alerts",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "RejectReason",
                table: "Alerts",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RejectedBy",
                table: "Alerts",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "GazetteerFiles",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    GeoJson = table.Column<string>(type: "text", nullable: false),
                    Streets = table.Column<int>(type: "integer", nullable: false),
                    Landmarks = table.Column<int>(type: "integer", nullable: false),
                    ImportedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ImportedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GazetteerFiles", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IdempotentRequests",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    Key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    Endpoint = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Fingerprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: true),
                    ContentType = table.Column<string>(type: "text", nullable: true),
                    Body = table.Column<string>(type: "text", nullable: true),
                    Location = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdempotentRequests", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_IdempotentRequests_ExpiresAt",
                table: "IdempotentRequests",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotentRequests_UserId_Key_Endpoint",
                table: "IdempotentRequests",
                columns: new[] { "UserId", "Key", "Endpoint" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "GazetteerFiles");

            migrationBuilder.DropTable(
                name: "IdempotentRequests");

            migrationBuilder.DropColumn(
                name: "Precision",
                table: "Timeline");

            migrationBuilder.DropColumn(
                name: "Drills",
                table: "Subscribers");

            migrationBuilder.DropColumn(
                name: "EscalationStopped",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "Escalations",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "PlacedHow",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "PlacedZoneId",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "TwoPersonAbove",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "ApprovedAt",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "ApprovedBy",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "Audience",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "AudienceReason",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "AwaitingApproval",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "RejectReason",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "RejectedBy",
                table: "Alerts");
        }
    }
}
