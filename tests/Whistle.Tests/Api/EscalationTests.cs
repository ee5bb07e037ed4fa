using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Geo;
using Whistle.Verification;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12 §6: when nobody a dispatcher sent accepts within N minutes, the next nearest on-duty verifiers are asked
/// (once, however many instances run the pass), the history says so and the dispatcher is told; nobody left → told that.
/// The roster's live event reaches dispatchers only.
/// </summary>
public sealed class EscalationTests
{
    private const int MidtownPhillips = 86, ShingleCreek = 1;

    private static HubConnection Hub(WhistleApp app, HttpClient staff) => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Server.BaseAddress, "hubs/sightings"), o =>
        {
            o.Transports = HttpTransportType.LongPolling;
            o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult<string?>(staff.DefaultRequestHeaders.Authorization!.Parameter);
        }).Build();

    private static (CustomApp App, FakeTimeProvider Clock) Start(Db db, int afterMinutes = 5)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = new CustomApp(new() { ["Whistle:Verification:EscalateAfterMinutes"] = afterMinutes.ToString() },
            s => s.AddSingleton<TimeProvider>(clock), db);
        return (app, clock);
    }

    private static async Task<(HttpClient Client, string Id, string Email)> VerifierAsync(WhistleApp app, int homeZone, bool onDuty = true)
    {
        var client = await app.StaffAsync("verifier");
        var me = (await client.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!;
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/api/v1/roster/me", new { onDuty, homeZoneId = homeZone })).StatusCode);
        return (client, me["id"]!.GetValue<string>(), me["email"]!.GetValue<string>());
    }

    private static async Task<Guid> SightingAsync(WhistleApp app, int zone)
    {
        var at = app.Services.GetRequiredService<ZoneRegistry>().Current.Get(zone).Label;
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = at.Lat, lon = at.Lon });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
    }

    private static async Task<JsonObject> DetailAsync(HttpClient dispatcher, Guid id) =>
        (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{id}"))!;

    private static List<string> Asked(JsonObject detail) =>
        detail["assignments"]!.AsArray().Select(a => a!["verifierId"]!.GetValue<string>()).ToList();

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Nobody_accepts_in_time_so_the_next_nearest_is_asked_once_the_history_says_so_and_the_dispatcher_is_told(Db db)
    {
        var (app, clock) = Start(db);
        using var _ = app;
        var escalator = app.Services.GetRequiredService<Escalator>();
        var dispatcher = await app.StaffAsync("dispatcher");
        var near = await VerifierAsync(app, MidtownPhillips);
        var next = await VerifierAsync(app, ShingleCreek);
        var third = await VerifierAsync(app, ShingleCreek);
        var resting = await VerifierAsync(app, MidtownPhillips, onDuty: false);
        var id = await SightingAsync(app, MidtownPhillips);

        await using var hub = Hub(app, dispatcher);
        var told = new ConcurrentQueue<JsonObject>();
        hub.On<JsonObject>(SightingsHub.EscalationEvent, told.Enqueue);
        await hub.StartAsync();
        // A verifier (the one asked next) never hears escalation notices or roster changes: those are the dispatchers'.
        await using var verifierHub = Hub(app, next.Client);
        var overheard = new ConcurrentQueue<string>();
        verifierHub.On<JsonObject>(SightingsHub.EscalationEvent, _ => overheard.Enqueue("escalation"));
        verifierHub.On<JsonObject>(SightingsHub.RosterEvent, _ => overheard.Enqueue("roster"));
        await verifierHub.StartAsync();

        var res = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/dispatch", new { count = 1 });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal([near.Id], Asked(await DetailAsync(dispatcher, id)));

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, await escalator.RunOnceAsync(default));
        Assert.Equal([near.Id], Asked(await DetailAsync(dispatcher, id)));

        clock.Advance(TimeSpan.FromMinutes(1.5));
        // Three passes at once (as three app instances on one database would run them): one round, not three.
        var claimed = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => escalator.RunOnceAsync(default)));
        Assert.True(claimed.Sum() <= 1, $"claimed {string.Join(",", claimed)}");
        var detail = await DetailAsync(dispatcher, id);
        var asked = Asked(detail);
        Assert.Equal(2, asked.Count); // the same count as the dispatcher sent: one
        Assert.Equal(near.Id, asked[0]);
        Assert.Contains(asked[1], new[] { next.Id, third.Id });
        Assert.DoesNotContain(resting.Id, asked);
        Assert.Equal(1, detail["sighting"]!["escalations"]!.GetValue<int>());
        var escalated = detail["history"]!.AsArray().Last()!;
        Assert.Equal("system", escalated["actor"]!.GetValue<string>());
        var email = asked[1] == next.Id ? next.Email : third.Email;
        Assert.Equal($"escalated: no answer in 5 min, asked {email}", escalated["note"]!.GetValue<string>());
        Assert.Equal("system", detail["assignments"]![1]!["sentBy"]!.GetValue<string>());

        var notice = await WhistleApp.EventuallyAsync(() => Task.FromResult(told.FirstOrDefault()), n => n is not null, "the escalation notice");
        Assert.Equal(id, notice!["sightingId"]!.GetValue<Guid>());
        Assert.Equal([email], notice["asked"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.False(notice["stopped"]!.GetValue<bool>());

        // The one asked sees it on their list; running again straight away asks nobody more.
        var askedClient = asked[1] == next.Id ? next.Client : third.Client;
        var list = (await askedClient.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned"))!;
        Assert.Contains(list, x => x!["sighting"]!["id"]!.GetValue<Guid>() == id);
        Assert.Equal(0, await escalator.RunOnceAsync(default));
        Assert.Equal(2, Asked(await DetailAsync(dispatcher, id)).Count);

        // A roster change goes to dispatchers; the verifier connection heard neither that nor the escalation.
        var roster = new ConcurrentQueue<JsonObject>();
        hub.On<JsonObject>(SightingsHub.RosterEvent, roster.Enqueue);
        Assert.Equal(HttpStatusCode.OK, (await resting.Client.PutAsJsonAsync("/api/v1/roster/me", new { onDuty = true })).StatusCode);
        var changed = await WhistleApp.EventuallyAsync(() => Task.FromResult(roster.FirstOrDefault()), r => r is not null, "the roster event");
        Assert.Equal(resting.Id, changed!["id"]!.GetValue<string>());
        Assert.Empty(overheard);
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_verifier_who_accepted_stops_escalation(Db db)
    {
        var (app, clock) = Start(db);
        using var _ = app;
        var escalator = app.Services.GetRequiredService<Escalator>();
        var dispatcher = await app.StaffAsync("dispatcher");
        var near = await VerifierAsync(app, MidtownPhillips);
        await VerifierAsync(app, ShingleCreek);
        var id = await SightingAsync(app, MidtownPhillips);
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/dispatch", new { count = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await near.Client.PostAsync($"/api/v1/sightings/{id}/accept", null)).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(14)); // within the access token's 15 minutes
        Assert.Equal(0, await escalator.RunOnceAsync(default));
        var detail = await DetailAsync(dispatcher, id);
        Assert.Equal([near.Id], Asked(detail));
        Assert.Equal(0, detail["sighting"]!["escalations"]!.GetValue<int>());
        Assert.DoesNotContain(detail["history"]!.AsArray(), h => h!["actor"]!.GetValue<string>() == "system");
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Nobody_else_on_duty_tells_the_dispatcher_nobody_is_left_once(Db db)
    {
        var (app, clock) = Start(db);
        using var _ = app;
        var escalator = app.Services.GetRequiredService<Escalator>();
        var dispatcher = await app.StaffAsync("dispatcher");
        var only = await VerifierAsync(app, MidtownPhillips);
        await VerifierAsync(app, ShingleCreek, onDuty: false);
        var id = await SightingAsync(app, MidtownPhillips);
        await using var hub = Hub(app, dispatcher);
        var told = new ConcurrentQueue<JsonObject>();
        hub.On<JsonObject>(SightingsHub.EscalationEvent, told.Enqueue);
        await hub.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/dispatch", new { count = 1 })).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(6));
        await Task.WhenAll(escalator.RunOnceAsync(default), escalator.RunOnceAsync(default));
        var detail = await DetailAsync(dispatcher, id);
        Assert.Equal([only.Id], Asked(detail));
        Assert.True(detail["sighting"]!["escalationStopped"]!.GetValue<bool>());
        var notes = detail["history"]!.AsArray().Where(h => h!["actor"]!.GetValue<string>() == "system").Select(h => h!["note"]!.GetValue<string>()).ToList();
        Assert.Equal(["escalation stopped: no answer in 5 min and nobody left on duty to ask"], notes);
        var notice = await WhistleApp.EventuallyAsync(() => Task.FromResult(told.FirstOrDefault()), n => n is not null, "the nobody-left notice");
        Assert.True(notice!["nobodyLeft"]!.GetValue<bool>());

        // Later passes say nothing more.
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await escalator.RunOnceAsync(default));
        Assert.Single((await DetailAsync(dispatcher, id))["history"]!.AsArray(), h => h!["actor"]!.GetValue<string>() == "system");
        Assert.Single(told);
    }

    [Fact]
    public void The_rule_asks_as_many_as_the_last_round_and_stops_after_the_rounds()
    {
        var now = DateTimeOffset.UtcNow;
        var s = new Sighting { State = SightingState.Verifying };
        var sent = new List<Assignment>
        {
            new() { State = AssignmentState.Sent, SentAt = now.AddMinutes(-6) },
            new() { State = AssignmentState.Declined, SentAt = now.AddMinutes(-6) },
        };
        Assert.Equal((EscalationStep.Ask, 2), Escalation.Next(s, sent, now, TimeSpan.FromMinutes(5), 2));
        Assert.Null(Escalation.Next(s, sent, now, TimeSpan.Zero, 2)); // 0 = off
        Assert.Null(Escalation.Next(s, sent, now, TimeSpan.FromMinutes(10), 2)); // not yet
        Assert.Null(Escalation.Next(s, [], now, TimeSpan.FromMinutes(5), 2)); // nobody was sent: nothing to escalate
        s.Escalations = 2;
        Assert.Equal((EscalationStep.RoundsUsedUp, 0), Escalation.Next(s, sent, now, TimeSpan.FromMinutes(5), 2));
        s.EscalationStopped = true;
        Assert.Null(Escalation.Next(s, sent, now, TimeSpan.FromMinutes(5), 2));
        s.EscalationStopped = false;
        sent[0].State = AssignmentState.Accepted;
        Assert.Null(Escalation.Next(s, sent, now, TimeSpan.FromMinutes(5), 2));
    }
}
