using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class I13Notes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "TextCipher",
                table: "Witnesses",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "StatusNoteCipher",
                table: "Incidents",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "DescriptionCipher",
                table: "FollowUps",
                type: "bytea",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TextCipher",
                table: "Witnesses");

            migrationBuilder.DropColumn(
                name: "StatusNoteCipher",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "DescriptionCipher",
                table: "FollowUps");
        }
    }
}
