using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using NetTopologySuite.Geometries;
using Whistle.Alerts;
using Whistle.Geo;
using Whistle.Network;
using Whistle.Reports;

namespace Whistle.Tests.Unit;

/// <summary>The OASIS CAP 1.2 schema shipped in src/Whistle/Resources, and the checks the schema cannot make.</summary>
public static class CapSchema
{
    public static readonly XNamespace Ns = CapMessage.Namespace;

    private static readonly Lazy<XmlSchemaSet> Set = new(() =>
    {
        using var stream = typeof(CapMessage).Assembly.GetManifestResourceStream("Whistle.Resources.CAP-v1.2.xsd")
            ?? throw new InvalidOperationException("CAP-v1.2.xsd is not embedded.");
        var set = new XmlSchemaSet();
        set.Add(XmlSchema.Read(stream, null)!);
        set.Compile();
        return set;
    });

    /// <summary>Fails the test unless the message validates against the XSD and CAP's own rules on identifiers and polygons.</summary>
    public static XElement Valid(XDocument doc)
    {
        // Validate a re-parsed copy, so what is checked is the text a consumer would read.
        var parsed = XDocument.Parse(doc.ToString());
        Assert.Empty(Errors(parsed));
        return CapRules(parsed.Root!);
    }

    /// <summary>What the XSD says is wrong (warnings too: an element the schema does not know is one).</summary>
    public static List<string> Errors(XDocument doc)
    {
        var errors = new List<string>();
        // The validator quietly passes a root the schema set does not declare: say so.
        if (doc.Root?.Name != Ns + "alert") errors.Add($"the root is {doc.Root?.Name}, not a CAP 1.2 alert");
        doc.Validate(Set.Value, (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }

    /// <summary>Validates a CAP message served as text (XmlReader, DTDs prohibited).</summary>
    public static XElement Valid(string xml)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, ValidationType = ValidationType.Schema, Schemas = Set.Value };
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message}");
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        var doc = XDocument.Load(reader);
        Assert.Empty(errors);
        return CapRules(doc.Root!);
    }

    /// <summary>Validates a CAP &lt;alert&gt; element embedded elsewhere (an Atom entry's content).</summary>
    public static XElement Valid(XElement alert) => Valid(new XDocument(new XElement(alert)));

    private static XElement CapRules(XElement alert)
    {
        Assert.Equal(Ns + "alert", alert.Name);
        foreach (var name in new[] { "identifier", "sender" })
            Assert.Matches(@"^[^\s,<&]+$", alert.Element(Ns + name)!.Value);
        foreach (var polygon in alert.Descendants(Ns + "polygon"))
        {
            var points = polygon.Value.Split(' ');
            Assert.True(points.Length >= 4, "a CAP polygon needs at least four points");
            Assert.Equal(points[0], points[^1]);
        }
        return alert;
    }

    public static string Text(this XElement e, string name) => e.Element(Ns + name)?.Value ?? throw new Xunit.Sdk.XunitException($"no <{name}>");
    public static IEnumerable<XElement> Infos(this XElement alert) => alert.Elements(Ns + "info");
}

