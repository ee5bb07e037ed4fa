using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 11 §8: a verifier who declined cannot record an outcome; documenters do not get the live sightings feed or
/// report positions; verifiers see (list, detail, hub) only the sightings they were sent to.
/// </summary>
public abstract class VisibilityTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static string Token(HttpClient staff) => staff.DefaultRequestHeaders.Authorization!.Parameter!;

    private HubConnection Hub(string token) => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Server.BaseAddress, "hubs/sightings"), o =>
        {
            o.Transports = HttpTransportType.LongPolling;
            o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
        }).Build();

    private async Task<Guid> ReportAsync(double lat)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon = -93.2555, placeText = "Lake St" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_verifier_who_declined_cannot_record_the_outcome_but_a_dispatcher_still_can()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var s = await ReportAsync(44.80);
        await WhistleApp.SendAsync(dispatcher, verifier, s);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsync($"/api/v1/sightings/{s}/decline", null)).StatusCode);

        var res = await verifier.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "confirmed", note = "saw it" });
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var after = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{s}"))!;
        Assert.Equal("verifying", after["sighting"]!["state"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "false_alarm" })).StatusCode);
    }

    [Fact]
    public async Task A_verifier_who_declined_then_accepted_may_record_the_outcome()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var s = await ReportAsync(44.83);
        await WhistleApp.SendAsync(dispatcher, verifier, s);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsync($"/api/v1/sightings/{s}/decline", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsync($"/api/v1/sightings/{s}/accept", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "confirmed" })).StatusCode);
    }

    [Fact]
    public async Task Documenters_cannot_read_sightings_or_their_positions_nor_open_the_live_feed()
    {
        var documenter = await app.StaffAsync("documenter");
        var s = await ReportAsync(44.86);
        foreach (var path in new[] { "/api/v1/sightings", $"/api/v1/sightings/{s}", "/api/v1/sightings/assigned", "/api/v1/roster?sighting=" + s })
        {
            var res = await documenter.GetAsync(path);
            Assert.True(res.StatusCode == HttpStatusCode.Forbidden, $"{path}: {res.StatusCode}");
        }
        await using var hub = Hub(Token(documenter));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Fact]
    public async Task A_documenter_cannot_copy_a_sightings_position_by_opening_an_incident_file_from_it()
    {
        var documenter = await app.StaffAsync("documenter");
        var s = await ReportAsync(44.92);
        var res = await documenter.PostAsJsonAsync("/api/v1/incidents", new { sightingId = s });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("sightingId", (await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task A_verifier_sees_only_the_sightings_they_were_sent_to_in_the_list_the_detail_and_the_hub()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var mine = await ReportAsync(44.89);
        var other = await ReportAsync(44.95);
        await WhistleApp.SendAsync(dispatcher, verifier, mine);

        var list = (await verifier.GetFromJsonAsync<JsonObject>("/api/v1/sightings"))!["items"]!.AsArray().Select(x => Guid.Parse(x!["id"]!.GetValue<string>())).ToList();
        Assert.Contains(mine, list);
        Assert.DoesNotContain(other, list);
        Assert.Equal(HttpStatusCode.OK, (await verifier.GetAsync($"/api/v1/sightings/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await verifier.GetAsync($"/api/v1/sightings/{other}")).StatusCode);
        var all = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/sightings"))!["items"]!.AsArray().Select(x => Guid.Parse(x!["id"]!.GetValue<string>())).ToList();
        Assert.Contains(other, all);

        // The hub: the verifier hears a new report on their sighting, never one on another; the dispatcher hears both.
        var heardByVerifier = new ConcurrentQueue<Guid>();
        var heardByDispatcher = new ConcurrentQueue<Guid>();
        await using var vHub = Hub(Token(verifier));
        await using var dHub = Hub(Token(dispatcher));
        vHub.On<JsonObject>("sighting", x => heardByVerifier.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        dHub.On<JsonObject>("sighting", x => heardByDispatcher.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        await vHub.StartAsync();
        await dHub.StartAsync();

        Assert.Equal(other, await ReportAsync(44.95));  // joins the other sighting
        Assert.Equal(mine, await ReportAsync(44.89));   // then joins the verifier's
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heardByVerifier.ToArray()), h => h.Contains(mine), "the verifier to hear of their sighting");
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heardByDispatcher.ToArray()), h => h.Contains(mine) && h.Contains(other), "the dispatcher to hear of both");
        // Sent in order on one connection: the other sighting's message would have arrived before the verifier's own.
        Assert.DoesNotContain(other, heardByVerifier);
    }
}

public sealed class VisibilityTestsSqlite(SqliteApp app) : VisibilityTests<SqliteApp>(app);

public sealed class VisibilityTestsPostgres(PostgresApp app) : VisibilityTests<PostgresApp>(app);
