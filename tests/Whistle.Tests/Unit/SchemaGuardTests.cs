using Whistle.Data;
using Whistle.Operations;
using Whistle.Privacy;

namespace Whistle.Tests.Unit;

/// <summary>The schema guard's rule and the backup's path rule, without a host (decision 0048).</summary>
public sealed class SchemaGuardTests
{
    private static readonly string[] Known = ["20261201172257_Baseline", "20261202090000_Next"];

    [Fact]
    public void The_same_or_an_older_schema_passes()
    {
        Assert.Null(SchemaGuard.Check([], Known));
        Assert.Null(SchemaGuard.Check(["20261201172257_Baseline"], Known));
        Assert.Null(SchemaGuard.Check(Known, Known));
    }

    [Fact]
    public void Migrations_squashed_into_the_baseline_since_are_not_a_newer_schema()
    {
        Assert.Null(SchemaGuard.Check(["20250101000000_Initial", "20261201172256_Hardening", "20261201172257_Baseline"], Known));
    }

    [Fact]
    public void A_migration_newer_than_any_this_build_knows_refuses_naming_the_newest_seen_and_the_newest_known()
    {
        var message = SchemaGuard.Check([.. Known, "20270101000000_A", "20270202000000_B"], Known);
        Assert.NotNull(message);
        Assert.Contains("20270202000000_B", message);
        Assert.Contains("20261202090000_Next", message);
        Assert.Throws<StartupRefusal>(() => SchemaGuard.Refuse(["20270101000000_A"], Known));
    }

    [Fact]
    public void The_migration_lock_key_is_fixed()
    {
        // Every node of every version must take the same lock: derived from a constant, never from the build.
        Assert.Equal(MigrationLock.Key, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(
            System.Security.Cryptography.SHA256.HashData("whistle-migrations"u8)));
    }

    [Theory]
    [InlineData("/b/backup", "/b/backup/keys.json", true)]
    [InlineData("/b/backup", "/b/backup/sub/../keys.json", true)]
    [InlineData("/b/backup", "/b/backup", true)]
    [InlineData("/b/backup", "/b/backup-keys.json", false)]
    [InlineData("/b/backup", "/b/keys.json", false)]
    [InlineData("/b/backup", "/b/backup/../keys.json", false)]
    public void A_path_inside_the_backup_is_told_apart(string dir, string path, bool inside) =>
        Assert.Equal(inside, Backup.IsInside(path, dir));
}
