using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Whistle.Federation;
using Whistle.Fakes;
using Xunit.Abstractions;

namespace Whistle.Tests.Api;

/// <summary>
/// A seeded generator of hostile inputs: each case is reproducible from (seed, index). Mutations of valid documents
/// (bit flips, truncation, duplicated and deleted slices, inserted control characters and markup) and random JSON
/// (wrong types, huge and odd numbers, long and control-laden strings, deep nesting, duplicate keys).
/// </summary>
public sealed class Fuzz(int seed)
{
    private readonly Random r = new(seed);

    /// <summary>Cases per target: WHISTLE_FUZZ_CASES (default 500 per HTTP target, 1,000 per parser: about 30 s for the whole run on an idle 2-core machine).</summary>
    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("WHISTLE_FUZZ_CASES"), out var n) && n > 0 ? n : 500;

    public int Next(int max) => r.Next(max);
    public bool Chance(int percent) => r.Next(100) < percent;
    public T Pick<T>(params T[] items) => items[r.Next(items.Length)];

    private static readonly string[] Nasty =
    [
        "\0", "\u0001", "\u001b[2J", "\u007f", "\u0085", "\u2028", "\u202e", "\ufeff", "\ud83d\ude00", "<script>alert(1)</script>", "\"", "\\",
        "'; DROP TABLE reports; --", "%00", "../../etc/passwd", "{{7*7}}", "${jndi:ldap://x}", "\r\n", "ﷺ", "𝕏", "null", "NaN",
    ];

    public string Text(int max = 64)
    {
        var sb = new StringBuilder();
        int n = Chance(5) ? r.Next(5_000, 70_000) : r.Next(max + 1);
        while (sb.Length < n)
            sb.Append(Chance(30) ? Pick(Nasty) : Chance(10) ? ((char)r.Next(0, 0x20)).ToString() : ((char)r.Next(0x20, 0x7f)).ToString());
        return sb.ToString();
    }

    public string Number() => Pick(
        "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "1e308", "1e999", "-1e999", "1.7976931348623157e309", "4.9e-324", "1e-400", "0.1", "44.9485", "-93.2555", "91", "-181",
        "123456789012345678901234567890", "0.00000000000000000000000000001", r.NextDouble().ToString("R", CultureInfo.InvariantCulture),
        (r.NextDouble() * 1e6 - 5e5).ToString("R", CultureInfo.InvariantCulture), r.Next().ToString(CultureInfo.InvariantCulture));

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>A random JSON value (sometimes not quite JSON).</summary>
    public string Value(int depth = 0)
    {
        int k = r.Next(depth > 3 ? 6 : 9);
        return k switch
        {
            0 => "null",
            1 => Pick("true", "false"),
            2 or 3 => Number(),
            4 or 5 => Quote(Text()),
            6 => "[" + string.Join(",", Enumerable.Range(0, r.Next(4)).Select(_ => Value(depth + 1))) + "]",
            7 => "{" + string.Join(",", Enumerable.Range(0, r.Next(4)).Select(_ => Quote(Text(8)) + ":" + Value(depth + 1))) + "}",
            _ => Deep(),
        };
    }

    public string Deep()
    {
        int n = Pick(10, 64, 65, 200, 5_000);
        bool arrays = Chance(50);
        return arrays ? new string('[', n) + new string(']', n) : string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n);
    }

    /// <summary>Byte-level damage to a document.</summary>
    public byte[] Damage(byte[] b)
    {
        var list = b.ToList();
        for (int i = 0, n = 1 + r.Next(4); i < n && list.Count > 0; i++)
        {
            int at = r.Next(list.Count);
            switch (r.Next(6))
            {
                case 0: list[at] ^= (byte)(1 << r.Next(8)); break;
                case 1: list.RemoveRange(at, list.Count - at); break;                                    // truncate
                case 2: { int len = Math.Min(r.Next(1, 64), list.Count - at); list.InsertRange(at, list.GetRange(at, len)); break; } // duplicate
                case 3: { int len = Math.Min(r.Next(1, 16), list.Count - at); list.RemoveRange(at, len); break; }
                case 4: list.InsertRange(at, Encoding.UTF8.GetBytes(Pick(Nasty))); break;
                default: list[at] = (byte)r.Next(256); break;                                              // maybe invalid UTF-8
            }
        }
        return list.ToArray();
    }

    /// <summary>A JSON case from a valid object: damaged bytes, a field with a random value, an extra or missing field, or random JSON.</summary>
    public byte[] Json(JsonObject valid)
    {
        switch (r.Next(5))
        {
            case 0: return Damage(Encoding.UTF8.GetBytes(valid.ToJsonString()));
            case 1: return Encoding.UTF8.GetBytes(Value());
            default:
                var fields = valid.Select(kv => (kv.Key, Text: kv.Value?.ToJsonString() ?? "null")).ToList();
                for (int i = 0, n = 1 + r.Next(3); i < n; i++)
                {
                    int op = r.Next(10);
                    if (op < 6 && fields.Count > 0) { int at = r.Next(fields.Count); fields[at] = (fields[at].Key, Value()); }
                    else if (op < 8 && fields.Count > 0) fields.RemoveAt(r.Next(fields.Count));
                    else if (op == 8 && fields.Count > 0) fields.Add(fields[r.Next(fields.Count)] with { Text = Value() }); // a duplicate key
                    else fields.Add((Text(8), Value()));
                }
                return Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => Quote(f.Key) + ":" + f.Text)) + "}");
        }
    }
}

