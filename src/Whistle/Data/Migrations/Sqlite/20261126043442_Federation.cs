using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Federation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FederationPartners",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    FeedUrl = table.Column<string>(type: "TEXT", nullable: false),
                    ETag = table.Column<string>(type: "TEXT", nullable: true),
                    LastModified = table.Column<string>(type: "TEXT", nullable: true),
                    LastPollAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastSuccessAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastErrorAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", nullable: true),
                    ErrorCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ConsecutiveErrors = table.Column<int>(type: "INTEGER", nullable: false),
                    NotModifiedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Imported = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FederationPartners", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "PartnerAlerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Partner = table.Column<string>(type: "TEXT", nullable: false),
                    Identifier = table.Column<string>(type: "TEXT", nullable: false),
                    Sender = table.Column<string>(type: "TEXT", nullable: false),
                    Sent = table.Column<long>(type: "INTEGER", nullable: false),
                    MsgType = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", nullable: false),
                    Scope = table.Column<string>(type: "TEXT", nullable: false),
                    References = table.Column<string>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Headlines = table.Column<string>(type: "TEXT", nullable: false),
                    Descriptions = table.Column<string>(type: "TEXT", nullable: false),
                    AreaDesc = table.Column<string>(type: "TEXT", nullable: false),
                    Area = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    ChainId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RelayedAlertId = table.Column<Guid>(type: "TEXT", nullable: true),
                    RelayedBy = table.Column<string>(type: "TEXT", nullable: true),
                    RelayedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ChangedSinceRelay = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PartnerAlerts", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_ChainId",
                table: "PartnerAlerts",
                column: "ChainId");

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_Partner_Identifier",
                table: "PartnerAlerts",
                columns: new[] { "Partner", "Identifier" });

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_Sender_Identifier",
                table: "PartnerAlerts",
                columns: new[] { "Sender", "Identifier" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_State_ExpiresAt",
                table: "PartnerAlerts",
                columns: new[] { "State", "ExpiresAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FederationPartners");

            migrationBuilder.DropTable(
                name: "PartnerAlerts");
        }
    }
}
