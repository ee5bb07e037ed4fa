using System.Security.Cryptography;
using System.Text;
using Whistle.Alerts;
using Whistle.Geo;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

public class KeyRingTests
{
    [Fact]
    public void Encrypts_with_a_fresh_nonce_and_decrypts_only_with_the_same_purpose()
    {
        var ring = KeyRing.CreateNew();
        var a = ring.Encrypt("+16125550100", Purpose.SubscriberAddress);
        var b = ring.Encrypt("+16125550100", Purpose.SubscriberAddress);
        Assert.NotEqual(a, b);
        Assert.True(a.AsSpan().IndexOf(Encoding.UTF8.GetBytes("6125550100")) < 0);
        Assert.Equal("+16125550100", ring.Decrypt(a, Purpose.SubscriberAddress));
        Assert.ThrowsAny<CryptographicException>(() => ring.Decrypt(a, Purpose.ReporterContact));
        a[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => ring.Decrypt(a, Purpose.SubscriberAddress));
    }

    [Fact]
    public void Rotation_keeps_old_keys_for_reading_and_writes_under_the_new_one()
    {
        var v1 = KeyRing.CreateNew();
        var old = v1.Encrypt("a@example.org", Purpose.SubscriberAddress);
        var v2 = KeyRing.FromJson(v1.Rotate().ToJson());
        Assert.Equal(2, v2.CurrentVersion);
        Assert.False(v2.IsCurrent(old));
        Assert.Equal("a@example.org", v2.Decrypt(old, Purpose.SubscriberAddress));
        var fresh = v2.Encrypt("a@example.org", Purpose.SubscriberAddress);
        Assert.Equal(2, fresh[0]);
        Assert.True(v2.IsCurrent(fresh));
        // The look-up hash survives rotation, so a subscriber is still found by address.
        Assert.Equal(v1.Hash("Sms:+16125550100"), v2.Hash("Sms:+16125550100"));
        Assert.NotEqual(v1.Hash("Sms:+16125550100"), KeyRing.CreateNew().Hash("Sms:+16125550100"));
    }

    [Fact]
    public void The_key_file_is_created_once_with_owner_only_permissions()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var file = Path.Combine(dir, "keys.json");
            var first = KeyRing.Load(null, file);
            var second = KeyRing.Load(null, file);
            Assert.Equal(first.Hash("x"), second.Hash("x"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            // A ring from configuration wins over the file.
            var configured = KeyRing.CreateNew();
            Assert.Equal(configured.Hash("x"), KeyRing.Load(configured.ToJson(), file).Hash("x"));
        }
        finally { Directory.Delete(dir, true); }
    }
}

public class AddressTests
{
    [Theory]
    [InlineData("sms", "+1 (612) 555-0100", "+16125550100")]
    [InlineData("sms", "+252 61 555 0100", "+252615550100")]
    [InlineData("sms", "612-555-0100", "+16125550100")] // national form, the network's region (US by default; issue 12 §5)
    [InlineData("sms", "0100", null)]
    [InlineData("sms", "+0612555", null)]
    [InlineData("email", " Person@Example.ORG ", "person@example.org")]
    [InlineData("email", "no-at-sign.example.org", null)]
    [InlineData("email", "a@b", null)]
    [InlineData("webhook", "https://bots.example.org/hook?x=1", "https://bots.example.org/hook?x=1")]
    [InlineData("webhook", "http://bots.example.org/hook", null)]
    [InlineData("webhook", "http://127.0.0.1:9000/hook", "http://127.0.0.1:9000/hook")]
    [InlineData("webpush", "ftp://push.example.org/x", null)]
    public void Addresses_are_normalised_or_refused_with_a_reason(string channel, string raw, string? expected)
    {
        var c = Enum.Parse<SubscriberChannel>(channel, ignoreCase: true);
        Assert.Equal(expected, Addresses.Normalize(c, raw, out var error));
        Assert.Equal(expected is null, error is not null);
    }
}

