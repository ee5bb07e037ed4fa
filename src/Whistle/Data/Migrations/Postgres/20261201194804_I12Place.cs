using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class I12Place : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PlacedHow",
                table: "Sightings",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "PlacedZoneId",
                table: "Sightings",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "GazetteerFiles",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    GeoJson = table.Column<string>(type: "text", nullable: false),
                    Streets = table.Column<int>(type: "integer", nullable: false),
                    Landmarks = table.Column<int>(type: "integer", nullable: false),
                    ImportedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ImportedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GazetteerFiles", x => x.Id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "GazetteerFiles");

            migrationBuilder.DropColumn(
                name: "PlacedHow",
                table: "Sightings");

            migrationBuilder.DropColumn(
                name: "PlacedZoneId",
                table: "Sightings");
        }
    }
}
