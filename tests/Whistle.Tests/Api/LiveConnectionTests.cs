using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Identity;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §5: closing an account closes its live connections. A verifier holds a real WebSocket open on
/// /hubs/sightings and hears their sighting; then the account is disabled, demoted, its password or second factor
/// reset, the session logged out or ended — here, or "on another node" (straight in the database, with no in-process
/// event): within seconds the socket is closed, the token is refused on reconnect, and a later report on the sighting
/// reaches the dispatcher's connection but never the verifier's.
/// </summary>
public abstract class LiveConnectionTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    /// <summary>"Within seconds": a change made on this node closes at once; one made elsewhere by the next sweep (5 s).</summary>
    private const int HereMs = 3_000, ElsewhereMs = 10_000;

    private static string Token(HttpClient staff) => staff.DefaultRequestHeaders.Authorization!.Parameter!;

    /// <summary>A real WebSocket through the test server, the token in access_token as a browser sends it.</summary>
    private HubConnection Hub(string token, string path = "hubs/sightings") => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Server.BaseAddress, path), o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.WebSocketFactory = async (ctx, ct) =>
            {
                var uri = new UriBuilder(ctx.Uri) { Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
                return await app.Server.CreateWebSocketClient().ConnectAsync(uri, ct);
            };
        }).Build();

    private async Task<Guid> ReportAsync(double lat)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon = -93.2555, placeText = "Lake St" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>());
    }

    private static Task WaitClosedAsync(HubConnection hub, int ms, string what) =>
        WhistleApp.EventuallyAsync(() => Task.FromResult(hub.State), s => s == HubConnectionState.Disconnected, what, ms);

    private static readonly string[] AllChanges =
    [
        "disabled", "demoted", "password reset by an admin", "logged out", "own session ended", "sessions ended by an admin",
        "second factor reset", "disabled on another node", "demoted on another node", "session ended on another node",
    ];

    public static TheoryData<string> Changes()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllChanges) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task An_open_sightings_socket_closes_within_seconds_and_hears_nothing_after(string change)
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var verifierId = await WhistleApp.IdAsync(verifier);
        var lat = 44.60 + Array.IndexOf(AllChanges, change) * 0.03;
        var sighting = await ReportAsync(lat);
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);

        var heardByVerifier = new ConcurrentQueue<Guid>();
        var heardByDispatcher = new ConcurrentQueue<Guid>();
        await using var vHub = Hub(Token(verifier));
        await using var dHub = Hub(Token(dispatcher));
        vHub.On<JsonObject>("sighting", x => heardByVerifier.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        dHub.On<JsonObject>("sighting", x => heardByDispatcher.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        await vHub.StartAsync();
        await dHub.StartAsync();
        Assert.Equal(sighting, await ReportAsync(lat));
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heardByVerifier.Count), n => n > 0, "the verifier to hear of their sighting");

        bool elsewhere = await ChangeAsync(change, admin, verifier, verifierId);

        await WaitClosedAsync(vHub, elsewhere ? ElsewhereMs : HereMs, $"the verifier's socket to close after: {change}");
        Assert.Equal(HubConnectionState.Connected, dHub.State);
        heardByVerifier.Clear();
        int dispatcherHeard = heardByDispatcher.Count;
        Assert.Equal(sighting, await ReportAsync(lat));
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heardByDispatcher.Count), n => n > dispatcherHeard, "the dispatcher to hear the later report");
        Assert.Empty(heardByVerifier);

        // The same token cannot open a new connection (what the client's automatic reconnect would try).
        if (change != "demoted on another node")
        {
            await using var again = Hub(Token(verifier));
            await Assert.ThrowsAnyAsync<Exception>(() => again.StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, (await verifier.GetAsync("/api/v1/sightings")).StatusCode);
        }
        else
        {
            // Roles changed under an unchanged login: a reconnect is authorised anew, for the role the token carries;
            // the connection closed so its groups are chosen again, and the sweep closes it again while the roles differ.
            await using var again = Hub(Token(verifier));
            try { await again.StartAsync(); } catch (Exception) { /* refused outright is as good */ }
            await WaitClosedAsync(again, ElsewhereMs, "a reconnect under the old roles to be closed too");
        }
    }

    /// <summary>Makes the change; true when it was made "on another node" (in the database only).</summary>
    private async Task<bool> ChangeAsync(string change, HttpClient admin, HttpClient verifier, string verifierId)
    {
        switch (change)
        {
            case "disabled":
                Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/users/{verifierId}", new { disabled = true })).StatusCode);
                return false;
            case "demoted":
                Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/users/{verifierId}", new { role = "documenter" })).StatusCode);
                return false;
            case "password reset by an admin":
                Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/users/{verifierId}/password", null)).StatusCode);
                return false;
            case "logged out":
                Assert.Equal(HttpStatusCode.NoContent, (await verifier.PostAsync("/api/v1/auth/logout", null)).StatusCode);
                return false;
            case "own session ended":
            {
                var sessions = (await verifier.GetFromJsonAsync<JsonArray>("/api/v1/auth/sessions"))!;
                var current = sessions.Single(s => s!["current"]!.GetValue<bool>())!["id"]!.GetValue<string>();
                Assert.Equal(HttpStatusCode.NoContent, (await verifier.DeleteAsync($"/api/v1/auth/sessions/{current}")).StatusCode);
                return false;
            }
            case "sessions ended by an admin":
                Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/users/{verifierId}/sessions")).StatusCode);
                return false;
            case "second factor reset":
                Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/users/{verifierId}/second-factor/reset", null)).StatusCode);
                return false;
        }
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        switch (change)
        {
            case "disabled on another node":
                await db.Users.Where(u => u.Id == verifierId).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockoutEnd, StaffRules.DisabledUntil));
                break;
            case "demoted on another node":
                var documenter = await db.Roles.Where(r => r.Name == Roles.Documenter).Select(r => r.Id).SingleAsync();
                await db.UserRoles.Where(r => r.UserId == verifierId).ExecuteDeleteAsync();
                db.UserRoles.Add(new IdentityUserRole<string> { UserId = verifierId, RoleId = documenter });
                await db.SaveChangesAsync();
                break;
            case "session ended on another node":
                var now = DateTimeOffset.UtcNow;
                await db.Set<StaffSession>().Where(s => s.UserId == verifierId)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, "logout"));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(change));
        }
        return true;
    }

    [Fact]
    public async Task An_open_alerts_socket_closes_when_the_dispatcher_is_disabled_and_its_calls_are_refused_once_the_session_ended()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        var other = await app.StaffAsync("dispatcher");
        await using var hub = Hub(Token(dispatcher), "hubs/alerts");
        await hub.StartAsync();
        await hub.InvokeAsync("Watch", Guid.NewGuid());

        // Ended on another node: the very next call re-checks the login, whatever the sweep has done meanwhile.
        var otherId = await WhistleApp.IdAsync(other);
        await using var otherHub = Hub(Token(other), "hubs/alerts");
        await otherHub.StartAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var now = DateTimeOffset.UtcNow;
            await db.Set<StaffSession>().Where(s => s.UserId == otherId)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, "logout"));
        }
        await Assert.ThrowsAnyAsync<Exception>(() => otherHub.InvokeAsync("Watch", Guid.NewGuid()));
        await WaitClosedAsync(otherHub, HereMs, "the alerts socket to close on a call after its session ended");

        var id = await WhistleApp.IdAsync(dispatcher);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { disabled = true })).StatusCode);
        await WaitClosedAsync(hub, HereMs, "the alerts socket to close after disabling");
    }
}

public sealed class LiveConnectionTestsSqlite(SqliteApp app) : LiveConnectionTests<SqliteApp>(app);

public sealed class LiveConnectionTestsPostgres(PostgresApp app) : LiveConnectionTests<PostgresApp>(app);
