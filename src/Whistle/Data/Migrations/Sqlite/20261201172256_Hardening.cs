using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Hardening : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "SourceCount",
                table: "Sightings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "Trusted",
                table: "Sightings",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AlterColumn<Guid>(
                name: "SightingId",
                table: "Reports",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "TEXT");

            migrationBuilder.AddColumn<string>(
                name: "Area",
                table: "Reports",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "SourceHash",
                table: "Reports",
                type: "BLOB",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SurgeId",
                table: "Reports",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "TrustedReporterId",
                table: "Reports",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SecondFactorRoles",
                table: "Network",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OverrideFindings",
                table: "Alerts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OverrideReason",
                table: "Alerts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CodeTallies",
                columns: table => new
                {
                    Key = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Window = table.Column<long>(type: "INTEGER", nullable: false),
                    Sent = table.Column<int>(type: "INTEGER", nullable: false),
                    Wrong = table.Column<int>(type: "INTEGER", nullable: false),
                    Refused = table.Column<int>(type: "INTEGER", nullable: false),
                    PurgeAfterHour = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CodeTallies", x => new { x.Key, x.Window });
                });

            migrationBuilder.CreateTable(
                name: "Passkeys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    CredentialId = table.Column<byte[]>(type: "BLOB", maxLength: 1024, nullable: false),
                    PublicKey = table.Column<byte[]>(type: "BLOB", nullable: false),
                    UserHandle = table.Column<byte[]>(type: "BLOB", nullable: false),
                    SignCount = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Passkeys", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Passkeys_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "StaffSessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RevokedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    RevokedReason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Stamp = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    RefreshHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PreviousRefreshHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    MustEnrol = table.Column<bool>(type: "INTEGER", nullable: false),
                    Client = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StaffSessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_StaffSessions_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Surges",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Area = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Lat = table.Column<double>(type: "REAL", nullable: true),
                    Lon = table.Column<double>(type: "REAL", nullable: true),
                    PlaceText = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    FirstReportAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastReportAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReportCount = table.Column<int>(type: "INTEGER", nullable: false),
                    SourceCount = table.Column<int>(type: "INTEGER", nullable: false),
                    PromotedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    DismissedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    DismissedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Surges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TrustedReporters",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    TokenHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RevokedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastReportAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrustedReporters", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Sightings_State_Trusted_SourceCount_LastReportAt",
                table: "Sightings",
                columns: new[] { "State", "Trusted", "SourceCount", "LastReportAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Reports_Area_ReceivedAt",
                table: "Reports",
                columns: new[] { "Area", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Reports_ReceivedAt",
                table: "Reports",
                column: "ReceivedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Reports_SourceHash_ReceivedAt",
                table: "Reports",
                columns: new[] { "SourceHash", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Reports_SurgeId_ReceivedAt",
                table: "Reports",
                columns: new[] { "SurgeId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CodeTallies_PurgeAfterHour",
                table: "CodeTallies",
                column: "PurgeAfterHour");

            migrationBuilder.CreateIndex(
                name: "IX_Passkeys_CredentialId",
                table: "Passkeys",
                column: "CredentialId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Passkeys_UserId",
                table: "Passkeys",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_UserId",
                table: "StaffSessions",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_Surges_Area_State_LastReportAt",
                table: "Surges",
                columns: new[] { "Area", "State", "LastReportAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Surges_State_LastReportAt",
                table: "Surges",
                columns: new[] { "State", "LastReportAt" });

            migrationBuilder.CreateIndex(
                name: "IX_TrustedReporters_TokenHash",
                table: "TrustedReporters",
                column: "TokenHash",
                unique: true);

            // Sightings from before sources were counted: each report counts as its own source.
            migrationBuilder.Sql("UPDATE \"Sightings\" SET \"SourceCount\" = \"ReportCount\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CodeTallies");

            migrationBuilder.DropTable(
                name: "Passkeys");

            migrationBuilder.DropTable(
                name: "StaffSessions");

            migrationBuilder.DropTable(
                name: "Surges");

            migrationBuilder.DropTable(
                name: "TrustedReporters");

            migrationBuilder.DropIndex(
                name: "IX_Sightings_State_Trusted_SourceCount_LastReportAt",
                table: "Sightings");

            migrationBuilder.DropIndex(
                name: "IX_Reports_Area_ReceivedAt",
                table: "Reports");

            migrationBuilder.DropIndex(
                name: "IX_Reports_ReceivedAt",
                table: "Reports");

            migrationBuilder.DropIndex(
                name: "IX_Reports_SourceHash_ReceivedAt",
                table: "Reports");

            migrationBuilder.DropIndex(
                name: "IX_Reports_SurgeId_ReceivedAt",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "SourceCount",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "Trusted",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "Area",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "SourceHash",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "SurgeId",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "TrustedReporterId",
                table: "Reports");

            migrationBuilder.DropColumn(
                name: "SecondFactorRoles",
                table: "Network");

            migrationBuilder.DropColumn(
                name: "OverrideFindings",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "OverrideReason",
                table: "Alerts");

            migrationBuilder.AlterColumn<Guid>(
                name: "SightingId",
                table: "Reports",
                type: "TEXT",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "TEXT",
                oldNullable: true);
        }
    }
}
