using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Whistle.Verification;
using static Whistle.Tests.Api.IntakeTests; // the same report shape and checks (At, PostAsync, IdOf)

namespace Whistle.Tests.Api;

/// <summary>
/// The intake writer (issue 16 §3): the API's reports are filed in batches and committed together. Reports sent at the
/// same moment must come out as if filed one after the other — one sighting for one place, the budget counted exactly —
/// and every report answered 201 is stored.
/// </summary>
public abstract class IntakeWriterTests(Db db)
{
    private static readonly (double Lat, double Lon) Corner = (44.9485, -93.2555);

    [Fact]
    public async Task Seen_sixty_people_reporting_one_raid_at_the_same_moment_split_it_into_several_sightings_now_one()
    {
        using var app = new IntakeApp(db, new()
        {
            ["Whistle:Intake:NetworkPerMinute"] = "1000", ["Whistle:Intake:AreaPerMinute"] = "1000", ["Whistle:RateLimits:ReportsPerMinute"] = "1000",
        });
        var dispatcher = await app.StaffAsync("dispatcher");
        // Sixty residents on sixty networks, within a few metres of one corner, all at once.
        var clients = Enumerable.Range(0, 60).Select(i => app.From($"198.51.{i}.7")).ToList();
        var results = await Task.WhenAll(clients.Select((c, i) => PostAsync(c, At(Corner.Lat + i * 1e-5, Corner.Lon))));

        var sightings = results.Select(r => IdOf(r, "sightingId")).Distinct().ToList();
        var one = Assert.Single(sightings);
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{one}"))!;
        Assert.Equal(60, detail["sighting"]!["reportCount"]!.GetValue<int>());
        Assert.Equal(60, detail["sighting"]!["sourceCount"]!.GetValue<int>());
        Assert.Equal(60, detail["reports"]!.AsArray().Count);
    }

    [Fact]
    public async Task Seen_a_burst_from_one_area_sent_at_once_slipped_past_the_area_budget_now_exactly_the_budget_reaches_the_queue()
    {
        // The shipped area budget (15 a minute); forty reports from forty networks in one grid cell, all at once.
        using var app = new IntakeApp(db, new() { ["Whistle:RateLimits:ReportsPerMinute"] = "1000" });
        var budget = new Reports.IntakeOptions().AreaPerMinute;
        var clients = Enumerable.Range(0, 40).Select(i => app.From($"203.0.{i}.9")).ToList();
        // Spread over the cell so they do not all join one sighting (each starts or joins by distance, not by budget).
        var results = await Task.WhenAll(clients.Select((c, i) => PostAsync(c, At(44.9410 + (i % 8) * 0.0022, -93.2590 + (i / 8) * 0.0030, $"burst {i}"))));

        var queued = results.Count(r => IdOf(r, "sightingId") is not null);
        var held = results.Where(r => IdOf(r, "surgeId") is not null).ToList();
        Assert.Equal(40, queued + held.Count);
        Assert.Equal(budget, queued);
        // The rest are in one surge, each once, from as many sources as reports.
        var surge = Assert.Single(held.Select(h => IdOf(h, "surgeId")).Distinct());
        var dispatcher = await app.StaffAsync("dispatcher");
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/surges/{surge}?limit=100"))!;
        Assert.Equal(40 - budget, detail["surge"]!["reportCount"]!.GetValue<int>());
        Assert.Equal(40 - budget, detail["surge"]!["sourceCount"]!.GetValue<int>());
        Assert.Equal(40 - budget, detail["reports"]!.AsArray().Count);
    }

    [Fact]
    public async Task Two_hundred_reports_at_once_are_each_answered_once_stored_once_and_the_same_source_counted_once_per_sighting()
    {
        using var app = new IntakeApp(db, new()
        {
            ["Whistle:Intake:NetworkPerMinute"] = "1000", ["Whistle:Intake:AreaPerMinute"] = "1000", ["Whistle:RateLimits:ReportsPerMinute"] = "1000",
        });
        var dispatcher = await app.StaffAsync("dispatcher");
        // One network sends 200 reports about five places at once (a flood from one place, or one busy hotline volunteer).
        var places = Enumerable.Range(0, 5).Select(i => (Lat: 44.90 + i * 0.02, Lon: -93.30 + i * 0.02)).ToList();
        var from = app.From("192.0.2.10");
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => PostAsync(from, At(places[i % 5].Lat, places[i % 5].Lon, $"r{i}"))));

        Assert.Equal(200, results.Select(r => IdOf(r, "id")).Distinct().Count());
        var bySighting = results.GroupBy(r => IdOf(r, "sightingId")!.Value).ToList();
        Assert.Equal(5, bySighting.Count);
        foreach (var g in bySighting)
        {
            var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{g.Key}"))!;
            Assert.Equal(40, detail["sighting"]!["reportCount"]!.GetValue<int>());
            Assert.Equal(1, detail["sighting"]!["sourceCount"]!.GetValue<int>());
            var stored = detail["reports"]!.AsArray().Select(r => r!["id"]!.GetValue<Guid>()).Order().ToList();
            Assert.Equal(g.Select(r => IdOf(r, "id")!.Value).Order().ToList(), stored);
        }
    }

    [Fact]
    public async Task The_live_queue_is_told_of_every_sighting_a_burst_started_or_grew_with_its_final_count()
    {
        // Issue 16 §3, second pass: the consoles are told by a loop of their own while the writer files the next batch.
        // Whatever the batches, the last push a console got for each sighting carries its committed count.
        using var app = new IntakeApp(db, new()
        {
            ["Whistle:Intake:NetworkPerMinute"] = "1000", ["Whistle:Intake:AreaPerMinute"] = "1000", ["Whistle:RateLimits:ReportsPerMinute"] = "1000",
        });
        var dispatcher = await app.StaffAsync("dispatcher");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "hubs/sightings"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(dispatcher.DefaultRequestHeaders.Authorization!.Parameter);
            }).Build();
        var last = new ConcurrentDictionary<Guid, int>();
        hub.On<JsonObject>(SightingsHub.ChangedEvent, s =>
            last.AddOrUpdate(s["id"]!.GetValue<Guid>(), s["reportCount"]!.GetValue<int>(), (_, was) => Math.Max(was, s["reportCount"]!.GetValue<int>())));
        await hub.StartAsync();

        var places = Enumerable.Range(0, 4).Select(i => (Lat: 44.90 + i * 0.02, Lon: -93.30 + i * 0.02)).ToList();
        var results = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => PostAsync(app.From($"203.0.{i}.9"), At(places[i % 4].Lat, places[i % 4].Lon, $"r{i}"))));
        var sightings = results.Select(r => IdOf(r, "sightingId")!.Value).Distinct().ToList();
        Assert.Equal(4, sightings.Count);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(sightings.Select(id => last.GetValueOrDefault(id)).ToList()),
            counts => counts.All(c => c == 20), "every sighting's push with its 20 reports");
        Assert.Equal(sightings.Order(), last.Keys.Order());
    }
}

public sealed class IntakeWriterTestsSqlite() : IntakeWriterTests(Db.Sqlite);

public sealed class IntakeWriterTestsPostgres() : IntakeWriterTests(Db.Postgres);
