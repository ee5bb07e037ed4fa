using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12 §1, over HTTP on SQLite and PostgreSQL: an alert can only go where the sighting is. A sighting whose
/// reports gave no position cannot be previewed or alerted until a dispatcher places it (pin, neighbourhood,
/// gazetteer), each placement is on its record, and an area that misses the sighting is refused unless acknowledged.
/// </summary>
public abstract class PlacementTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const int CedarRiversideZone = 35;
    private const string NotPlaced = "https://whistle.example/problems/sighting-not-placed";
    private const string Outside = "https://whistle.example/problems/area-misses-sighting";

    /// <summary>The "Seen": a confirmed sighting from a report with street words only, no map point.</summary>
    private async Task<(Guid Id, HttpClient Dispatcher)> UnplacedAsync(string placeText = "Cedar Ave iyo Riverside")
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", agents = 3, agency = "ice", placeText });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        return (Guid.Parse(sighting), dispatcher);
    }

    private static async Task<JsonObject> DetailAsync(HttpClient c, Guid id) => (await c.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{id}"))!;

    private static object Circle(double lat, double lon, double r = 500) => new { lat, lon, radiusMeters = r };

    [Fact]
    public async Task A_sighting_with_street_words_only_cannot_be_previewed_or_sent_until_placed_then_goes_where_it_was_placed()
    {
        var (id, dispatcher) = await UnplacedAsync();
        var s = (await DetailAsync(dispatcher, id))["sighting"]!;
        Assert.Null(s["lat"]);

        // What was seen: the composer centred the circle on the city centre and previewed it. Now refused, both ways.
        var downtown = new { sightingId = id, circle = Circle(44.9778, -93.265, 1000) };
        foreach (var url in new[] { "/api/v1/alerts/preview", "/api/v1/alerts" })
        {
            var refused = await dispatcher.PostAsJsonAsync(url, downtown);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(NotPlaced, problem["type"]!.GetValue<string>());
            Assert.Equal("sighting_not_placed", problem["code"]!.GetValue<string>());
        }
        Assert.Empty(await AlertsOfAsync(id));

        // The dispatcher looks the words up in the local gazetteer and picks the crossing.
        var lookup = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/places?q=" + Uri.EscapeDataString("Cedar Ave iyo Riverside")))!;
        var first = lookup["candidates"]!.AsArray()[0]!;
        Assert.Equal("intersection", first["kind"]!.GetValue<string>());
        Assert.Equal("Cedar Riverside", first["zone"]!.GetValue<string>());
        var placed = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/place", new { gazetteer = new { query = "Cedar Ave iyo Riverside", index = 0 } });
        Assert.Equal(HttpStatusCode.OK, placed.StatusCode);
        var detail = await DetailAsync(dispatcher, id);
        double lat = detail["sighting"]!["lat"]!.GetValue<double>(), lon = detail["sighting"]!["lon"]!.GetValue<double>();
        Assert.Equal(first["lat"]!.GetValue<double>(), lat, 5);
        Assert.Equal(first["lon"]!.GetValue<double>(), lon, 5);
        Assert.Equal("gazetteer", detail["sighting"]!["placedHow"]!.GetValue<string>());
        var entry = detail["history"]!.AsArray().Last()!;
        Assert.StartsWith("placed by gazetteer: Cedar Ave S & Riverside Ave", entry["note"]!.GetValue<string>());
        Assert.StartsWith("dispatcher-", entry["actor"]!.GetValue<string>());

        // A circle around the placed position: previewed, and the preview says the area holds the sighting.
        var preview = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { sightingId = id, circle = Circle(lat, lon) });
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.True((await preview.Content.ReadFromJsonAsync<JsonObject>())!["areaContainsSighting"]!.GetValue<bool>());

        // The city-centre circle misses it: the preview says so, and sending it is refused unless acknowledged.
        var miss = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", downtown);
        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.False((await miss.Content.ReadFromJsonAsync<JsonObject>())!["areaContainsSighting"]!.GetValue<bool>());
        var refusedSend = await dispatcher.PostAsJsonAsync("/api/v1/alerts", downtown);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedSend.StatusCode);
        Assert.Equal(Outside, (await refusedSend.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>());
        Assert.Empty(await AlertsOfAsync(id));

        // Zones count too: the sighting's neighbourhood holds it.
        var byZone = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { sightingId = id, zones = new[] { CedarRiversideZone } });
        Assert.True((await byZone.Content.ReadFromJsonAsync<JsonObject>())!["areaContainsSighting"]!.GetValue<bool>());

        // Sent where it is: accepted, no acknowledgement needed.
        var sent = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = id, circle = Circle(lat, lon) });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        // Sent anyway outside it: accepted with the acknowledgement, which goes on the sighting's record.
        // (as a drill: the sighting has its one live alert now, §2)
        var anyway = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = id, drill = true, circle = Circle(44.9778, -93.265, 1000), outsideAreaAcknowledged = true });
        Assert.Equal(HttpStatusCode.Created, anyway.StatusCode);
        var history = (await DetailAsync(dispatcher, id))["history"]!.AsArray();
        Assert.Contains(history, h => h!["note"]?.GetValue<string>()?.Contains("does not contain the sighting's position (acknowledged)") == true);
        Assert.Equal(2, (await AlertsOfAsync(id)).Count);
    }

    [Fact]
    public async Task Placing_by_pin_then_by_neighbourhood_is_recorded_each_time()
    {
        var (id, dispatcher) = await UnplacedAsync("by the laundromat");
        var pin = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/place", new { point = new { lat = 44.94851, lon = -93.26242 } });
        Assert.Equal(HttpStatusCode.OK, pin.StatusCode);
        var s = (await pin.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("pin", s["placedHow"]!.GetValue<string>());
        Assert.Equal(44.94851, s["lat"]!.GetValue<double>(), 5);

        var zone = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/place", new { zoneId = CedarRiversideZone });
        Assert.Equal(HttpStatusCode.OK, zone.StatusCode);
        s = (await zone.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("zone", s["placedHow"]!.GetValue<string>());
        Assert.Equal(CedarRiversideZone, s["placedZoneId"]!.GetValue<int>());

        // The zone's representative point is inside the zone: an alert to the zone holds it.
        var preview = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { sightingId = id, zones = new[] { CedarRiversideZone } });
        Assert.True((await preview.Content.ReadFromJsonAsync<JsonObject>())!["areaContainsSighting"]!.GetValue<bool>());

        var notes = (await DetailAsync(dispatcher, id))["history"]!.AsArray().Select(h => h!["note"]?.GetValue<string>() ?? "").ToList();
        Assert.Contains(notes, n => n.StartsWith("placed by pin:"));
        Assert.Contains(notes, n => n.StartsWith("moved by zone: Cedar Riverside"));
    }

    [Fact]
    public async Task Placing_refuses_bad_input_other_roles_and_closed_sightings()
    {
        var (id, dispatcher) = await UnplacedAsync();
        var verifier = await app.StaffAsync("verifier");
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{id}/place", new { zoneId = CedarRiversideZone })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync("/api/v1/places?q=Cedar")).StatusCode);

        async Task Bad(object body, HttpStatusCode status, string? field = null)
        {
            var res = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/place", body);
            Assert.Equal(status, res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
            if (field is not null) Assert.NotNull((await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]![field]);
        }
        await Bad(new { }, HttpStatusCode.BadRequest, "place");
        await Bad(new { zoneId = CedarRiversideZone, point = new { lat = 44.96, lon = -93.25 } }, HttpStatusCode.BadRequest, "place");
        await Bad(new { point = new { lat = 0.0, lon = 0.0 } }, HttpStatusCode.BadRequest, "point");          // far outside the network
        await Bad(new { point = new { lat = 91.0, lon = -93.25 } }, HttpStatusCode.BadRequest);
        await Bad(new { zoneId = 9999 }, HttpStatusCode.BadRequest, "zoneId");
        await Bad(new { gazetteer = new { query = new string('x', 201), index = 0 } }, HttpStatusCode.BadRequest, "gazetteer.query");
        await Bad(new { gazetteer = new { query = "Cedar Ave & Riverside", index = -1 } }, HttpStatusCode.BadRequest, "gazetteer.index");
        await Bad(new { gazetteer = new { query = "Cedar Ave & Riverside", index = 5 } }, (HttpStatusCode)422);
        await Bad(new { gazetteer = new { query = "\u0000\u202e<script>", index = 0 } }, (HttpStatusCode)422);
        Assert.Equal(HttpStatusCode.NotFound, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{Guid.NewGuid()}/place", new { zoneId = CedarRiversideZone })).StatusCode);
        Assert.Null((await DetailAsync(dispatcher, id))["sighting"]!["lat"]); // nothing above placed it

        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.GetAsync("/api/v1/places")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.GetAsync("/api/v1/places?q=" + new string('a', 201))).StatusCode);
        var nothing = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/places?q=" + Uri.EscapeDataString("Nowhere Blvd & Imaginary St")))!;
        Assert.Empty(nothing["candidates"]!.AsArray());

        // A closed sighting is not placed.
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{id}/resolve", new { note = "gone" })).StatusCode);
        await Bad(new { zoneId = CedarRiversideZone }, HttpStatusCode.Conflict);
    }

    private async Task<List<Guid>> AlertsOfAsync(Guid sighting)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
        return await db.Alerts.Where(a => a.SightingId == sighting).Select(a => a.Id).ToListAsync();
    }
}

