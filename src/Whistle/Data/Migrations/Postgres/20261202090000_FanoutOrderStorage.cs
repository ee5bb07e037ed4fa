using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Data.Migrations.Postgres
{
    /// <summary>
    /// A fan-out's nearest-first order (8 MB for a million recipients) is stored out of line and uncompressed:
    /// writing it skips a compression attempt, and a lane's slice (substring) reads only the TOAST chunks it
    /// needs instead of fetching and decompressing the whole value each time (decision 0050).
    /// </summary>
    [DbContext(typeof(PostgresWhistleDb))]
    [Migration("20261202090000_FanoutOrderStorage")]
    public partial class FanoutOrderStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""ALTER TABLE "FanoutOrders" ALTER COLUMN "Recipients" SET STORAGE EXTERNAL;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""ALTER TABLE "FanoutOrders" ALTER COLUMN "Recipients" SET STORAGE EXTENDED;""");
        }
    }
}
