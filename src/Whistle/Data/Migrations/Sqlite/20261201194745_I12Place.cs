using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Sqlite
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
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "PlacedZoneId",
                table: "Sightings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "GazetteerFiles",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    GeoJson = table.Column<string>(type: "TEXT", nullable: false),
                    Streets = table.Column<int>(type: "INTEGER", nullable: false),
                    Landmarks = table.Column<int>(type: "INTEGER", nullable: false),
                    ImportedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ImportedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
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
