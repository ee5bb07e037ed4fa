using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;
using Whistle.Cluster;
using Whistle.Privacy;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 16 §1, what was still per node in a cluster: the failed-login backoff, the upload byte budget, and a key
/// destroy. Two apps over one PostgreSQL database — and one Redis prefix (the Redis twin) or none (the database twin) —
/// are one cluster: an attacker round-robined over both nodes gets what one node gives, and a destroy on one node
/// reaches the other within seconds.
/// </summary>
[Collection(TimedCollection.Name)]
public abstract class ClusterLimitsTests
{
    protected abstract Dictionary<string, string?> Store();
    protected abstract LimitStore Expected { get; }

    private readonly string _keys = KeyRing.CreateNew().ToJson();

    private Dictionary<string, string?> Shared(Dictionary<string, string?> settings)
    {
        var shared = new Dictionary<string, string?>(settings)
        {
            ["Whistle:Encryption:Keys"] = _keys,
            ["Whistle:TrustedProxies"] = "127.0.0.1", // X-Forwarded-For names the attacker's network, as behind the cluster's proxy
        };
        foreach (var (k, v) in Store()) shared[k] = v;
        return shared;
    }

    private (CustomApp A, CustomApp B) Cluster(Dictionary<string, string?> settings)
    {
        var shared = Shared(settings);
        var a = new CustomApp(new(shared), db: Db.Postgres);
        _ = a.Services;
        var b = Join(a, shared);
        Assert.Equal(Expected, a.Services.GetRequiredService<SharedLimits>().Store);
        return (a, b);
    }

    /// <summary>Another node on <paramref name="a"/>'s database (and its Redis prefix, when the settings carry one).</summary>
    private static CustomApp Join(CustomApp a, Dictionary<string, string?> shared)
    {
        var b = new CustomApp(new(shared)
        {
            ["Whistle:Database:Provider"] = "postgres",
            ["Whistle:Database:ConnectionString"] = a.Settings["Whistle:Database:ConnectionString"],
        });
        _ = b.Services;
        return b;
    }

    private static HttpClient From(CustomApp app, string source)
    {
        var c = app.CreateClient();
        c.DefaultRequestHeaders.Add("X-Forwarded-For", source);
        return c;
    }

