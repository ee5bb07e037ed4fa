using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Channels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_Fanouts",
                table: "Fanouts");

            migrationBuilder.DropIndex(
                name: "IX_Fanouts_Priority_CreatedAt",
                table: "Fanouts");

            migrationBuilder.AddColumn<byte[]>(
                name: "SecretCipher",
                table: "Subscribers",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Channel",
                table: "Messages",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Channel",
                table: "Fanouts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ClaimedAt",
                table: "Fanouts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Channel",
                table: "Deliveries",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Estimates",
                table: "Alerts",
                type: "text",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "FirstThousandAt",
                table: "Alerts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "PK_Fanouts",
                table: "Fanouts",
                columns: new[] { "AlertId", "Channel" });

            migrationBuilder.CreateIndex(
                name: "IX_Fanouts_Channel_Priority",
                table: "Fanouts",
                columns: new[] { "Channel", "Priority" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_Fanouts",
                table: "Fanouts");

            migrationBuilder.DropIndex(
                name: "IX_Fanouts_Channel_Priority",
                table: "Fanouts");

            migrationBuilder.DropColumn(
                name: "SecretCipher",
                table: "Subscribers");

            migrationBuilder.DropColumn(
                name: "Channel",
                table: "Messages");

            migrationBuilder.DropColumn(
                name: "Channel",
                table: "Fanouts");

            migrationBuilder.DropColumn(
                name: "ClaimedAt",
                table: "Fanouts");

            migrationBuilder.DropColumn(
                name: "Channel",
                table: "Deliveries");

            migrationBuilder.DropColumn(
                name: "Estimates",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "FirstThousandAt",
                table: "Alerts");

            migrationBuilder.AddPrimaryKey(
                name: "PK_Fanouts",
                table: "Fanouts",
                column: "AlertId");

            migrationBuilder.CreateIndex(
                name: "IX_Fanouts_Priority_CreatedAt",
                table: "Fanouts",
                columns: new[] { "Priority", "CreatedAt" });
        }
    }
}
