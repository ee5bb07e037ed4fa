using System.Text;
using System.Xml.Linq;
using Whistle.Federation;
using Whistle.Tests.Api;

namespace Whistle.Tests.Unit;

/// <summary>CAP 1.2 and Atom reading, without a host.</summary>
public sealed class FederationCapTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_circle_is_lat_lon_then_a_radius_in_kilometres_and_becomes_metres()
    {
        var c = Cap.Circle("44.9485,-93.2555 1.5");
        Assert.Equal(new CapCircle(44.9485, -93.2555, 1500), c);
        Assert.Equal(250, Cap.Circle(" 44.9,-93.2   0.25 ").RadiusMeters);
        Assert.Equal(0, Cap.Circle("44.9,-93.2 0").RadiusMeters); // a point
    }

    [Theory]
    [InlineData("-93.2555,44.9485 1.5")] // lon,lat: latitude out of range
    [InlineData("44.9485,-193.2 1")]
    [InlineData("44.9485 -93.2555 1")]
    [InlineData("44.9485,-93.2555")]
    [InlineData("44.9485,-93.2555 -1")]
    [InlineData("44.9485,-93.2555 501")]
    [InlineData("44.9485,-93.2555 NaN")]
    [InlineData("44.9485,-93.2555 1e400")]
    public void A_circle_off_the_earth_without_a_radius_or_with_an_absurd_one_is_refused(string text) =>
        Assert.Throws<FeedRejected>(() => Cap.Circle(text));

    [Fact]
    public void A_polygon_is_lat_lon_pairs_and_becomes_a_GeoJSON_ring_of_lon_lat()
    {
        var ring = Cap.Polygon("44.90,-93.30 44.90,-93.20 45.00,-93.20 45.00,-93.30 44.90,-93.30");
        Assert.Equal(5, ring.Length);
        Assert.Equal([-93.30, 44.90], ring[0]);
        Assert.Equal([-93.20, 44.90], ring[1]);
        Assert.Equal([-93.20, 45.00], ring[2]);
        Assert.Equal(ring[0], ring[^1]);
    }

    [Theory]
    [InlineData("44.90,-93.30 44.90,-93.20 45.00,-93.20 45.00,-93.30", "not closed")]
    [InlineData("44.90,-93.30 44.90,-93.20 44.90,-93.30", "fewer than four")]
    [InlineData("44.90,-93.30 44.90,-93.20 95.00,-93.20 44.90,-93.30", "out of range")]
    [InlineData("44.90;-93.30 44.90,-93.20 45.00,-93.20 44.90,-93.30", "not \"lat,lon\"")]
    public void A_broken_polygon_is_refused_with_its_reason(string text, string reason) =>
        Assert.Contains(reason, Assert.Throws<FeedRejected>(() => Cap.Polygon(text)).Reason);

    [Fact]
    public void A_message_is_read_per_the_standard_languages_to_their_primary_subtag_and_the_earliest_expiry()
    {
        var sent = Now.AddMinutes(-10);
        var xml = CapFixtures.Message("id-1", "s@example.org", sent, "Update", references: CapFixtures.Reference("s@example.org", "id-0", sent.AddMinutes(-5)),
            expires: Now.AddHours(2), infos: [CapFixtures.En("Checkpoint"), CapFixtures.Es("Retén", circle: null, polygon: "44.9,-93.3 44.9,-93.2 45.0,-93.2 44.9,-93.3")]);
        var m = Cap.Parse(XElement.Parse(xml), Now);
        Assert.Equal(("id-1", "s@example.org", "Update", "Actual", "Public"), (m.Identifier, m.Sender, m.MsgType, m.Status, m.Scope));
        Assert.Equal(sent, m.Sent);
        Assert.Equal([("s@example.org", "id-0")], m.References.Select(r => (r.Sender, r.Identifier)));
        Assert.Equal(["en", "es"], m.Infos.Select(i => i.Language));
        Assert.Equal(Now.AddHours(2), m.Expires);
        // The English areas are the ones used (info blocks repeat areas per language).
        Assert.Equal(1500, Assert.Single(Assert.Single(m.Areas).Circles).RadiusMeters);
        var row = FederationImport.ToRow("P", m, Now, 240);
        Assert.Equal("Retén", row.Headlines["es"]);
        Assert.Equal(Now.AddHours(2), row.ExpiresAt);
    }

    [Fact]
    public void Without_expires_a_message_is_shown_for_the_default_time_and_languages_default_to_English()
    {
        Assert.Equal("en", Cap.Language(null));
        Assert.Equal("es", Cap.Language("es-US"));
        Assert.Equal("hmn", Cap.Language("hmn"));
        Assert.Equal("so", Cap.Language("SO-us"));
        var m = Cap.Parse(XElement.Parse(CapFixtures.Message("id-2", "s", Now, infos: [CapFixtures.En("x")])), Now);
        Assert.Equal(Now.AddMinutes(240), FederationImport.ToRow("P", m, Now, 240).ExpiresAt);
        // Times with an offset are kept as the same instant in UTC.
        var central = Cap.Parse(XElement.Parse(CapFixtures.Message("id-3", "s", Now.ToOffset(TimeSpan.FromHours(-6)), infos: [CapFixtures.En("x")])), Now);
        Assert.Equal((Now, TimeSpan.Zero), (central.Sent, central.Sent.Offset));
    }

    [Theory]
    [InlineData("<b>Checkpoint</b>")]
    [InlineData("Checkpoint <img src=x onerror=alert(1)>")]
    [InlineData("See javascript:alert(1)")]
    [InlineData("</script>")]
    public void Text_with_markup_is_refused(string text) =>
        Assert.Contains("markup", Assert.Throws<FeedRejected>(() => Cap.CheckedText(text, 200, "headline")).Reason);

    [Fact]
    public void Plain_text_with_a_less_than_sign_between_numbers_is_kept() =>
        Assert.Equal("Agents < 5, vehicles > 2", Cap.CheckedText(" Agents < 5, vehicles > 2 ", 200, "headline"));

    [Fact]
    public void A_message_failing_the_CAP_schema_is_refused()
    {
        var xml = CapFixtures.Message("id-3", "s", Now, status: "Rumour", infos: [CapFixtures.En("x")]);
        Assert.Contains("CAP 1.2 schema", Assert.Throws<FeedRejected>(() => Cap.Parse(XElement.Parse(xml), Now)).Reason);
        var noScope = CapFixtures.Message("id-3", "s", Now, infos: [CapFixtures.En("x")]).Replace("<scope>Public</scope>", "");
        Assert.Contains("CAP 1.2 schema", Assert.Throws<FeedRejected>(() => Cap.Parse(XElement.Parse(noScope), Now)).Reason);
    }

    [Fact]
    public void A_DOCTYPE_is_refused_before_any_entity_is_expanded_and_the_size_is_capped()
    {
        var laughs = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY b \"bbbbbbbbbb\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]><feed xmlns=\"http://www.w3.org/2005/Atom\">&c;</feed>";
        Assert.Contains("DOCTYPE", Assert.Throws<FeedRejected>(() => AtomFeed.Load(Encoding.UTF8.GetBytes(laughs), 1_000_000)).Reason);
        var big = Encoding.UTF8.GetBytes("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>" + new string('x', 5000) + "</title></feed>");
        Assert.Contains("larger than", Assert.Throws<FeedRejected>(() => AtomFeed.Load(big, 1000)).Reason);
    }

    [Fact]
    public void An_entry_carries_its_embedded_CAP_or_its_cap_link_resolved_against_the_feed()
    {
        var cap = CapFixtures.Message("id-4", "s", Now, infos: [CapFixtures.En("x")]);
        var feed = CapFixtures.Feed("P", new CapFixtures.Entry("id-4", cap), new CapFixtures.Entry("id-5", cap, Embed: false, Link: "alerts/id-5.cap"));
        var entries = AtomFeed.Entries(AtomFeed.Load(Encoding.UTF8.GetBytes(feed), 100_000), new Uri("https://partner.example/api/v1/feed.atom"));
        Assert.Equal("id-4", Assert.IsType<XElement>(entries[0].Embedded).Element(XName.Get("identifier", Cap.Namespace))!.Value);
        Assert.Null(entries[1].Embedded);
        Assert.Equal(new Uri("https://partner.example/api/v1/alerts/id-5.cap"), entries[1].Link);
    }

    [Fact]
    public void A_relayed_area_is_a_circle_around_every_shape()
    {
        var area = new PartnerArea([new CapCircle(44.95, -93.26, 1000)], [[[-93.30, 44.90], [-93.20, 44.90], [-93.20, 45.00], [-93.30, 44.90]]]);
        var c = area.Enclosing()!.Value;
        Assert.True(c.Contains(new Whistle.Geo.GeoPoint(44.90, -93.30)));
        Assert.True(c.Contains(new Whistle.Geo.GeoPoint(45.00, -93.20)));
        Assert.True(c.Contains(new Whistle.Geo.GeoPoint(44.95, -93.26).Offset(999, 90)));
        Assert.Null(PartnerArea.Empty().Enclosing());
    }
}

