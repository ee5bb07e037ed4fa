using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Geo;
using Whistle.Registry;

namespace Whistle.Tests.Api;

/// <summary>
/// The public registry over HTTP: only published incidents, only the documented fields, nothing personal in
/// any response — the list, the CSV, the GeoJSON, the statistics, the charts, the page.
/// </summary>
public abstract class RegistryTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public async Task The_registry_lists_only_published_incidents_with_only_the_documented_fields_in_every_format_and_no_personal_data()
    {
        var anonymous = app.CreateClient();
        // Whatever was already published (a demo incident, once there is one) is the baseline.
        var before = (await anonymous.GetFromJsonAsync<JsonObject>("/api/v1/registry/stats"))!;
        var seeded = await RegistrySeed.IncidentsAsync(app);
        var zones = app.Services.GetRequiredService<ZoneRegistry>().Current;
        var ids = seeded.Published.Select(i => RegistryRow.PublicId(i.Id)).ToList();
        var hiddenId = RegistryRow.PublicId(seeded.Hidden.Id);

        var bodies = new Dictionary<string, string>();
        async Task<HttpResponseMessage> Get(string url)
        {
            var res = await anonymous.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            bodies[url] = await res.Content.ReadAsStringAsync();
            return res;
        }

        // The JSON list: exactly the documented fields, in every row.
        await Get("/api/v1/registry/incidents");
        var list = JsonNode.Parse(bodies["/api/v1/registry/incidents"])!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.All(list, row => Assert.Equal(RegistryRow.Fields, row.Select(p => p.Key).ToList()));
        Assert.Equal(before["incidents"]!.GetValue<int>() + 4, list.Count);
        Assert.DoesNotContain(list, r => (string)r["id"]! == hiddenId);
        var mine = ids.Select(id => list.Single(r => (string)r["id"]! == id)).ToList();

        var first = mine[0];
        var zone = zones.ZoneAt(new GeoPoint(44.948517, -93.255529))!;
        Assert.Equal("2026-01", (string)first["month"]!);
        Assert.Equal(zone.Name, (string)first["area"]!);
        Assert.Equal(Math.Round(zone.Label.Lat, 4), (double)first["lat"]!);
        Assert.Equal(Math.Round(zone.Label.Lon, 4), (double)first["lon"]!);
        Assert.Equal("home_raid", (string)first["category"]!);
        Assert.Equal(["ice", "cbp"], first["agencies"]!.AsArray().Select(a => (string)a!));
        Assert.Equal((3, 1, 0), ((int)first["peopleAffected"]!, (int)first["injured"]!, (int)first["deaths"]!));
        Assert.Equal("referred", (string)first["status"]!);
        Assert.Equal((RegistryRow.UnknownArea, (JsonNode?)null), ((string)mine[2]["area"]!, mine[2]["lat"]));
        Assert.Equal((RegistryRow.UnknownArea, 44.94, -93.09), ((string)mine[3]["area"]!, (double)mine[3]["lat"]!, (double)mine[3]["lon"]!));
        Assert.Equal(["police", "other"], mine[3]["agencies"]!.AsArray().Select(a => (string)a!));

        // CSV: RFC 4180 with the documented header, one record per row.
        var csvResponse = await Get("/api/v1/registry/incidents.csv");
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", csvResponse.Content.Headers.ContentType.CharSet);
        var csvText = bodies["/api/v1/registry/incidents.csv"];
        Assert.EndsWith("\r\n", csvText);
        var csv = ParseCsv(csvText);
        Assert.Equal(RegistryRow.Fields, csv[0]);
        Assert.Equal(list.Count + 1, csv.Count);
        Assert.All(csv, record => Assert.Equal(RegistryRow.Fields.Count, record.Count));
        var csvFirst = csv.Single(r => r[0] == ids[0]);
        Assert.Equal(["2026-01", zone.Name, "home_raid", "ice;cbp", "3", "1", "0", "referred"],
            new[] { csvFirst[1], csvFirst[2], csvFirst[5], csvFirst[6], csvFirst[7], csvFirst[8], csvFirst[9], csvFirst[10] });
        Assert.Equal(("", ""), (csv.Single(r => r[0] == ids[2])[3], csv.Single(r => r[0] == ids[2])[4]));

        // GeoJSON: an RFC 7946 FeatureCollection of Points at [lon, lat]; properties are the fields but lat and lon.
        var geoResponse = await Get("/api/v1/registry/incidents.geojson");
        Assert.Equal("application/geo+json", geoResponse.Content.Headers.ContentType!.MediaType);
        var geo = JsonNode.Parse(bodies["/api/v1/registry/incidents.geojson"])!.AsObject();
        Assert.Equal("FeatureCollection", (string)geo["type"]!);
        var features = geo["features"]!.AsArray().Select(f => f!.AsObject()).ToList();
        Assert.Equal(list.Count, features.Count);
        Assert.All(features, f =>
        {
            Assert.Equal("Feature", (string)f["type"]!);
            Assert.Equal(RegistryRow.Fields.Except(["lat", "lon"]), f["properties"]!.AsObject().Select(p => p.Key));
        });
        var point = features.Single(f => (string)f["properties"]!["id"]! == ids[0])["geometry"]!;
        Assert.Equal("Point", (string)point["type"]!);
        Assert.Equal([Math.Round(zone.Label.Lon, 4), Math.Round(zone.Label.Lat, 4)], point["coordinates"]!.AsArray().Select(c => (double)c!));
        var stPaul = features.Single(f => (string)f["properties"]!["id"]! == ids[3])["geometry"]!["coordinates"]!.AsArray();
        Assert.Equal((-93.09, 44.94), ((double)stPaul[0]!, (double)stPaul[1]!)); // longitude first
        Assert.Null(features.Single(f => (string)f["properties"]!["id"]! == ids[2])["geometry"]);

        // Statistics: the published ones only (the unpublished file's two deaths are not counted).
        await Get("/api/v1/registry/stats");
        var after = JsonNode.Parse(bodies["/api/v1/registry/stats"])!.AsObject();
        int Delta(string key) => after[key]!.GetValue<int>() - before[key]!.GetValue<int>();
        Assert.Equal((4, 6, 1, 1), (Delta("incidents"), Delta("peopleAffected"), Delta("injured"), Delta("deaths")));
        int Count(JsonObject stats, string list, string keyName, string key) =>
            stats[list]!.AsArray().Where(e => (string)e![keyName]! == key).Sum(e => (int)e!["incidents"]!);
        int CountDelta(string l, string k, string v) => Count(after, l, k, v) - Count(before, l, k, v);
        Assert.Equal((2, 1, 1, 0), (CountDelta("byMonth", "month", "2026-01"), CountDelta("byMonth", "month", "2026-02"),
            CountDelta("byMonth", "month", "2026-03"), CountDelta("byCategory", "category", "death")));
        Assert.Equal((2, 1, 1), (CountDelta("byCategory", "category", "arrest"), CountDelta("byCategory", "category", "home_raid"), CountDelta("byCategory", "category", "shooting")));
        Assert.Equal((2, 1, 2, 1), (CountDelta("byAgency", "agency", "ice"), CountDelta("byAgency", "agency", "cbp"),
            CountDelta("byAgency", "agency", "police"), CountDelta("byAgency", "agency", "other")));
        var januaryDeaths = after["byMonth"]!.AsArray().Single(m => (string)m!["month"]! == "2026-01")!["deaths"]!.GetValue<int>();
        Assert.True(januaryDeaths >= 1);

        // The charts: well-formed SVG (no DTD), a bar per month / category with data, labels in the asked language.
        var monthlyResponse = await Get("/registry/charts/monthly.svg?lang=es");
        Assert.Equal("image/svg+xml", monthlyResponse.Content.Headers.ContentType!.MediaType);
        var monthly = ParseSvg(bodies["/registry/charts/monthly.svg?lang=es"]);
        var months = after["byMonth"]!.AsArray().Select(m => (string)m!["month"]!).ToList();
        Assert.Equal(months.Count, Bars(monthly).Count);
        Assert.Equal(months, Labels(monthly));
        Assert.Equal("Incidentes por mes", monthly.Root!.Element(Svg + "title")!.Value);
        Assert.Equal("img", (string?)monthly.Root.Attribute("role"));
        Assert.Equal("Incidentes por mes", (string?)monthly.Root.Attribute("aria-label"));
        Assert.Contains("2026-01: " + Count(after, "byMonth", "month", "2026-01"), monthly.Root.Element(Svg + "desc")!.Value);

        await Get("/registry/charts/categories.svg?lang=es");
        var categories = ParseSvg(bodies["/registry/charts/categories.svg?lang=es"]);
        Assert.Equal(after["byCategory"]!.AsArray().Count, Bars(categories).Count);
        Assert.Subset(Labels(categories).ToHashSet(), new HashSet<string> { "Arresto", "Redada en una casa", "Disparos" });
        Assert.Equal("Incidentes por tipo", categories.Root!.Element(Svg + "title")!.Value);

        await Get("/registry/charts/categories.svg?lang=hmn");
        var hmong = ParseSvg(bodies["/registry/charts/categories.svg?lang=hmn"]);
        Assert.Contains("Tua phom", Labels(hmong));
        Assert.Equal("Xwm txheej raws hom", hmong.Root!.Element(Svg + "title")!.Value);

        // The page and the schema, too.
        await Get("/registry?lang=en");
        Assert.Contains(ids[0], bodies["/registry?lang=en"]);
        await Get("/registry/schema");

        // Nothing personal, nothing unpublished, no exact position, anywhere.
        foreach (var (url, body) in bodies)
        {
            foreach (var secret in seeded.Secrets)
                Assert.False(body.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{url} contains \"{secret}\"");
            Assert.DoesNotContain(hiddenId, body);
        }
    }

    [Fact]
    public async Task The_schema_page_documents_every_field_and_the_registry_page_links_to_it_and_the_downloads()
    {
        var anonymous = app.CreateClient();
        var schema = await anonymous.GetStringAsync("/registry/schema");
        foreach (var field in RegistryRow.Fields)
            Assert.Contains($"<code>{field}</code>", schema);
        Assert.Contains("<table>", schema);
        var page = await anonymous.GetStringAsync("/registry?lang=so");
        Assert.Contains("lang=\"so\"", page);
        foreach (var link in new[] { "/registry/schema", "/api/v1/registry/incidents.csv", "/api/v1/registry/incidents.geojson", "/api/v1/registry/incidents", "/registry/charts/monthly.svg?lang=so" })
            Assert.Contains($"href=\"{link}\"", page);
        Assert.Contains("<a href=\"/registry\" aria-current=\"page\">La xisaabtan</a>", page);
    }

    private static List<List<string>> ParseCsv(string text)
    {
        // RFC 4180: records end in CRLF; a quoted field may hold commas, CRLF and doubled quotes.
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { record.Add(field.ToString()); field.Clear(); records.Add(record); record = []; i++; }
            else
            {
                Assert.False(c is '\r' or '\n' or '"', $"Bare {(int)c} outside quotes at {i}");
                field.Append(c);
            }
        }
        Assert.Empty(record);
        return records;
    }

    private static XDocument ParseSvg(string svg)
    {
        using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var doc = XDocument.Load(reader);
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        return doc;
    }

    private static List<XElement> Bars(XDocument doc) => doc.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
    private static List<string> Labels(XDocument doc) => doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "x-label").Select(t => t.Value).ToList();
}

public sealed class SqliteRegistryTests(EveryRowSqliteApp app) : RegistryTests<EveryRowSqliteApp>(app);

public sealed class PostgresRegistryTests(EveryRowPostgresApp app) : RegistryTests<EveryRowPostgresApp>(app);
