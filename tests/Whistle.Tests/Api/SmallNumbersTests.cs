using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Incidents;
using Whistle.Registry;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §7, small numbers in public data. A network publishes one arrest in a neighbourhood in June and five
/// home raids in another in September. The lone arrest must not be findable at its neighbourhood and month in any
/// output (JSON, CSV, GeoJSON, statistics, both charts, the page), nor by subtracting one output from another or the
/// registry before its publication from the registry after; the five still are. Default k (3): no setting.
/// </summary>
public abstract class SmallNumbersTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    // Two neighbourhoods of the demo network (the positions the registry tests use).
    private static readonly GeoPoint LonePlace = new(44.948517, -93.255529), BusyPlace = new(44.963211, -93.298417);

    private static readonly string[] Urls =
    [
        "/api/v1/registry/incidents", "/api/v1/registry/incidents.csv", "/api/v1/registry/incidents.geojson", "/api/v1/registry/stats",
        "/registry/charts/monthly.svg?lang=en", "/registry/charts/categories.svg?lang=en", "/registry?lang=en",
    ];

    [Fact]
    public async Task A_lone_incident_in_a_neighbourhood_month_is_in_no_output_and_cannot_be_recovered_by_differencing_while_five_are_published()
    {
        var anonymous = app.CreateClient();
        var zones = app.Services.GetRequiredService<ZoneRegistry>().Current;
        var (loneZone, busyZone) = (zones.ZoneAt(LonePlace)!.Name, zones.ZoneAt(BusyPlace)!.Name);
        Assert.NotEqual(loneZone, busyZone);

        // Five home raids in one neighbourhood in September 2025 (Chicago time: mid-month, mid-day).
        var five = new List<Incident>();
        for (int i = 0; i < 5; i++)
            five.Add(File(new DateTimeOffset(2025, 9, 3 + 4 * i, 17, 0, 0, TimeSpan.Zero), BusyPlace, IncidentCategory.HomeRaid));
        await SaveAsync(five);
        var before = await BodiesAsync(anonymous);

        // Then one arrest, alone in its neighbourhood in June 2025, is published (news covered it).
        var lone = File(new DateTimeOffset(2025, 6, 12, 17, 0, 0, TimeSpan.Zero), LonePlace, IncidentCategory.Arrest);
        await SaveAsync([lone]);
        var after = await BodiesAsync(anonymous);
        var loneId = RegistryRow.PublicId(lone.Id);

        // The five: each a row at its neighbourhood and month, in the list, the CSV and the GeoJSON.
        var list = JsonNode.Parse(after[Urls[0]])!.AsArray().Select(n => n!.AsObject()).ToList();
        foreach (var id in five.Select(i => RegistryRow.PublicId(i.Id)))
        {
            var row = list.Single(r => (string)r["id"]! == id);
            Assert.Equal(("2025-09", busyZone), ((string)row["month"]!, (string)row["area"]!));
            Assert.Contains($"{id},2025-09,{busyZone},", after[Urls[1]]);
            Assert.Contains(id, after[Urls[2]]);
            Assert.Contains(id, after[Urls[6]]);
        }
        var stats = JsonNode.Parse(after[Urls[3]])!.AsObject();
        Assert.Equal(5, stats["byMonth"]!.AsArray().Single(m => (string)m!["month"]! == "2025-09")!["incidents"]!.GetValue<int>());

        // The lone one: at its neighbourhood and month (or its quarter, or its year) nowhere.
        foreach (var (url, body) in after)
        {
            Assert.False(body.Contains(loneId, StringComparison.Ordinal), $"{url} lists the lone incident");
            foreach (var period in new[] { "2025-06", "2025-Q2" })
                Assert.False(body.Contains(period, StringComparison.Ordinal), $"{url} shows {period}");
        }
        foreach (var url in Urls[..6])
            Assert.False(after[url].Contains(loneZone, StringComparison.Ordinal), $"{url} names {loneZone}");
        Assert.DoesNotContain(list, r => (string)r["month"]! == "2025-06" || (string)r["category"]! == "arrest" && ((string)r["month"]!).StartsWith("2025", StringComparison.Ordinal));
        Assert.DoesNotContain(stats["byCategory"]!.AsArray(), c => (string)c!["category"]! == "arrest");
        Assert.DoesNotContain("Arrest", after[Urls[5]]);
        Assert.Contains("fewer than 3", after[Urls[6]]);

        // Differencing 1: the statistics against the rows. Every count the statistics give is the count of rows
        // with that value, so subtracting one from the other leaves nothing; and no count is 1 … k−1.
        Assert.Equal(list.Count, stats["incidents"]!.GetValue<int>());
        foreach (var month in stats["byMonth"]!.AsArray())
            Assert.Equal(list.Count(r => (string)r["month"]! == (string)month!["month"]!), month!["incidents"]!.GetValue<int>());
        Assert.True(stats["notShown"] is null || stats["notShown"]!.GetValue<int>() is 0 or >= 3);
        // Differencing 2: the registry before and after the lone incident was published. Nothing a visitor can
        // fetch changed: not a row, not a count, not a bar.
        foreach (var url in Urls)
            Assert.True(Published(before[url]) == Published(after[url]), $"{url} changed when the lone incident was published");
    }

    /// <summary>What a body publishes: the whole of a download; of the page, the registry itself (not the layout's per-request nonce).</summary>
    private static string Published(string body)
    {
        int start = body.IndexOf("<div class=\"registry\">", StringComparison.Ordinal);
        if (start < 0) return body;
        int end = body.IndexOf("<section aria-labelledby=\"downloads-heading\">", start, StringComparison.Ordinal);
        Assert.True(end > start);
        return body[start..end];
    }

    private static async Task<Dictionary<string, string>> BodiesAsync(HttpClient client)
    {
        var bodies = new Dictionary<string, string>();
        foreach (var url in Urls)
        {
            var res = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            bodies[url] = await res.Content.ReadAsStringAsync();
        }
        return bodies;
    }

    private static Incident File(DateTimeOffset at, GeoPoint place, IncidentCategory category) => new()
    {
        Title = "Small-numbers test", OccurredAt = at, Place = "somewhere", Lat = place.Lat, Lon = place.Lon, Category = category,
        Agencies = "ice", PeopleAffected = 1, Injured = 0, Deaths = 0, Status = IncidentStatus.Open, Published = true,
        CreatedBy = "documenter@staff.test", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
    };

    private async Task SaveAsync(IEnumerable<Incident> incidents)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        db.Incidents.AddRange(incidents);
        await db.SaveChangesAsync();
    }
}

public sealed class SmallNumbersTestsSqlite(SqliteApp app) : SmallNumbersTests<SqliteApp>(app);

public sealed class SmallNumbersTestsPostgres(PostgresApp app) : SmallNumbersTests<PostgresApp>(app);

/// <summary>k = 1: every published incident as its own row at its neighbourhood and month (the registry before issue 14); RegistryTests run on these.</summary>
public sealed class EveryRowSqliteApp() : WhistleApp(Db.Sqlite, new() { ["Whistle:Registry:MinCellSize"] = "1" });

public sealed class EveryRowPostgresApp() : WhistleApp(Db.Postgres, new() { ["Whistle:Registry:MinCellSize"] = "1" });