    /// <summary>Every key the shared store holds for this cluster (Redis under its prefix, else the database table).</summary>
    private static async Task<List<string>> StoreKeysAsync(CustomApp app)
    {
        if (app.Settings.GetValueOrDefault("Whistle:Redis:Prefix") is { } prefix)
        {
            using var mux = await ConnectionMultiplexer.ConnectAsync(TestRedis.ConnectionString);
            var server = mux.GetServer(mux.GetEndPoints()[0]);
            return server.Keys(pattern: prefix + ":*").Select(k => (string)k!).ToList();
        }
        await using var conn = new NpgsqlConnection(app.Settings["Whistle:Database:ConnectionString"]);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT key FROM {SharedLimits.Table}", conn);
        var keys = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) keys.Add(r.GetString(0));
        return keys;
    }

    /// <summary>
    /// Seen: with two nodes round-robin, each node's backoff counted only its own failures, so an attacker got twice
    /// the free guesses (and the owner's lockout differed by node). Now the fifth guess, on either node, waits.
    /// </summary>
    [Fact]
    public async Task Failed_logins_spread_over_two_nodes_hit_the_backoff_exactly_as_on_one_node()
    {
        var (a, b) = Cluster(new() { ["Whistle:RateLimits:LoginPerMinute"] = "100" });
        using var _ = a;
        using var __ = b;
        const string source = "203.0.113.77";
        var email = $"Owner-{Guid.NewGuid():N}@Staff.Test";
        var nodes = new[] { From(a, source), From(b, source) };
        var codes = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            var res = await nodes[i % 2].PostAsJsonAsync("/api/v1/auth/login", new { email, password = $"guess-number-{i}-xyz" });
            codes.Add(res.StatusCode);
            if (res.StatusCode == HttpStatusCode.TooManyRequests)
                Assert.True(res.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After");
        }
        // Exactly as on one node: LoginThrottle.FreeFailuresPerAccount free failures, then a wait — on both nodes.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, Identity.LoginThrottle.FreeFailuresPerAccount)
            .Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 6 - Identity.LoginThrottle.FreeFailuresPerAccount)), codes);

        // The store holds keyed hashes only: neither the e-mail nor the network in clear.
        var keys = await StoreKeysAsync(a);
        Assert.Contains(keys, k => k.Contains("login:a:", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.Contains(email, StringComparison.OrdinalIgnoreCase) || k.Contains("203.0.113", StringComparison.Ordinal)
            || k.Contains(email.ToUpperInvariant(), StringComparison.Ordinal));

        // A stranger's failures lock no one out: another network logs in on either node (here: fails only as a wrong password).
        var elsewhere = await From(b, "192.0.2.44").PostAsJsonAsync("/api/v1/auth/login", new { email, password = "still-wrong-xyz" });
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    /// <summary>
    /// Seen: the per-source upload budget was counted per node, so a source round-robined over two nodes sent twice its
    /// daily bytes. Now what arrived on node A counts on node B.
    /// </summary>
    [Fact]
    public async Task The_upload_budget_of_a_source_is_one_budget_across_both_nodes()
    {
        var (a, b) = Cluster(new() { ["Whistle:Submissions:SourceBytesPerDay"] = "150000" });
        using var _ = a;
        using var __ = b;
        const string source = "198.51.100.23";
        var (ca, cb) = (From(a, source), From(b, source));
        var viaA = TusSeed.Mp4(300_000, 31);
        var viaB = TusSeed.Mp4(300_000, 32);
        var d = await TusSeed.DeclareAsync(a, (viaA, "video/mp4", null), (viaB, "video/mp4", null));
        using (var created = await TusSeed.CreateAsync(ca, d, file: 0)) Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var first = await TusSeed.PatchAsync(ca, d.Files[0].UploadId, 0, viaA.AsMemory(0, 100_000))) Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        // Node B has seen nothing from this source itself; 100,000 of 150,000 are used, so one more chunk goes in there.
        using (var created = await TusSeed.CreateAsync(cb, d, file: 1)) Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var second = await TusSeed.PatchAsync(cb, d.Files[1].UploadId, 0, viaB.AsMemory(0, 100_000))) Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        // 200,000 in between them: past the budget on both nodes (on the old code each node had counted 100,000).
        using (var held = await TusSeed.PatchAsync(ca, d.Files[0].UploadId, 100_000, viaA.AsMemory(100_000, 100_000)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
            Assert.True(held.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
        using (var held = await TusSeed.PatchAsync(cb, d.Files[1].UploadId, 100_000, viaB.AsMemory(100_000, 100_000)))
            Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
        // The bytes already in stay; another network is not held.
        Assert.Equal(100_000, await TusSeed.OffsetAsync(ca, d.Files[0].UploadId));
        Assert.Equal(100_000, await TusSeed.OffsetAsync(cb, d.Files[1].UploadId));
        using (var other = await TusSeed.PatchAsync(From(a, "192.0.2.99"), d.Files[0].UploadId, 100_000, viaA.AsMemory(100_000, 100_000)))
            Assert.Equal(HttpStatusCode.NoContent, other.StatusCode);
        Assert.DoesNotContain(await StoreKeysAsync(a), k => k.Contains("198.51.100", StringComparison.Ordinal));
    }

    private static async Task<(HttpClient Client, string Password)> AdminAsync(WhistleApp app)
    {
        var email = $"admin-{Guid.NewGuid():N}@staff.test";
        var password = Identity.IdentitySetup.GeneratePassword();
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.True((await Identity.IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Identity.Roles.Admin, password)).Succeeded);
        var client = app.CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>());
        return (client, password);
    }

    private static Task<HttpResponseMessage> SignUpAsync(WhistleApp app, int n) =>
        app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions",
            new { channel = "email", address = $"after-destroy-{n}@example.org", language = "en", circle = new { lat = 44.95, lon = -93.26, radiusMeters = 300 } });

    /// <summary>
    /// Seen: `keys destroy` on node A zeroed A's ring only; node B kept the keys in memory and went on encrypting and
    /// decrypting. Now B answers 503 within seconds (it reads the destroy from the database, not only from a bus), and a
    /// node started after the destroy refuses its keys from its first request.
    /// </summary>
    [Fact]
    public async Task A_destroy_on_node_A_reaches_node_B_within_seconds_and_a_node_started_later_refuses_its_keys()
    {
        var (a, b) = Cluster([]);
        using var _ = a;
        using var __ = b;
        Assert.Equal(HttpStatusCode.Accepted, (await SignUpAsync(b, 0)).StatusCode);

        var (admin, password) = await AdminAsync(a);
        var name = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/keys"))!["networkName"]!.GetValue<string>();
        var destroyed = await admin.PostAsJsonAsync("/api/v1/keys/destroy", new { confirmation = name, password });
        Assert.Equal(HttpStatusCode.OK, destroyed.StatusCode);

        int n = 1;
        var refused = await WhistleApp.EventuallyAsync(() => SignUpAsync(b, n++), r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
            "node B refusing keyed operations after the destroy on node A", timeoutMs: 15_000);
        Assert.Equal(KeyRingSetup.DestroyedType, (await refused.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>());
        Assert.True(b.Services.GetRequiredService<KeyRing>().IsDestroyed);
        Assert.True(File.Exists(Path.Combine(b.DataDir, KeyStore.MarkerName)), "node B wrote its own marker, so its restart refuses too");
        // The public side still runs on B.
        Assert.Equal(HttpStatusCode.OK, (await b.CreateClient().GetAsync("/api/v1/alerts/active")).StatusCode);

        // A third node, started after the destroy with the very same key ring in its settings, refuses at once.
        using var c = Join(a, Shared([]));
        Assert.True(c.Services.GetRequiredService<KeyRing>().IsDestroyed);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SignUpAsync(c, 100)).StatusCode);
    }
}

public sealed class ClusterLimitsRedisTests : ClusterLimitsTests
{
    private readonly Dictionary<string, string?> _redis = TestRedis.Settings();
    protected override Dictionary<string, string?> Store() => _redis;
    protected override LimitStore Expected => LimitStore.Redis;
}

public sealed class ClusterLimitsDatabaseTests : ClusterLimitsTests
{
    protected override Dictionary<string, string?> Store() => [];
    protected override LimitStore Expected => LimitStore.Database;
}
