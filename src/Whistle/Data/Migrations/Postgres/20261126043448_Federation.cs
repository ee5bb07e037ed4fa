using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
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
                    Name = table.Column<string>(type: "text", nullable: false),
                    FeedUrl = table.Column<string>(type: "text", nullable: false),
                    ETag = table.Column<string>(type: "text", nullable: true),
                    LastModified = table.Column<string>(type: "text", nullable: true),
                    LastPollAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastSuccessAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastErrorAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "text", nullable: true),
                    ErrorCount = table.Column<int>(type: "integer", nullable: false),
                    ConsecutiveErrors = table.Column<int>(type: "integer", nullable: false),
                    NotModifiedCount = table.Column<int>(type: "integer", nullable: false),
                    Imported = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FederationPartners", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "PartnerAlerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Partner = table.Column<string>(type: "text", nullable: false),
                    Identifier = table.Column<string>(type: "text", nullable: false),
                    Sender = table.Column<string>(type: "text", nullable: false),
                    Sent = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    MsgType = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Scope = table.Column<string>(type: "text", nullable: false),
                    References = table.Column<string>(type: "text", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Headlines = table.Column<string>(type: "text", nullable: false),
                    Descriptions = table.Column<string>(type: "text", nullable: false),
                    AreaDesc = table.Column<string>(type: "text", nullable: false),
                    Area = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ChainId = table.Column<Guid>(type: "uuid", nullable: false),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RelayedAlertId = table.Column<Guid>(type: "uuid", nullable: true),
                    RelayedBy = table.Column<string>(type: "text", nullable: true),
                    RelayedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ChangedSinceRelay = table.Column<bool>(type: "boolean", nullable: false)
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
