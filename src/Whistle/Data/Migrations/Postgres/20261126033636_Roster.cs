using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Roster : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "DeliveryRecordDays",
                table: "Network",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "ReporterContactHours",
                table: "Network",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "UnsubscribedAddressHours",
                table: "Network",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ZonesChangedAt",
                table: "Network",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ContactSubscriberId",
                table: "AspNetUsers",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HomeZoneId",
                table: "AspNetUsers",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Language",
                table: "AspNetUsers",
                type: "text",
                nullable: false,
                defaultValue: "en");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "OnDutySince",
                table: "AspNetUsers",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Assignments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SightingId = table.Column<Guid>(type: "uuid", nullable: false),
                    VerifierId = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    DistanceMeters = table.Column<double>(type: "double precision", nullable: true),
                    SentBy = table.Column<string>(type: "text", nullable: false),
                    SentAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    AnsweredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Assignments", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Assignments_SightingId_VerifierId",
                table: "Assignments",
                columns: new[] { "SightingId", "VerifierId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Assignments_VerifierId_State",
                table: "Assignments",
                columns: new[] { "VerifierId", "State" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Assignments");

            migrationBuilder.DropColumn(
                name: "DeliveryRecordDays",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "ReporterContactHours",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "UnsubscribedAddressHours",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "ZonesChangedAt",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "ContactSubscriberId",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "HomeZoneId",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "Language",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "OnDutySince",
                table: "AspNetUsers");
        }
    }
}
