using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Whistle.Data;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <summary>Issue 13: custody entries keep per-field digests of the record they hash (null on v1 entries).</summary>
    [DbContext(typeof(PostgresWhistleDb))]
    [Migration("20261201230501_I13Records")]
    public partial class I13Records : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Fields",
                table: "Custody",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(name: "Fields", table: "Custody");
        }
    }
}