public class CapMessageTests
{
    private static readonly GeoPoint P = new(44.9485, -93.2555); // Midtown Phillips, Minneapolis
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 15, 4, 5, 678, TimeSpan.Zero);
    private static readonly TemplateSet Templates = TemplateSet.From(DefaultTemplates.All());
    private const int MidtownPhillips = 86, Islands = 1000, Ring = 1001;

    private static readonly ZoneCatalog Zones = new(DemoNetwork.Zones().Select(z => (z.Id, z.Name, z.GeoJson)).Concat([
        // Two islands, one with a lake: a multipolygon zone.
        (Islands, "The Islands", """{"type":"MultiPolygon","coordinates":[[[[-93.30,44.90],[-93.29,44.90],[-93.29,44.91],[-93.30,44.91],[-93.30,44.90]],[[-93.297,44.903],[-93.293,44.903],[-93.293,44.907],[-93.297,44.903]]],[[[-93.28,44.90],[-93.27,44.90],[-93.27,44.91],[-93.28,44.90]]]]}"""),
        (Ring, "Ring Road", RoundZone(new GeoPoint(44.95, -93.20), 1500, 1000)),
    ]));

    private static readonly CapContext Context = new("whistle@alerts.example.org", "Twin Cities Rapid Response", "https://alerts.example.org/", Templates, Zones);

    private static string RoundZone(GeoPoint centre, double meters, int points)
    {
        var ring = Enumerable.Range(0, points).Select(i => centre.Offset(meters * (1 + 0.05 * Math.Sin(i * 0.7)), 360.0 * i / points)).ToList();
        ring.Add(ring[0]);
        return """{"type":"Polygon","coordinates":[[""" + string.Join(',', ring.Select(p => FormattableString.Invariant($"[{p.Lon},{p.Lat}]"))) + "]]}";
    }

    private static Alert Original(bool circle = true, int[]? zones = null, bool drill = false, string place = "Midtown Phillips")
    {
        var a = new Alert
        {
            Seq = 7, Kind = AlertKind.Alert, Drill = drill, Activity = Activity.Checkpoint, Place = place,
            SightingId = Guid.NewGuid(), SentBy = "dispatcher-dana@staff.test",
            CircleLat = circle ? P.Lat : null, CircleLon = circle ? P.Lon : null, CircleRadiusMeters = circle ? 1000 : null,
            Zones = string.Join(',', zones ?? []), OriginLat = P.Lat, OriginLon = P.Lon,
            SentAt = T0, ExpiresAt = T0.AddHours(4),
        };
        a.Messages = Templates.Render(a, T0.AddMinutes(-5), TimeZoneInfo.Utc);
        return a;
    }

    private static Alert FollowUp(Alert original, AlertKind kind, long seq, TimeSpan after, CancelReason? reason = null)
    {
        var f = new Alert
        {
            Seq = seq, Kind = kind, ReferencesId = original.Id, SightingId = original.SightingId, Drill = original.Drill,
            Activity = original.Activity, Place = original.Place, CircleLat = original.CircleLat, CircleLon = original.CircleLon,
            CircleRadiusMeters = original.CircleRadiusMeters, Zones = original.Zones, OriginLat = original.OriginLat,
            OriginLon = original.OriginLon, CancelReason = reason, SentAt = T0 + after,
            ExpiresAt = kind == AlertKind.Cancel ? T0 + after : original.ExpiresAt, SentBy = "someone-else@staff.test",
        };
        f.Messages = Templates.Render(f, original.SentAt, TimeZoneInfo.Utc);
        return f;
    }

    [Fact]
    public void An_alert_with_a_circle_is_valid_CAP_with_four_languages_and_the_radius_in_kilometres_around_a_coarsened_centre()
    {
        var alert = Original();
        var cap = CapSchema.Valid(CapMessage.Build(alert, [alert], Context));

        Assert.Equal($"urn:uuid:{alert.Id}", cap.Text("identifier"));
        Assert.Equal("whistle@alerts.example.org", cap.Text("sender"));
        Assert.Equal("2026-11-26T15:04:05-00:00", cap.Text("sent")); // no fraction, no "Z"
        Assert.Equal("Actual", cap.Text("status"));
        Assert.Equal("Alert", cap.Text("msgType"));
        Assert.Equal("Public", cap.Text("scope"));
        Assert.Null(cap.Element(CapSchema.Ns + "references"));
        Assert.Null(cap.Element(CapSchema.Ns + "note"));

        Assert.Equal(["en-US", "es-US", "so", "hmn"], cap.Infos().Select(i => i.Text("language")));
        foreach (var info in cap.Infos())
        {
            Assert.Equal("Safety", info.Text("category"));
            Assert.Equal("Monitor", info.Text("responseType"));
            Assert.Equal("Immediate", info.Text("urgency"));
            Assert.Equal("Moderate", info.Text("severity"));
            Assert.Equal("Observed", info.Text("certainty"));
            Assert.Equal("2026-11-26T15:04:05-00:00", info.Text("effective"));
            Assert.Equal("2026-11-26T19:04:05-00:00", info.Text("expires"));
            Assert.Equal("Twin Cities Rapid Response", info.Text("senderName"));
            Assert.Contains("Midtown Phillips", info.Text("headline"));
            Assert.True(info.Text("headline").Length <= 160);
            Assert.StartsWith($"https://alerts.example.org/?lang=", info.Text("web"));
            Assert.EndsWith($"#alert-{alert.Id}", info.Text("web"));
            Assert.Equal("Midtown Phillips", info.Element(CapSchema.Ns + "area")!.Text("areaDesc"));
        }
        var es = cap.Infos().Single(i => i.Text("language") == "es-US");
        Assert.Equal("retén", es.Text("event"));
        Assert.Equal(alert.Messages["es"], es.Text("description"));
        Assert.StartsWith("VERIFICADO: retén cerca de Midtown Phillips", es.Text("headline"));
        Assert.StartsWith("Conozca sus derechos", es.Text("instruction"));
        Assert.StartsWith("LA XAQIIJIYAY: baaritaan waddo", cap.Infos().Single(i => i.Text("language") == "so").Text("description"));

        // "lat,lon radius": the radius in km, the centre on the public grid, and the CAP circle covers the sent one.
        var circle = Assert.Single(cap.Infos().First().Descendants(CapSchema.Ns + "circle")).Value;
        Assert.All(cap.Descendants(CapSchema.Ns + "circle"), c => Assert.Equal(circle, c.Value));
        var m = Regex.Match(circle, @"^(-?\d+\.\d+),(-?\d+\.\d+) (\d+\.\d+)$");
        Assert.True(m.Success, circle);
        var centre = new GeoPoint(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        double km = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.Equal(P.Coarsen(200), centre);
        Assert.NotEqual(P, centre);
        Assert.InRange(km, 1.0, 1.2);
        Assert.True(centre.DistanceTo(P) + 1000 <= km * 1000, "the CAP circle must cover the alert's circle");
    }

    [Fact]
    public void The_schema_check_refuses_what_CAP_refuses()
    {
        var alert = Original();
        var good = CapMessage.Build(alert, [alert], Context);
        Assert.Empty(CapSchema.Errors(good));

        var zulu = new XDocument(good);
        zulu.Root!.Element(CapSchema.Ns + "sent")!.Value = "2026-11-26T15:04:05Z";
        Assert.NotEmpty(CapSchema.Errors(zulu));
        var fraction = new XDocument(good);
        fraction.Root!.Element(CapSchema.Ns + "sent")!.Value = "2026-11-26T15:04:05.678-00:00";
        Assert.NotEmpty(CapSchema.Errors(fraction));
        var category = new XDocument(good);
        category.Root!.Element(CapSchema.Ns + "info")!.Element(CapSchema.Ns + "category")!.Value = "Immigration";
        Assert.NotEmpty(CapSchema.Errors(category));
        var order = new XDocument(good);
        order.Root!.Element(CapSchema.Ns + "scope")!.Remove();
        Assert.NotEmpty(CapSchema.Errors(order));
        var wrongNamespace = XDocument.Parse(good.ToString().Replace(CapMessage.Namespace, "urn:oasis:names:tc:emergency:cap:1.1"));
        Assert.NotEmpty(CapSchema.Errors(wrongNamespace));
    }

    [Fact]
    public void Nothing_about_the_people_behind_an_alert_is_in_its_CAP()
    {
        var alert = Original();
        var xml = CapMessage.Build(alert, [alert], Context).ToString();
        Assert.DoesNotContain("dispatcher-dana", xml);
        Assert.DoesNotContain("staff.test", xml);
        Assert.DoesNotContain(alert.SightingId!.Value.ToString(), xml);
        Assert.DoesNotContain(P.Lat.ToString(CultureInfo.InvariantCulture), xml); // the exact point
    }

    [Fact]
    public void Zones_become_polygons_in_lat_lon_order_closed_and_containing_the_zone()
    {
        var zone = Zones.Get(MidtownPhillips);
        var alert = Original(circle: false, zones: [MidtownPhillips, Islands]);
        var cap = CapSchema.Valid(CapMessage.Build(alert, [alert], Context));

        var areas = cap.Infos().First().Elements(CapSchema.Ns + "area").ToList();
        Assert.Equal(["Midtown Phillips", "The Islands"], areas.Select(a => a.Text("areaDesc")));
        Assert.Empty(cap.Descendants(CapSchema.Ns + "circle"));

        var polygon = Assert.Single(areas[0].Elements(CapSchema.Ns + "polygon")).Value;
        var points = Parse(polygon);
        Assert.All(points, p => { Assert.InRange(p.Lat, 44.8, 45.1); Assert.InRange(p.Lon, -93.4, -93.1); }); // lat first
        Assert.Equal(points[0], points[^1]);
        Assert.True(Shape(points).Contains(new Point(zone.Label.Lon, zone.Label.Lat)));

        // A multipolygon: one polygon per part, outer rings only (the lake's hole is dropped).
        var parts = areas[1].Elements(CapSchema.Ns + "polygon").Select(p => Parse(p.Value)).ToList();
        Assert.Equal(2, parts.Count);
        Assert.Equal(5, parts[0].Count);
        Assert.Equal(new GeoPoint(44.90, -93.30), parts[0][0]);
        Assert.Equal(4, parts[1].Count);
        Assert.True(Shape(parts[0]).Contains(new Point(-93.295, 44.905)), "inside the dropped hole is inside the area");
    }

    [Fact]
    public void A_huge_ring_is_simplified_to_at_most_100_points_and_keeps_its_shape()
    {
        var alert = Original(circle: false, zones: [Ring]);
        var cap = CapSchema.Valid(CapMessage.Build(alert, [alert], Context));
        var points = Parse(Assert.Single(cap.Infos().First().Descendants(CapSchema.Ns + "polygon")).Value);
        Assert.InRange(points.Count, 4, CapMessage.MaxPolygonPoints);
        var original = Zones.Get(Ring).Wgs84;
        var simplified = Shape(points);
        // Within a few per cent of the area, and the centre still inside.
        Assert.InRange(simplified.Area / original.Area, 0.97, 1.03);
        Assert.True(simplified.Contains(new Point(-93.20, 44.95)));
        // Every real zone of the demo fits too.
        foreach (var z in Zones.All)
            Assert.All(CapMessage.Polygons(z.Wgs84), p => Assert.InRange(p.Split(' ').Length, 4, CapMessage.MaxPolygonPoints));
    }

    [Fact]
    public void Updates_and_cancels_reference_every_earlier_message_of_the_chain()
    {
        var original = Original();
        var update1 = FollowUp(original, AlertKind.Update, 9, TimeSpan.FromMinutes(10));
        var update2 = FollowUp(original, AlertKind.Update, 12, TimeSpan.FromMinutes(20));
        var cancel = FollowUp(original, AlertKind.Cancel, 15, TimeSpan.FromMinutes(30), CancelReason.AllClear);
        var unrelated = Original();
        unrelated.Seq = 10;
        Alert[] chain = [cancel, update2, original, update1, unrelated];

        string Ref(Alert a) => $"whistle@alerts.example.org,urn:uuid:{a.Id},{CapMessage.Time(a.SentAt)}";

        var u1 = CapSchema.Valid(CapMessage.Build(update1, chain, Context));
        Assert.Equal("Update", u1.Text("msgType"));
        Assert.Equal(Ref(original), u1.Text("references"));
        Assert.Equal($"urn:uuid:{original.Id}", u1.Text("incidents"));
        Assert.Equal("whistle@alerts.example.org,urn:uuid:" + original.Id + ",2026-11-26T15:04:05-00:00", u1.Text("references"));

        var u2 = CapSchema.Valid(CapMessage.Build(update2, chain, Context));
        Assert.Equal($"{Ref(original)} {Ref(update1)}", u2.Text("references"));
        Assert.All(u2.Infos(), i => Assert.Equal("Monitor", i.Text("responseType")));
        Assert.Contains("UPDATE", u2.Infos().First().Text("description"));

        var c = CapSchema.Valid(CapMessage.Build(cancel, chain, Context));
        Assert.Equal("Cancel", c.Text("msgType"));
        Assert.Equal($"{Ref(original)} {Ref(update1)} {Ref(update2)}", c.Text("references"));
        Assert.Contains("All clear", c.Text("note"));
        Assert.All(c.Infos(), i =>
        {
            Assert.Equal("AllClear", i.Text("responseType"));
            Assert.Equal("Past", i.Text("urgency"));
            Assert.Null(i.Element(CapSchema.Ns + "instruction"));
            Assert.Equal(CapMessage.Time(cancel.SentAt + TimeSpan.FromHours(24)), i.Text("expires"));
        });
        Assert.StartsWith("ALL CLEAR", c.Infos().First().Text("description"));
        Assert.StartsWith("FIN DE ALERTA", c.Infos().ElementAt(1).Text("description"));
    }

    [Fact]
    public void A_false_alarm_is_a_cancel_that_says_so_in_every_language()
    {
        var original = Original(zones: [MidtownPhillips]);
        var cancel = FollowUp(original, AlertKind.Cancel, 8, TimeSpan.FromMinutes(3), CancelReason.FalseAlarm);
        var cap = CapSchema.Valid(CapMessage.Build(cancel, [original, cancel], Context));
        Assert.Equal("Cancel", cap.Text("msgType"));
        Assert.Equal("Actual", cap.Text("status"));
        Assert.Contains("False alarm", cap.Text("note"));
        Assert.Equal($"whistle@alerts.example.org,urn:uuid:{original.Id},2026-11-26T15:04:05-00:00", cap.Text("references"));
        Assert.All(cap.Infos(), i => { Assert.Equal("None", i.Text("responseType")); Assert.Equal("Unlikely", i.Text("certainty")); });
        Assert.Equal(["FALSE ALARM", "FALSA ALARMA", "DIGNIIN BEEN AH", "TSIS TSEEB"],
            cap.Infos().Select(i => i.Text("headline").Split(':')[0]));
        // The area goes with it, so a follower can find what to retract even without the original.
        Assert.Single(cap.Infos().First().Descendants(CapSchema.Ns + "circle"));
        Assert.Single(cap.Infos().First().Descendants(CapSchema.Ns + "polygon"));
    }

    [Fact]
    public void A_drill_is_an_Exercise_labelled_in_its_note_and_every_text()
    {
        var drill = Original(drill: true);
        var cap = CapSchema.Valid(CapMessage.Build(drill, [drill], Context));
        Assert.Equal("Exercise", cap.Text("status"));
        Assert.Contains("Exercise", cap.Text("note"));
        Assert.All(cap.Infos(), i => Assert.Contains(i.Text("language") switch
        {
            "en-US" => "DRILL", "es-US" => "SIMULACRO", "so" => "TIJAABO", _ => "KEV XYAUM",
        }, i.Text("description")));
        var cancel = FollowUp(drill, AlertKind.Cancel, 8, TimeSpan.FromMinutes(3), CancelReason.AllClear);
        Assert.Equal("Exercise", CapSchema.Valid(CapMessage.Build(cancel, [drill, cancel], Context)).Text("status"));
    }

    [Fact]
    public void The_Atom_feed_has_one_entry_per_message_with_the_CAP_identifier_link_and_content()
    {
        var original = Original(circle: false, zones: [MidtownPhillips]);
        var cancel = FollowUp(original, AlertKind.Cancel, 8, TimeSpan.FromMinutes(3), CancelReason.AllClear);
        var feed = AtomFeed.Build([cancel, original], Context, cancel.SentAt);
        XNamespace atom = "http://www.w3.org/2005/Atom";
        Assert.Equal("https://alerts.example.org/feeds/alerts.atom", feed.Root!.Element(atom + "id")!.Value);
        Assert.Equal("2026-11-26T15:07:05Z", feed.Root.Element(atom + "updated")!.Value);
        var entries = feed.Root.Elements(atom + "entry").ToList();
        Assert.Equal([$"urn:uuid:{cancel.Id}", $"urn:uuid:{original.Id}"], entries.Select(e => e.Element(atom + "id")!.Value));
        var first = entries[0];
        Assert.StartsWith("ALL CLEAR", first.Element(atom + "title")!.Value);
        Assert.Equal($"https://alerts.example.org/api/v1/alerts/{cancel.Id}.cap", first.Elements(atom + "link").Single().Attribute("href")!.Value);
        var cap = CapSchema.Valid(first.Element(atom + "content")!.Element(CapSchema.Ns + "alert")!);
        Assert.Equal("Cancel", cap.Text("msgType"));
        Assert.StartsWith($"whistle@alerts.example.org,urn:uuid:{original.Id},", cap.Text("references"));
    }

    [Theory]
    [InlineData("St. Anthony West")]
    [InlineData("Lake St. & Bloomington Ave, by the <big> store")]
    public void Headlines_keep_the_whole_place_and_text_is_escaped(string place)
    {
        var alert = Original(place: place);
        var cap = CapSchema.Valid(CapMessage.Build(alert, [alert], Context));
        Assert.All(cap.Infos(), i => Assert.Contains(place + ",", i.Text("headline")));
        Assert.Equal(place, cap.Infos().First().Descendants(CapSchema.Ns + "areaDesc").First().Value);
    }

    [Fact]
    public void The_default_sender_is_whistle_at_the_public_host_and_a_bad_sender_is_refused()
    {
        Assert.Equal("whistle@alerts.example.org", CapContext.DefaultSender("https://alerts.example.org:8443/base/"));
        Assert.True(CapOptions.IsValidSender("ops@rapid-response.example"));
        Assert.False(CapOptions.IsValidSender("Rapid Response"));
        Assert.False(CapOptions.IsValidSender("a,b"));
    }

    private static List<GeoPoint> Parse(string polygon) => polygon.Split(' ').Select(pair =>
    {
        var xy = pair.Split(',');
        return new GeoPoint(double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture));
    }).ToList();

    private static Polygon Shape(List<GeoPoint> points) =>
        new GeometryFactory().CreatePolygon(points.Select(p => new Coordinate(p.Lon, p.Lat)).ToArray());
}
