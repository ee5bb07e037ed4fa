using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
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
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "ReporterContactHours",
                table: "Network",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "UnsubscribedAddressHours",
                table: "Network",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ZonesChangedAt",
                table: "Network",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ContactSubscriberId",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HomeZoneId",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Language",
                table: "AspNetUsers",
                type: "TEXT",
                nullable: false,
                defaultValue: "en");

            migrationBuilder.AddColumn<long>(
                name: "OnDutySince",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Assignments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SightingId = table.Column<Guid>(type: "TEXT", nullable: false),
                    VerifierId = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    DistanceMeters = table.Column<double>(type: "REAL", nullable: true),
                    SentBy = table.Column<string>(type: "TEXT", nullable: false),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AnsweredAt = table.Column<long>(type: "INTEGER", nullable: true)
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
