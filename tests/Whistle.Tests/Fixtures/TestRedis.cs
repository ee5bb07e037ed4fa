namespace Whistle.Tests.Fixtures;

/// <summary>
/// The Redis server ./test.sh starts (WHISTLE_TEST_REDIS, host:port). Each test app takes its own key prefix
/// (<see cref="Settings"/>), so classes running at once never see each other's keys or channels.
/// </summary>
public static class TestRedis
{
    public const string Env = "WHISTLE_TEST_REDIS";

    public static string ConnectionString => Environment.GetEnvironmentVariable(Env)
        ?? throw new InvalidOperationException($"{Env} is not set: run ./test.sh, which starts a Redis server for these tests.");

    /// <summary>Settings that put an app on the test Redis under a fresh prefix; give two apps the same prefix to make them one cluster.</summary>
    public static Dictionary<string, string?> Settings(string? prefix = null) => new()
    {
        ["Whistle:Redis:ConnectionString"] = ConnectionString,
        ["Whistle:Redis:Prefix"] = prefix ?? NewPrefix(),
    };

    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];
}