/// <summary>What the public sees of partner alerts, without a host.</summary>
public sealed class FederationShownTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static PartnerAlert Row(string status = "Actual", string scope = "Public", PartnerAlertState state = PartnerAlertState.Active, int expiresInMinutes = 30) => new()
    {
        Partner = "P", Identifier = "i", Sender = "s", Sent = Now.AddMinutes(-5), MsgType = "Alert", Status = status, Scope = scope, State = state,
        ExpiresAt = Now.AddMinutes(expiresInMinutes), Headlines = new() { ["en"] = "Checkpoint" },
        Area = new PartnerArea([new CapCircle(44.9485, -93.2555, 20)], [[[-93.30, 44.90], [-93.20, 44.90], [-93.20, 45.00], [-93.30, 44.90]]]),
    };

    [Fact]
    public void Only_active_Actual_Public_unexpired_messages_are_shown()
    {
        Assert.True(Row().IsShown(Now));
        Assert.False(Row(status: "Exercise").IsShown(Now));
        Assert.False(Row(scope: "Restricted").IsShown(Now));
        Assert.False(Row(state: PartnerAlertState.Superseded).IsShown(Now));
        Assert.False(Row(state: PartnerAlertState.Cancelled).IsShown(Now));
        Assert.False(Row(expiresInMinutes: 0).IsShown(Now));
        Assert.False(Row(expiresInMinutes: -1).IsShown(Now));
    }

    [Fact]
    public void The_public_GeoJSON_has_a_point_with_a_radius_per_circle_and_a_lon_lat_polygon_per_polygon()
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(FederationApi.GeoJson([Row()]))!;
        var features = json["features"]!.AsArray();
        Assert.Equal(2, features.Count);
        Assert.Equal("Point", features[0]!["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal(50, features[0]!["properties"]!["radiusMeters"]!.GetValue<double>()); // shown at least 50 m wide
        Assert.Equal("Polygon", features[1]!["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal(-93.30, features[1]!["geometry"]!["coordinates"]![0]![0]![0]!.GetValue<double>());
        Assert.Equal(44.90, features[1]!["geometry"]!["coordinates"]![0]![0]![1]!.GetValue<double>());
        Assert.Equal("P", features[1]!["properties"]!["partner"]!.GetValue<string>());
    }

    [Fact]
    public void A_relayed_text_is_marked_as_the_partners_in_each_language_falling_back_to_English()
    {
        var row = Row();
        row.Partner = "Northside";
        row.Headlines = new() { ["en"] = "Checkpoint", ["es"] = "Retén" };
        row.Descriptions = new() { ["en"] = "On Lake St." };
        var text = FederationApi.RelayText(row);
        Assert.Equal("From Northside: Checkpoint. On Lake St.", text["en"]);
        Assert.Equal("De Northside: Retén", text["es"]);
        Assert.Equal("Ka Northside: Checkpoint. On Lake St.", text["so"]);
        row.Descriptions["en"] = new string('x', 2000);
        Assert.All(FederationApi.RelayText(row).Values, t => Assert.True(t.Length <= FederationApi.MaxRelayText));
    }
}
