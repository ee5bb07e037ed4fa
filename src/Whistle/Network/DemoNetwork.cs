using System.Text.Json;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Network;

/// <summary>
/// "Twin Cities Rapid Response (demo)": the 87 Minneapolis neighbourhoods as zones and a few
/// thousand synthetic subscribers spread over the city, in all four languages. Addresses are
/// fictional (555-01xx numbers, example.org mail) so the demo can never text a real person.
/// </summary>
public static class DemoNetwork
{
    public const string Name = "Twin Cities Rapid Response (demo)";

    public static IEnumerable<Zone> Zones()
    {
        using var stream = typeof(DemoNetwork).Assembly.GetManifestResourceStream("Whistle.Resources.minneapolis-neighborhoods.geojson")
            ?? throw new InvalidOperationException("The neighbourhoods resource is missing.");
        using var doc = JsonDocument.Parse(stream);
        int id = 0;
        foreach (var f in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            var props = f.GetProperty("properties");
            yield return new Zone
            {
                Id = ++id,
                Name = props.GetProperty("name").GetString()!,
                Number = props.TryGetProperty("number", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : null,
                GeoJson = f.GetProperty("geometry").GetRawText(),
            };
        }
    }

    /// <summary>Synthetic subscribers at random points inside random zones, confirmed, deterministic from the seed.</summary>
    public static IEnumerable<Subscriber> Subscribers(ZoneCatalog zones, KeyRing keys, int count, DateTimeOffset now, int seed = 2026)
    {
        var random = new Random(seed);
        var all = zones.All.ToArray();
        string[] langs = ["en", "en", "en", "es", "es", "so", "hmn"];
        for (int i = 0; i < count; i++)
        {
            var zone = all[random.Next(all.Length)];
            GeoPoint p;
            do p = new GeoPoint(zone.MinLat + random.NextDouble() * (zone.MaxLat - zone.MinLat), zone.MinLon + random.NextDouble() * (zone.MaxLon - zone.MinLon));
            while (!zone.Contains(p));
            // A third by SMS while fictional numbers last (1,200 of them), the rest by e-mail.
            var channel = i % 3 == 0 && i / 3 < FictionalPhones ? SubscriberChannel.Sms : SubscriberChannel.Email;
            string address = channel == SubscriberChannel.Sms ? FictionalPhone(i / 3) : $"demo{i}@example.org";
            var sub = new Subscriber
            {
                Channel = channel,
                AddressCipher = keys.Encrypt(address, Purpose.SubscriberAddress),
                AddressHash = keys.Hash(Addresses.LookupKey(channel, address)),
                Language = langs[random.Next(langs.Length)],
                State = SubscriberState.Confirmed,
                CreatedAt = now,
                ConfirmedAt = now,
                ChangedAt = now,
            };
            // Half follow their own neighbourhood, half a point with a radius, some both.
            if (i % 2 == 0) sub.Zones = zone.Id.ToString();
            if (i % 2 == 1 || i % 10 == 0)
            {
                sub.AreaCipher = new SealedCircle(Math.Round(p.Lat, 5), Math.Round(p.Lon, 5), 500 + random.Next(0, 6) * 250).Seal(keys);
            }
            yield return sub;
        }
    }

    private static readonly string[] AreaCodes = ["612", "651", "763", "952", "320", "507", "218", "715", "608", "414", "262", "920"];
    private static readonly int FictionalPhones = AreaCodes.Length * 100;

    /// <summary>555-0100 to 555-0199 are reserved for fiction in every North American area code.</summary>
    public static string FictionalPhone(int n) => $"+1{AreaCodes[n / 100 % AreaCodes.Length]}5550{100 + n % 100}";
}