/// <summary>What a fuzz run saw; fails with the first cases that got a 5xx or logged an error, each reproducible by seed.</summary>
public sealed class FuzzTally(string target)
{
    public int Cases, ServerErrors;
    public readonly Dictionary<int, int> Statuses = [];
    public readonly List<string> Failures = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public void Record(int index, int status, string what)
    {
        Cases++;
        Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
        if (status >= 500) { ServerErrors++; if (Failures.Count < 10) Failures.Add($"case {index}: {status} for {what}"); }
    }

    public void Fail(int index, string why) { if (Failures.Count < 10) Failures.Add($"case {index}: {why}"); }

    public string Summary => $"{target}: {Cases} cases, {ServerErrors} × 5xx, {clock.Elapsed.TotalSeconds:0.0} s; statuses "
        + string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));

    public void Assert(ITestOutputHelper output)
    {
        output.WriteLine(Summary);
        Xunit.Assert.True(Failures.Count == 0, Summary + "\n" + string.Join("\n", Failures));
    }

    public static string Preview(byte[] body) => Convert.ToBase64String(body.AsSpan(0, Math.Min(body.Length, 600)));
}

public sealed class FuzzPostgresApp() : FuzzAppBase(Db.Postgres);

public class FuzzAppBase(Db db) : WhistleApp(db, new()
{
    ["Whistle:PublicBaseUrl"] = SmsInboundAppBase.BaseUrl,
    ["Whistle:Sms:Twilio:AuthToken"] = FakeTwilio.AuthToken,
    ["Whistle:Sms:Twilio:AccountSid"] = FakeTwilio.AccountSid,
    ["Whistle:Sms:InboundPerMinute"] = "100000",
    ["Whistle:RateLimits:ReportsPerMinute"] = "100000",
    ["Whistle:RateLimits:SubscriptionsPerMinute"] = "100000",
});

public sealed class FuzzSqliteApp() : FuzzAppBase(Db.Sqlite);

