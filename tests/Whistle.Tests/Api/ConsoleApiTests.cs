using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Whistle.Tests.Api;

/// <summary>What the console needs from the API: the live sightings hub and a verifier's assignments.</summary>
public sealed class ConsoleApiTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private HubConnection Hub(string? token) => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Server.BaseAddress, "hubs/sightings"), o =>
        {
            o.Transports = HttpTransportType.LongPolling;
            o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult(token);
        }).Build();

    private async Task<Guid> ReportAsync(double lat, double lon)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat, lon });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
    }

    [Fact]
    public async Task A_connected_dispatcher_hears_of_a_new_report_and_of_each_transition_and_anonymous_callers_cannot_listen()
    {
        // Verifiers hear only of the sightings they were sent to (issue 11 §8, VisibilityTests).
        var dispatcher = await app.StaffAsync("dispatcher");
        await using var hub = Hub(dispatcher.DefaultRequestHeaders.Authorization!.Parameter);
        var heard = new System.Collections.Concurrent.ConcurrentQueue<JsonObject>();
        hub.On<JsonObject>("sighting", heard.Enqueue);
        await hub.StartAsync();

        var id = await ReportAsync(44.91, -93.21);
        var first = await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.FirstOrDefault(h => h["id"]!.GetValue<Guid>() == id)),
            h => h is not null, "the new sighting on the hub");
        Assert.Equal("new", first!["state"]!.GetValue<string>());
        Assert.Equal(1, first["reportCount"]!.GetValue<int>());
        Assert.Null(first["contact"]); // a summary: nothing about the reporter

        await ReportAsync(44.9101, -93.2101); // merges
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.Count(h => h["id"]!.GetValue<Guid>() == id && h["reportCount"]!.GetValue<int>() == 2)),
            n => n == 1, "the merged report on the hub");
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/dispatch", new { note = "on my way" })).StatusCode);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.Any(h => h["id"]!.GetValue<Guid>() == id && h["state"]!.GetValue<string>() == "verifying")),
            b => b, "the dispatch on the hub");

        await using var anonymous = Hub(null);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_verifier_sees_the_sightings_they_were_sent_to_and_nothing_else()
    {
        var verifier = await app.StaffAsync("verifier");
        var dispatcher = await app.StaffAsync("dispatcher");
        var waiting = await ReportAsync(45.01, -93.31);
        var sent = await ReportAsync(45.05, -93.35);
        var other = await ReportAsync(45.09, -93.39);
        await WhistleApp.SendAsync(dispatcher, verifier, sent);
        await WhistleApp.SendAsync(dispatcher, await app.StaffAsync("verifier"), other); // someone else's

        var assigned = await verifier.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned");
        var ids = assigned!.Select(a => a!["sighting"]!["id"]!.GetValue<Guid>()).ToList();
        Assert.Equal([sent], ids);
        Assert.All(assigned!, a => Assert.Equal("verifying", a!["sighting"]!["state"]!.GetValue<string>()));
        Assert.DoesNotContain(waiting, ids);
        // A dispatcher sees every sighting being verified, to step in.
        var all = (await dispatcher.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned"))!.Select(a => a!["sighting"]!["id"]!.GetValue<Guid>()).ToList();
        Assert.Contains(sent, all);
        Assert.Contains(other, all);

        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sent}/verification", new { outcome = "false_alarm", note = "a delivery van" })).StatusCode);
        ids = (await verifier.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned"))!.Select(a => a!["sighting"]!["id"]!.GetValue<Guid>()).ToList();
        Assert.DoesNotContain(sent, ids);
    }
}