public sealed class PlacementTestsSqlite(SqliteApp app) : PlacementTests<SqliteApp>(app);

public sealed class PlacementTestsPostgres(PostgresApp app) : PlacementTests<PostgresApp>(app);

/// <summary>An admin's gazetteer replaces the shipped one; hostile files are refused whole (own app: the import is network-wide).</summary>
public abstract class GazetteerImportTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static StringContent Geo(string json, string type = "application/geo+json") => new(json, Encoding.UTF8, type);

    [Fact]
    public async Task An_admin_imports_a_gazetteer_hostile_files_are_refused_and_names_stay_text()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        const string file = """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"name":"Elm St"},"geometry":{"type":"LineString","coordinates":[[-93.27,44.95],[-93.26,44.95]]}},
              {"type":"Feature","properties":{"name":"Birch Ave"},"geometry":{"type":"MultiLineString","coordinates":[[[-93.265,44.94],[-93.265,44.96]]]}},
              {"type":"Feature","properties":{"name":"Corner Store\u0007 <img src=x onerror=alert(1)>"},"geometry":{"type":"Point","coordinates":[-93.266,44.951]}}]}
            """;
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsync("/api/v1/places/import", Geo(file))).StatusCode);

        async Task Refused(HttpContent body, HttpStatusCode status)
        {
            var res = await admin.PostAsync("/api/v1/places/import", body);
            Assert.Equal(status, res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        }
        await Refused(Geo(file, "text/plain"), HttpStatusCode.UnsupportedMediaType);
        await Refused(Geo("{\"type\":\"FeatureCollection\""), HttpStatusCode.BadRequest);
        await Refused(Geo("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Lake"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"""), HttpStatusCode.BadRequest);
        await Refused(new ByteArrayContent([0x7b, 0xff, 0xfe, 0x7d]) { Headers = { ContentType = new("application/json") } }, HttpStatusCode.BadRequest);
        await Refused(Geo("{\"type\":\"FeatureCollection\",\"features\":[" + new string(' ', 9 * 1024 * 1024) + "]}"), HttpStatusCode.RequestEntityTooLarge);
        // Nothing was changed: the shipped streets still answer.
        Assert.NotEmpty((await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/places?q=Cedar%20%26%20Riverside"))!["candidates"]!.AsArray());

        var ok = await admin.PostAsync("/api/v1/places/import", Geo(file));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var result = (await ok.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, result["streets"]!.GetValue<int>());
        Assert.Equal(1, result["landmarks"]!.GetValue<int>());

        var crossing = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/places?q=" + Uri.EscapeDataString("Elm y Birch")))!["candidates"]!.AsArray();
        var c = Assert.Single(crossing)!;
        Assert.Equal("Elm St & Birch Ave", c["label"]!.GetValue<string>());
        Assert.Equal(44.95, c["lat"]!.GetValue<double>(), 4);
        Assert.Equal(-93.265, c["lon"]!.GetValue<double>(), 4);
        var store = Assert.Single((await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/places?q=corner%20store"))!["candidates"]!.AsArray())!;
        Assert.Equal("Corner Store <img src=x onerror=alert(1)>", store["label"]!.GetValue<string>()); // control character gone; the rest is text
        // The import replaced the shipped streets.
        Assert.Empty((await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/places?q=Cedar%20%26%20Riverside"))!["candidates"]!.AsArray());
    }
}

public sealed class GazetteerImportTestsSqlite(SqliteApp app) : GazetteerImportTests<SqliteApp>(app);

public sealed class GazetteerImportTestsPostgres(PostgresApp app) : GazetteerImportTests<PostgresApp>(app);

/// <summary>A network elsewhere never gets the demo's Minneapolis streets.</summary>
public sealed class GazetteerElsewhereTests
{
    [Fact]
    public async Task A_network_that_is_not_the_demo_has_no_Minneapolis_streets()
    {
        using var app = new CustomApp(new() { ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://alerts.example.org/" });
        _ = app.CreateClient(); // starts the host: the network is set up
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
        var gazetteer = await scope.ServiceProvider.GetRequiredService<Whistle.Places.GazetteerRegistry>().CurrentAsync(db, default);
        Assert.Equal(0, gazetteer.StreetCount);
        Assert.Empty(gazetteer.Lookup("Cedar Ave & Riverside Ave"));
    }
}
