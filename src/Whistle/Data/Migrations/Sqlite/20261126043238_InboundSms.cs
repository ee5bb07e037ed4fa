using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InboundSms : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SmsConversations",
                columns: table => new
                {
                    NumberHash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    ReportId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Asked = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Asking = table.Column<int>(type: "INTEGER", nullable: true),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    OptedOut = table.Column<bool>(type: "INTEGER", nullable: false),
                    WindowStartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    WindowCount = table.Column<int>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SmsConversations", x => x.NumberHash);
                });

            migrationBuilder.CreateTable(
                name: "SmsReceipts",
                columns: table => new
                {
                    MessageSid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SmsReceipts", x => x.MessageSid);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SmsConversations_UpdatedAt",
                table: "SmsConversations",
                column: "UpdatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_SmsReceipts_ReceivedAt",
                table: "SmsReceipts",
                column: "ReceivedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SmsConversations");

            migrationBuilder.DropTable(
                name: "SmsReceipts");
        }
    }
}
