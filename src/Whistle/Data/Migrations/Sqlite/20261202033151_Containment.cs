using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Containment : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PartnerAlerts_Sender_Identifier",
                table: "PartnerAlerts");

            migrationBuilder.AddColumn<long>(
                name: "ChangedAt",
                table: "PartnerAlerts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "HiddenAt",
                table: "PartnerAlerts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "HiddenBy",
                table: "PartnerAlerts",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "HiddenReason",
                table: "PartnerAlerts",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Vertices",
                table: "PartnerAlerts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_ChangedAt",
                table: "PartnerAlerts",
                column: "ChangedAt");

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_Partner_Sender_Identifier",
                table: "PartnerAlerts",
                columns: new[] { "Partner", "Sender", "Identifier" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PartnerAlerts_ChangedAt",
                table: "PartnerAlerts");

            migrationBuilder.DropIndex(
                name: "IX_PartnerAlerts_Partner_Sender_Identifier",
                table: "PartnerAlerts");

            migrationBuilder.DropColumn(
                name: "ChangedAt",
                table: "PartnerAlerts");

            migrationBuilder.DropColumn(
                name: "HiddenAt",
                table: "PartnerAlerts");

            migrationBuilder.DropColumn(
                name: "HiddenBy",
                table: "PartnerAlerts");

            migrationBuilder.DropColumn(
                name: "HiddenReason",
                table: "PartnerAlerts");

            migrationBuilder.DropColumn(
                name: "Vertices",
                table: "PartnerAlerts");

            migrationBuilder.CreateIndex(
                name: "IX_PartnerAlerts_Sender_Identifier",
                table: "PartnerAlerts",
                columns: new[] { "Sender", "Identifier" },
                unique: true);
        }
    }
}
