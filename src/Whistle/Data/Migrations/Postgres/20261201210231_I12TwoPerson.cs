using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class I12TwoPerson : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