/// <summary>
/// Issue 11 §8: the intake surfaces under generated hostile input, over HTTP against the real app — 0 × 5xx and no error
/// logged. Run longer with WHISTLE_FUZZ_CASES=20000 (and WHISTLE_FUZZ_SEED for other cases); see the README.
/// </summary>
[Trait("Category", "Fuzz")]
public abstract class FuzzTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("WHISTLE_FUZZ_SEED"), out var s) ? s : 20261201;

    private int ErrorsLogged() => app.Logs.Count(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));

    private async Task RunAsync(string target, HttpClient client, Func<Fuzz, int, HttpRequestMessage> make)
    {
        var tally = new FuzzTally(target);
        var fuzz = new Fuzz(Seed ^ target.GetHashCode(StringComparison.Ordinal) & 0x7fffffff);
        int errorsBefore = ErrorsLogged();
        for (int i = 0; i < Fuzz.Cases; i++)
        {
            using var req = make(fuzz, i);
            var body = req.Content is null ? [] : await req.Content.ReadAsByteArrayAsync();
            try
            {
                using var res = await client.SendAsync(req);
                tally.Record(i, (int)res.StatusCode, $"{req.Method} {req.RequestUri} body(base64)={FuzzTally.Preview(body)}");
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                tally.Fail(i, $"{e.GetType().Name}: {e.Message} for {req.RequestUri} body(base64)={FuzzTally.Preview(body)}");
            }
        }
        var errors = app.Logs.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).Skip(errorsBefore).Take(3).ToList();
        foreach (var e in errors) tally.Fail(-1, "logged: " + e[..Math.Min(e.Length, 2000)]);
        tally.Assert(output);
    }

    private static HttpRequestMessage Json(string path, byte[] body, Fuzz f)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(f.Chance(90) ? "application/json" : f.Pick("text/plain", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "application/merge-patch+json"));
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public Task Reports_intake_never_fails() => RunAsync("POST /api/v1/reports", app.CreateClient(), (f, _) => Json("/api/v1/reports", f.Json(Obj(
        """{"activity":"checkpoint","lat":44.9485,"lon":-93.2555,"agents":4,"vehicles":2,"agency":"ice","placeText":"Lake St & Bloomington","observedAt":"2026-12-01T17:00:00Z","equipment":"vests","text":"four agents","contact":"+16125550142","channel":"web"}""")), f));

    [Fact]
    public Task Subscriptions_never_fail() => RunAsync("POST /api/v1/subscriptions{,/confirm,/unsubscribe}", app.CreateClient(), (f, _) => f.Next(3) switch
    {
        0 => Json("/api/v1/subscriptions", f.Json(Obj(f.Pick(
            """{"channel":"sms","address":"+16125550142","language":"es","circle":{"lat":44.9485,"lon":-93.2555,"radiusMeters":1500}}""",
            """{"channel":"email","address":"a@example.org","language":"so","zones":[1,2,3]}""",
            """{"channel":"webhook","address":"https://hooks.example.org/x","secret":"0123456789abcdef0123","language":"en","zones":[1]}""",
            """{"channel":"webpush","address":"https://push.example.org/x","language":"hmn","zones":[1],"keys":{"p256dh":"BAAA","auth":"AAAA"}}"""))), f),
        1 => Json("/api/v1/subscriptions/confirm", f.Json(Obj("""{"address":"+16125550142","code":"123456","channel":"sms"}""")), f),
        _ => Json("/api/v1/subscriptions/unsubscribe", f.Json(Obj("""{"address":"a@example.org","channel":"email"}""")), f),
    });

    [Fact]
    public async Task The_alert_composer_never_fails()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        await RunAsync("POST /api/v1/alerts{,/preview}", dispatcher, (f, _) => Json(f.Chance(70) ? "/api/v1/alerts/preview" : "/api/v1/alerts", f.Json(Obj(
            """{"drill":true,"circle":{"lat":44.9485,"lon":-93.2555,"radiusMeters":1000},"zones":[1,2],"expiresInMinutes":60,"place":"Lake St","activity":"checkpoint","sightingId":"00000000-0000-0000-0000-000000000000"}""")), f));
    }

    [Fact]
    public async Task Zone_import_never_fails()
    {
        var admin = await app.StaffAsync("admin");
        static string Square(string name, double lon, double lat) => FormattableString.Invariant(
            $"{{\"type\":\"Feature\",\"properties\":{{\"name\":\"{name}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{lon},{lat}],[{lon + 0.01},{lat}],[{lon + 0.01},{lat + 0.01}],[{lon},{lat + 0.01}],[{lon},{lat}]]]}}}}");
        await RunAsync("POST /api/v1/zones/import", admin, (f, i) =>
        {
            var valid = $"{{\"type\":\"FeatureCollection\",\"features\":[{Square($"Fuzz {i % 7}", -93.9, 44.1)},{Square("Fuzz B", -93.95, 44.15)}]}}";
            byte[] body;
            switch (f.Next(4))
            {
                case 0: body = f.Damage(Encoding.UTF8.GetBytes(valid)); break;
                case 1: // a geometry, a coordinate or a property replaced by anything
                    var doc = JsonNode.Parse(valid)!;
                    var feature = doc["features"]![f.Next(2)]!.AsObject();
                    switch (f.Next(5))
                    {
                        case 0: feature["geometry"] = JsonNode.Parse(f.Pick("null", "1", "[]", "{}", "{\"type\":\"Point\",\"coordinates\":[1,2]}", "{\"type\":\"MultiPolygon\",\"coordinates\":[[[]]]}", "{\"type\":\"Polygon\",\"coordinates\":[[[1]]]}", "{\"type\":\"GeometryCollection\",\"geometries\":[]}")); break;
                        case 1: feature["geometry"]!["coordinates"]![0]![f.Next(5)]![f.Next(2)] = JsonNode.Parse(f.Pick("1e308", "-1e308", "\"x\"", "null", "[]", "181", "-91", "0")); break;
                        case 2: feature["properties"] = JsonNode.Parse(f.Pick("null", "[]", "{}", "{\"name\":1}", "{\"name\":\"\"}", "{\"name\":null}")); break;
                        case 3: feature["properties"]!["name"] = f.Text(300); break;
                        default: feature["type"] = f.Pick("Feature", "FeatureCollection", "x", ""); break;
                    }
                    body = Encoding.UTF8.GetBytes(doc.ToJsonString()); break;
                case 2: body = Encoding.UTF8.GetBytes(f.Value()); break;
                default: // many points, or many features
                    var pts = string.Join(",", Enumerable.Range(0, f.Pick(3, 1000, 20_000)).Select(k => FormattableString.Invariant($"[{-93.5 + k * 1e-6},{44.5 + (k % 2) * 1e-3}]")));
                    body = Encoding.UTF8.GetBytes($"{{\"type\":\"FeatureCollection\",\"features\":[{{\"type\":\"Feature\",\"properties\":{{\"name\":\"Many\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{pts}]]}}}}]}}"); break;
            }
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(f.Pick("application/geo+json", "application/json", "application/geo+json"));
            var query = f.Chance(20) ? "?nameProperty=" + Uri.EscapeDataString(f.Text(20)) : "";
            return new HttpRequestMessage(HttpMethod.Post, "/api/v1/zones/import" + query) { Content = content };
        });
    }

    [Fact]
    public async Task A_report_with_NUL_and_control_characters_is_kept_without_them()
    {
        // Found by Reports_intake_never_fails on PostgreSQL, which refuses NUL in text (a 500, and the report lost).
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new
        {
            activity = "checkpoint", lat = 45.2, lon = -93.6, placeText = "Lake\u0000 St\u001b[2J", equipment = "\u0000vests", text = "four\nagents\u0007",
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, res.StatusCode);
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        var detail = (await (await app.StaffAsync("dispatcher")).GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        var report = detail["reports"]![0]!;
        Assert.Equal("Lake St[2J", report["placeText"]!.GetValue<string>());
        Assert.Equal("vests", report["equipment"]!.GetValue<string>());
        Assert.Equal("four\nagents", report["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_zone_file_with_invalid_UTF8_inside_a_name_is_refused_not_a_500()
    {
        // Found by Zone_import_never_fails (seed 7): JsonDocument checks UTF-8 in a string only when it is read.
        var admin = await app.StaffAsync("admin");
        var body = Encoding.UTF8.GetBytes("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Fuzz XX"},"geometry":{"type":"Polygon","coordinates":[[[-93.9,44.1],[-93.89,44.1],[-93.89,44.11],[-93.9,44.1]]]}}]}""");
        int at = Encoding.UTF8.GetString(body).IndexOf("XX", StringComparison.Ordinal);
        body[at] = 0xC3; body[at + 1] = 0x28; // an invalid two-byte sequence
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/geo+json");
        var res = await admin.PostAsync("/api/v1/zones/import", content);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public Task The_SMS_webhook_never_fails_on_signed_posts() => RunAsync("POST /hooks/twilio/sms (signed)", app.CreateClient(), (f, i) =>
    {
        var form = SmsInboundAppBase.Form(f.Chance(80) ? $"+1612555{f.Next(10000):D4}" : f.Text(20), f.Pick(
            "checkpoint at Lake St 4 agents 2 vans ICE", "JOIN powderhorn", "STOP", "START", "HELP", "ALTA Phillips", "123456", "", f.Text(200), f.Text(2000)));
        if (f.Chance(10)) form.Remove(f.Pick("MessageSid", "From", "Body", "AccountSid"));
        if (f.Chance(10)) form["AccountSid"] = f.Text(40);
        if (f.Chance(10)) form["MessageSid"] = f.Chance(50) ? "SM" + i : f.Text(40);
        if (f.Chance(10)) form[f.Text(10)] = f.Text(100);
        if (f.Chance(10)) form["NumMedia"] = f.Number();
        // Lone surrogates cannot be form-encoded by the client (nor sent by Twilio): replace them.
        var list = form.Select(kv => KeyValuePair.Create(Clean(kv.Key), Clean(kv.Value))).ToList();
        var req = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/sms") { Content = new FormUrlEncodedContent(list) };
        req.Headers.Add(FakeTwilio.SignatureHeader, FakeTwilio.Sign(FakeTwilio.AuthToken, SmsInboundAppBase.Url, list));
        return req;
        static string Clean(string s) => s.Normalize() is var n && Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(n)) is var round ? round : s;
    });
}

public sealed class FuzzTestsSqlite(FuzzSqliteApp app, ITestOutputHelper output) : FuzzTests<FuzzSqliteApp>(app, output);

public sealed class FuzzTestsPostgres(FuzzPostgresApp app, ITestOutputHelper output) : FuzzTests<FuzzPostgresApp>(app, output);

/// <summary>Partner CAP and Atom, parsed as the poller does, from mutated valid documents: a refusal (FeedRejected) or a message, never anything else.</summary>
[Trait("Category", "Fuzz")]
public sealed class FederationFuzzTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 17, 0, 0, TimeSpan.Zero);

    private static string ValidCap(string id) => CapFixtures.Message(id, "northside@example.org", Now.AddMinutes(-5), expires: Now.AddHours(2),
        infos: [CapFixtures.En("ICE checkpoint at Lake St"), CapFixtures.Es("Retén de ICE en Lake St", circle: null, polygon: "44.94,-93.26 44.95,-93.26 44.95,-93.25 44.94,-93.26")]);

    private static string ValidFeed() => CapFixtures.Feed("Northside", new CapFixtures.Entry("a1", ValidCap("a1")), new CapFixtures.Entry("a2", ValidCap("a2"), Embed: false));

    private static string X(string s) => new(s.Where(System.Xml.XmlConvert.IsXmlChar).ToArray()); // what XML can hold at all

    private static byte[] Structural(Fuzz f, string xml)
    {
        var doc = XDocument.Parse(xml);
        var all = doc.Descendants().ToList();
        var e = all[f.Next(all.Count)];
        switch (f.Next(6))
        {
            case 0: if (e.Parent is not null) for (int i = 0, n = f.Pick(1, 2, 50); i < n; i++) e.AddAfterSelf(new XElement(e)); break; // duplicated
            case 1: e.SetAttributeValue("x" + f.Next(100), new string('A', f.Pick(10, 100_000, 1_000_000))); break;                    // huge attribute
            case 2: if (!e.HasElements) e.Value = f.Pick(X(f.Text(100)), f.Number(), "", "44.9,-93.2 1e999", "91,181 -5", "NaN,NaN 1", new string('9', 400), f.Number() + "," + f.Number() + " " + f.Number()); break;
            case 3: if (e.Parent is not null) e.Remove(); break;
            case 4: e.Name = e.Name.Namespace + f.Pick("alert", "info", "area", "circle", "polygon", "entry", "content", "feed", "x"); break;
            default: e.Add(new XElement(e.Name.Namespace + f.Pick("info", "area", "circle", "polygon", "references", "expires", "sent"), X(f.Text(40)))); break;
        }
        return Encoding.UTF8.GetBytes(doc.ToString(SaveOptions.DisableFormatting));
    }

    private static void Check(FuzzTally tally, int i, Action parse)
    {
        try { parse(); tally.Record(i, 200, ""); }
        catch (FeedRejected) { tally.Record(i, 400, ""); }
        catch (Exception e) { tally.Record(i, 500, ""); tally.Fail(i, $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}"); }
    }

    [Fact]
    public void Atom_feeds_and_their_CAP_never_throw_anything_but_a_refusal()
    {
        var tally = new FuzzTally("partner Atom feeds");
        var f = new Fuzz(20261201);
        var valid = ValidFeed();
        for (int i = 0; i < Fuzz.Cases * 2; i++)
        {
            var bytes = f.Chance(50) ? f.Damage(Encoding.UTF8.GetBytes(valid)) : Structural(f, valid);
            Check(tally, i, () =>
            {
                foreach (var entry in AtomFeed.Entries(AtomFeed.Load(bytes, 2_097_152), new Uri("https://northside.example.org/feeds/alerts.atom")))
                    if (entry.Embedded is { } cap)
                        try { Cap.Parse(cap, Now); } catch (FeedRejected) { }
            });
        }
        tally.Assert(output);
    }

    [Fact]
    public void CAP_messages_never_throw_anything_but_a_refusal()
    {
        var tally = new FuzzTally("partner CAP messages");
        var f = new Fuzz(20261202);
        var valid = ValidCap("c1");
        for (int i = 0; i < Fuzz.Cases * 2; i++)
        {
            var bytes = f.Chance(50) ? f.Damage(Encoding.UTF8.GetBytes(valid)) : Structural(f, valid);
            Check(tally, i, () => Cap.Parse(AtomFeed.Load(bytes, 2_097_152).Root!, Now));
        }
        tally.Assert(output);
    }
}