public class TemplateTests
{
    private static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    [Fact]
    public void Every_language_has_every_key_and_only_English_starts_reviewed()
    {
        var all = DefaultTemplates.All().ToList();
        var keys = all.Where(t => t.Language == "en").Select(t => t.Key).ToHashSet();
        foreach (var lang in Languages.All)
        {
            Assert.Equal(keys, all.Where(t => t.Language == lang).Select(t => t.Key).ToHashSet());
            Assert.All(all.Where(t => t.Language == lang), t => Assert.Equal(lang != "en", t.NeedsReview));
        }
    }

    [Fact]
    public void An_alert_renders_in_each_language_with_the_verified_marker_place_and_local_time()
    {
        var set = TemplateSet.From(DefaultTemplates.All());
        var alert = new Alert { Kind = AlertKind.Alert, Activity = Reports.Activity.HomeRaid, Place = "Powderhorn Park",
            ExpiresAt = new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero) };
        var m = set.Render(alert, new DateTimeOffset(2026, 11, 25, 18, 5, 0, TimeSpan.Zero), Chicago);
        Assert.Equal("VERIFIED: home raid near Powderhorn Park, 12:05 PM CST. Know your rights: do not open the door, stay silent, sign nothing. Until 4:00 PM CST.", m["en"]);
        Assert.StartsWith("VERIFICADO: redada en vivienda cerca de Powderhorn Park, 12:05 CST.", m["es"]);
        Assert.StartsWith("LA XAQIIJIYAY: weerar guri", m["so"]);
        Assert.StartsWith("TAU TXHEEB XYUAS LAWM: tuaj ntes neeg hauv tsev ze Powderhorn Park", m["hmn"]);
        Assert.DoesNotContain(m.Values, t => t.Contains('{'));
    }

    [Fact]
    public void A_drill_is_labelled_even_when_a_template_forgets_the_marker()
    {
        var templates = DefaultTemplates.All().ToList();
        templates.Single(t => t.Language == "es" && t.Key == "alert").Text = "{activity} cerca de {place}.";
        var alert = new Alert { Kind = AlertKind.Alert, Drill = true, Activity = Reports.Activity.Patrol, Place = "X", ExpiresAt = DateTimeOffset.UnixEpoch };
        var m = TemplateSet.From(templates).Render(alert, DateTimeOffset.UnixEpoch, TimeZoneInfo.Utc);
        Assert.StartsWith("SIMULACRO - SOLO PRUEBA: ", m["es"]);
        Assert.StartsWith("DRILL - TEST ONLY", m["en"]);
    }
}

public class GeoTests
{
    [Fact]
    public void Distances_and_offsets_agree()
    {
        var p = new GeoPoint(44.9485, -93.2555);
        foreach (var bearing in new[] { 0.0, 77, 180, 269 })
            Assert.InRange(p.DistanceTo(p.Offset(1234, bearing)), 1233.99, 1234.01);
        // Minneapolis to St Paul city halls, about 14.2 km.
        Assert.InRange(new GeoPoint(44.9772, -93.2654).DistanceTo(new GeoPoint(44.9440, -93.0936)), 13_900, 14_300);
    }

    [Fact]
    public void Coarsening_moves_a_point_less_than_the_cell_and_hides_nearby_points_in_one_cell()
    {
        var p = new GeoPoint(44.94851, -93.25553);
        var c = p.Coarsen(200);
        Assert.True(p.DistanceTo(c) < 150);
        Assert.Equal(c, p.Offset(10, 45).Coarsen(200) == c ? c : p.Offset(10, 225).Coarsen(200));
    }

    [Fact]
    public void Zone_polygons_answer_containment_and_distance_in_metres()
    {
        var zones = new ZoneCatalog([(1, "Sq", """{"type":"Polygon","coordinates":[[[-93.26,44.94],[-93.25,44.94],[-93.25,44.95],[-93.26,44.95],[-93.26,44.94]]]}""")]);
        var z = zones.Get(1);
        Assert.True(z.Contains(new GeoPoint(44.945, -93.255)));
        Assert.Equal(0, z.DistanceTo(new GeoPoint(44.945, -93.255)));
        var south = new GeoPoint(44.94, -93.255).Offset(300, 180);
        Assert.InRange(z.DistanceTo(south), 299, 301);
        Assert.Same(z, zones.ZoneAt(new GeoPoint(44.945, -93.255)));
        Assert.Null(zones.ZoneAt(south));
    }
}
