using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Identity;

namespace Whistle.Tests.Api;

/// <summary>Who may do what: anonymous callers, verifiers, dispatchers, admins; passwords and lockout.</summary>
public static class AccessCases
{

    public static TheoryData<string, string> StaffOnly => new()
    {
        { "GET", "/api/v1/sightings" },
        { "GET", $"/api/v1/sightings/{Guid.Empty}" },
        { "GET", "/api/v1/sightings/assigned" },
        { "POST", $"/api/v1/sightings/{Guid.Empty}/verification" },
        { "POST", $"/api/v1/sightings/{Guid.Empty}/dispatch" },
        { "POST", "/api/v1/alerts" },
        { "GET", $"/api/v1/alerts/{Guid.Empty}" },
        { "POST", $"/api/v1/alerts/{Guid.Empty}/cancel" },
        { "GET", "/api/v1/auth/me" },
        { "GET", "/api/v1/federation/partners" },
        { "GET", "/api/v1/federation/alerts" },
        { "POST", $"/api/v1/federation/alerts/{Guid.Empty}/relay" },
        { "GET", "/api/v1/surges" },
        { "GET", $"/api/v1/surges/{Guid.Empty}" },
        { "POST", $"/api/v1/surges/{Guid.Empty}/reports/{Guid.Empty}/promote" },
        { "POST", $"/api/v1/surges/{Guid.Empty}/dismiss" },
        { "GET", "/api/v1/reporters" },
        { "POST", "/api/v1/reporters" },
        { "DELETE", "/api/v1/reporters/1" },
    };
}

public abstract class AccessTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static readonly object Circle = new { lat = 44.95, lon = -93.25, radiusMeters = 500 };

    [Theory]
    [MemberData(nameof(AccessCases.StaffOnly), MemberType = typeof(AccessCases))]
    public async Task Anonymous_callers_get_401_with_problem_details(string method, string path)
    {
        var res = await app.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_verifier_can_verify_but_not_dispatch_alert_or_cancel()
    {
        var verifier = await app.StaffAsync("verifier");
        Assert.Equal(HttpStatusCode.OK, (await verifier.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = Circle })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync($"/api/v1/alerts/{Guid.NewGuid()}/cancel", new { reason = "all_clear" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync($"/api/v1/alerts/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{Guid.NewGuid()}/dispatch", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{Guid.NewGuid()}/verification", new { outcome = "confirmed" })).StatusCode);
    }

    [Fact]
    public async Task An_admin_can_do_what_a_dispatcher_and_a_verifier_can()
    {
        var admin = await app.StaffAsync("admin");
        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "arrest", lat = 48.1, lon = -97.1 });
        var sighting = (await report.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["sightingId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = new { lat = 48.1, lon = -97.1, radiusMeters = 300 } })).StatusCode);
    }

    [Fact]
    public async Task Passwords_are_hashed_with_PBKDF2_SHA512_at_210000_iterations_or_more()
    {
        await app.StaffAsync("verifier");
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = users.Users.First();
        var hash = Convert.FromBase64String(user.PasswordHash!);
        // Identity v3 format: 0x01, PRF (2 = HMACSHA512), iteration count, salt length — big-endian.
        Assert.Equal(0x01, hash[0]);
        Assert.Equal(2u, ReadUInt32(hash, 1));
        Assert.True(ReadUInt32(hash, 5) >= 210_000, $"iterations: {ReadUInt32(hash, 5)}");
        static uint ReadUInt32(byte[] b, int i) => (uint)(b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]);
    }

    // Five wrong passwords no longer lock an account (a stranger could lock every dispatcher out during a raid):
    // failures slow their source instead — AccountTests.A_strangers_failed_logins_slow_the_stranger_but_do_not_lock_the_owner_out_on_their_own_network.

    [Fact]
    public async Task A_forged_or_garbage_token_is_401()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "CfDJ8-not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/sightings")).StatusCode);
    }

    [Fact]
    public async Task Health_and_OpenAPI_are_served()
    {
        var client = app.CreateClient();
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
        var doc = await client.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/api/v1/reports", "/api/v1/subscriptions", "/api/v1/alerts", "/api/v1/sightings/{id}/verification", "/api/v1/zones" })
            Assert.Contains($"\"{path}", doc);
    }
}

// The product's password cost: a test here reads the iteration count out of a stored hash.
public sealed class AccessSqliteApp() : WhistleApp(Db.Sqlite, RealPasswordCost);
public sealed class AccessPostgresApp() : WhistleApp(Db.Postgres, RealPasswordCost);

public sealed class SqliteAccessTests(AccessSqliteApp app) : AccessTests<AccessSqliteApp>(app);

public sealed class PostgresAccessTests(AccessPostgresApp app) : AccessTests<AccessPostgresApp>(app);
