using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Whistle.Data;

// Used only by `dotnet ef migrations add`: one migration set per provider.
internal sealed class SqliteDesignTime : IDesignTimeDbContextFactory<SqliteWhistleDb>
{
    public SqliteWhistleDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteWhistleDb>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignTime : IDesignTimeDbContextFactory<PostgresWhistleDb>
{
    public PostgresWhistleDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresWhistleDb>().UseNpgsql("Host=localhost;Database=design").Options);
}
