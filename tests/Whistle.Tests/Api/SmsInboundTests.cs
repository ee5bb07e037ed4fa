using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Fakes;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>A Whistle whose Twilio number posts incoming texts to /hooks/twilio/sms (alerts go to the development sink).</summary>
public sealed class SmsInboundApp() : SmsInboundAppBase(Db.Sqlite);

public sealed class SmsInboundPostgresApp() : SmsInboundAppBase(Db.Postgres);

public abstract class SmsInboundAppBase(Db db) : WhistleApp(db, new()
{
    ["Whistle:PublicBaseUrl"] = SmsInboundAppBase.BaseUrl,
    ["Whistle:Sms:Twilio:AuthToken"] = FakeTwilio.AuthToken,
    ["Whistle:Sms:Twilio:AccountSid"] = FakeTwilio.AccountSid,
    ["Whistle:Sms:InboundPerMinute"] = "10",
})
{
    public const string BaseUrl = "https://whistle.example.org";
    public const string Url = BaseUrl + "/hooks/twilio/sms";
    public const string OurNumber = "+16125550100";
    private static int _numbers;

    /// <summary>A fresh fictional number for each conversation, so tests sharing the app do not meet.</summary>
    public static string NewNumber() => $"+1612555{Interlocked.Increment(ref _numbers) % 10000:D4}";

    public static string NewSid() => "SM" + Guid.NewGuid().ToString("N");

    /// <summary>The form Twilio posts for an incoming message.</summary>
    public static Dictionary<string, string> Form(string from, string body, string? sid = null)
    {
        sid ??= NewSid();
        return new()
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = FakeTwilio.AccountSid, ["From"] = from, ["To"] = OurNumber,
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCity"] = "MINNEAPOLIS", ["FromState"] = "MN", ["ApiVersion"] = "2010-04-01",
        };
    }

    /// <summary>Posts the fields as Twilio does, signed with the auth token (or another, or none).</summary>
    public async Task<HttpResponseMessage> PostAsync(IEnumerable<KeyValuePair<string, string>> fields, string? signingToken = FakeTwilio.AuthToken,
        string url = Url)
    {
        var list = fields.ToList();
        var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/sms") { Content = new FormUrlEncodedContent(list) };
        if (signingToken is not null) request.Headers.Add(FakeTwilio.SignatureHeader, FakeTwilio.Sign(signingToken, url, list));
        return await CreateClient().SendAsync(request);
    }

    /// <summary>Texts the body from the number; returns the TwiML reply's message (null for an empty response).</summary>
    public async Task<string?> TextAsync(string from, string body, string? sid = null)
    {
        var res = await PostAsync(Form(from, body, sid));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("application/xml", res.Content.Headers.ContentType!.MediaType);
        return Reply(await res.Content.ReadAsStringAsync());
    }

    public static string? Reply(string twiml)
    {
        var doc = XDocument.Parse(twiml);
        Assert.Equal("Response", doc.Root!.Name.LocalName);
        var messages = doc.Root.Elements("Message").ToList();
        Assert.True(messages.Count <= 1, "one reply at most");
        return messages.SingleOrDefault()?.Value;
    }

    public async Task<T> DbAsync<T>(Func<WhistleDb, KeyRing, Task<T>> read)
    {
        await using var scope = Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<KeyRing>());
    }

    public Task<Subscriber?> SubscriberAsync(string number) => DbAsync((db, keys) =>
    {
        var hash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, number));
        return db.Subscribers.AsNoTracking().FirstOrDefaultAsync(s => s.AddressHash == hash);
    });

    public Task<(int Reports, int Subscribers, int Receipts)> CountsAsync() => DbAsync(async (db, _) =>
        (await db.Reports.CountAsync(), await db.Subscribers.CountAsync(), await db.SmsReceipts.CountAsync()));

    public Task<int> ZoneIdAsync(string name) => DbAsync((db, _) => db.Zones.Where(z => z.Name == name).Select(z => z.Id).SingleAsync());
}

/// <summary>Texts to the network's number, over HTTP as Twilio posts them, on SQLite and on PostgreSQL.</summary>
public abstract class SmsInboundTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : SmsInboundAppBase
{
    private static string Code(string? reply) => Regex.Match(reply ?? "", @"\b\d{6}\b").Value;

    /// <summary>The reply's language, by words only that language's templates use.</summary>
    private static readonly Dictionary<string, string> Marker = new() { ["en"] = "reply", ["es"] = "responda", ["so"] = "jawaab", ["hmn"] = "teb" };

    private async Task<string> JoinedAsync(string body, string language)
    {
        var number = SmsInboundApp.NewNumber();
        var reply = await app.TextAsync(number, body);
        Assert.Matches(@"\b\d{6}\b", reply);
        Assert.Contains(Marker[language], reply, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Powderhorn Park", reply);
        var confirmed = await app.TextAsync(number, Code(reply));
        Assert.Contains("Powderhorn Park", confirmed);
        return number;
    }

    [Theory]
    [InlineData("JOIN Powderhorn Park", "en")]
    [InlineData("join powderhorn", "en")]
    [InlineData("Start: POWDERHORN", "en")]
    [InlineData("ALTA Powderhorn", "es")]
    [InlineData("Únirme powderhorn park", "es")]
    [InlineData("KU BIIR Powderhorn", "so")]
    [InlineData("koom powderhorn", "hmn")]
    [InlineData("JOIN powderhron prak", "en")] // typos
    [InlineData("alta Powdrhorn", "es")]
    public async Task Join_in_each_language_sends_a_code_and_the_bare_code_subscribes_the_number(string body, string language)
    {
        var number = await JoinedAsync(body, language);
        var sub = await app.SubscriberAsync(number);
        Assert.Equal(SubscriberState.Confirmed, sub!.State);
        Assert.Equal(SubscriberChannel.Sms, sub.Channel);
        Assert.Equal(language, sub.Language);
        Assert.Equal((await app.ZoneIdAsync("Powderhorn Park")).ToString(), sub.Zones);
    }

    [Theory]
    [InlineData("JOIN phillips", "en")]
    [InlineData("ALTA Phillips", "es")]
    [InlineData("ku biir phillips", "so")]
    [InlineData("KOOM PHILLIPS", "hmn")]
    public async Task An_ambiguous_zone_lists_the_candidates_and_subscribes_no_one(string body, string language)
    {
        var number = SmsInboundApp.NewNumber();
        var reply = await app.TextAsync(number, body);
        Assert.Contains(Marker[language], reply, StringComparison.OrdinalIgnoreCase);
        foreach (var name in new[] { "East Phillips", "Midtown Phillips", "Phillips West" }) Assert.Contains(name, reply);
        Assert.Null(await app.SubscriberAsync(number));
    }

    [Theory]
    [InlineData("JOIN Atlantis", "en")]
    [InlineData("alta atlantis", "es")]
    [InlineData("KU BIIR Atlantis", "so")]
    [InlineData("koom atlantis", "hmn")]
    public async Task An_unknown_zone_says_where_to_find_the_names(string body, string language)
    {
        var number = SmsInboundApp.NewNumber();
        var reply = await app.TextAsync(number, body);
        Assert.Contains(Marker[language], reply, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(SmsInboundApp.BaseUrl + "/subscribe", reply);
        Assert.DoesNotMatch(@"\b\d{6}\b", reply);
        Assert.Null(await app.SubscriberAsync(number));
    }

    [Fact]
    public async Task A_wrong_code_is_refused_and_five_burn_it()
    {
        var number = SmsInboundApp.NewNumber();
        var code = Code(await app.TextAsync(number, "JOIN Seward"));
        var wrong = code == "111111" ? "222222" : "111111";
        Assert.Contains("wrong", await app.TextAsync(number, wrong));
        Assert.Equal(SubscriberState.Pending, (await app.SubscriberAsync(number))!.State);
        for (int i = 0; i < 4; i++) await app.TextAsync(number, wrong);
        Assert.Contains("wrong", await app.TextAsync(number, code));
        Assert.Equal(SubscriberState.Pending, (await app.SubscriberAsync(number))!.State);
        // A new JOIN gives a new code that works.
        var again = Code(await app.TextAsync(number, "JOIN Seward"));
        Assert.Contains("Seward", await app.TextAsync(number, again));
        Assert.Equal(SubscriberState.Confirmed, (await app.SubscriberAsync(number))!.State);
    }

    [Theory]
    [InlineData("ESPAÑOL", "es", "español")]
    [InlineData("espanol", "es", "español")]
    [InlineData("Soomaali", "so", "Soomaali")]
    [InlineData("HMOOB", "hmn", "Hmoob")]
    [InlineData("English", "en", "English")]
    public async Task A_language_word_switches_the_subscribers_language_and_the_replies(string body, string language, string named)
    {
        var number = await JoinedAsync(language == "en" ? "ALTA Powderhorn" : "JOIN Powderhorn", language == "en" ? "es" : "en");
        var reply = await app.TextAsync(number, body);
        Assert.Contains(named, reply);
        Assert.Equal(language, (await app.SubscriberAsync(number))!.Language);
        var help = await app.TextAsync(number, "HELP");
        var expected = new Dictionary<string, string> { ["en"] = "STOP to end", ["es"] = "BAJA", ["so"] = "JOOJI", ["hmn"] = "NRES" }[language];
        Assert.Contains(expected, help);
    }

    [Theory]
    [InlineData("HELP", "en", "Msg & data rates may apply")]
    [InlineData("info", "en", "Msg & data rates may apply")]
    [InlineData("Ayuda", "es", "tarifas de msj y datos")]
    [InlineData("CAAWIMAAD", "so", "Kharash fariimo")]
    [InlineData("pab", "hmn", "nqi xov")]
    public async Task Help_words_answer_with_the_network_what_it_is_how_to_stop_and_the_rates(string body, string language, string rates)
    {
        var reply = await app.TextAsync(SmsInboundApp.NewNumber(), body);
        Assert.StartsWith("Twin Cities Rapid Response (demo):", reply);
        Assert.Contains(rates, reply);
        Assert.Contains(new Dictionary<string, string> { ["en"] = "STOP", ["es"] = "BAJA", ["so"] = "JOOJI", ["hmn"] = "NRES" }[language], reply);
    }

    private async Task<Guid> DrillToPowderhornAsync(HttpClient dispatcher)
    {
        // To the zone's public (an admin's recorded override): who gets it is what these tests check.
        var admin = await app.StaffAsync("admin");
        var res = await admin.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { await app.ZoneIdAsync("Powderhorn Park") },
            audience = "public", audienceReason = "Test: reaches the zone's subscribers" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, id);
        return id;
    }

    [Theory]
    [InlineData("STOP")]
    [InlineData("stopall")]
    [InlineData("Unsubscribe")]
    [InlineData("CANCEL")]
    [InlineData("end")]
    [InlineData("Quit.")]
    [InlineData("PARAR")]
    [InlineData("jooji")]
    public async Task Every_stop_word_unsubscribes_at_once_and_no_alert_follows_until_START(string stop)
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var stopper = await JoinedAsync("JOIN Powderhorn", "en");
        var stayer = await JoinedAsync("JOIN Powderhorn", "en");

        var reply = await app.TextAsync(stopper, stop);
        Assert.Contains("START", reply);
        Assert.Equal(SubscriberState.Unsubscribed, (await app.SubscriberAsync(stopper))!.State); // before any alert
        // After STOP nothing is said back (Twilio would block it too), not even to HELP.
        Assert.Null(await app.TextAsync(stopper, "HELP"));

        var drill = await DrillToPowderhornAsync(dispatcher);
        Assert.Contains(app.Outbox(), l => l.AlertId == drill && l.Recipient == stayer);
        Assert.DoesNotContain(app.Outbox(), l => l.AlertId == drill && l.Recipient == stopper);

        // START alone resumes the same area at once, without a new code.
        var resumed = await app.TextAsync(stopper, "START");
        Assert.Contains("Powderhorn Park", resumed);
        Assert.DoesNotMatch(@"\b\d{6}\b", resumed);
        Assert.Equal(SubscriberState.Confirmed, (await app.SubscriberAsync(stopper))!.State);
        var second = await DrillToPowderhornAsync(dispatcher);
        Assert.Contains(app.Outbox(), l => l.AlertId == second && l.Recipient == stopper);
    }

    [Fact]
    public async Task Stop_works_in_any_state_and_START_without_a_confirmed_past_asks_for_a_zone()
    {
        var pending = SmsInboundApp.NewNumber();
        var code = Code(await app.TextAsync(pending, "JOIN Whittier"));
        Assert.Contains("START", await app.TextAsync(pending, "stop"));
        Assert.Equal(SubscriberState.Unsubscribed, (await app.SubscriberAsync(pending))!.State);
        Assert.Null(await app.TextAsync(pending, code)); // the code died with the STOP: kept as a report, nothing said
        Assert.Equal(SubscriberState.Unsubscribed, (await app.SubscriberAsync(pending))!.State);
        var start = await app.TextAsync(pending, "START");
        Assert.Contains("JOIN", start);
        Assert.NotEqual(SubscriberState.Confirmed, (await app.SubscriberAsync(pending))!.State);

        var stranger = SmsInboundApp.NewNumber();
        Assert.Contains("START", await app.TextAsync(stranger, "END"));
        Assert.Null(await app.SubscriberAsync(stranger));
    }

    private async Task<JsonObject> SightingOfAsync(HttpClient staff, Guid reportId)
    {
        var sighting = await app.DbAsync((db, _) => db.Reports.Where(r => r.Id == reportId).Select(r => r.SightingId).SingleAsync());
        return (await staff.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
    }

    private Task<Guid> ReportIdAsync(string number) => app.DbAsync(async (db, keys) =>
    {
        var hash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, number));
        return (await db.SmsConversations.AsNoTracking().SingleAsync(c => c.NumberHash == hash)).ReportId!.Value;
    });

    [Fact]
    public async Task A_texted_report_asks_what_is_missing_one_question_at_a_time_and_the_answers_fill_the_same_report()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var number = SmsInboundApp.NewNumber();
        var before = (await app.CountsAsync()).Reports;

        var first = await app.TextAsync(number, "ICE agents outside the laundromat!");
        Assert.StartsWith("Thank you, your report reached our volunteers. Where is it?", first);
        var reportId = await ReportIdAsync(number);
        var detail = await SightingOfAsync(dispatcher, reportId);
        var report = detail["reports"]!.AsArray().Single()!;
        Assert.Equal("sms", report["channel"]!.GetValue<string>());
        Assert.Equal("ice", report["agency"]!.GetValue<string>());
        Assert.Null(report["lat"]);

        Assert.StartsWith("What is happening?", await app.TextAsync(number, "Lake St and 14th Ave, Powderhorn"));
        Assert.StartsWith("How many agents and vehicles?", await app.TextAsync(number, "a checkpoint"));
        var done = await app.TextAsync(number, "4 agents 2 vans");
        Assert.StartsWith("Thank you. Volunteers check", done);
        Assert.Equal(before + 1, (await app.CountsAsync()).Reports);

        detail = await SightingOfAsync(dispatcher, reportId);
        report = detail["reports"]!.AsArray().Single()!;
        Assert.Equal("checkpoint", report["activity"]!.GetValue<string>());
        Assert.Equal(4, report["agents"]!.GetValue<int>());
        Assert.Equal(2, report["vehicles"]!.GetValue<int>());
        Assert.StartsWith("Lake St and 14th Ave, Powderhorn (Powderhorn Park) (approx.)", report["placeText"]!.GetValue<string>());
        Assert.NotNull(report["lat"]); // the zone's label point, a coarse location
        Assert.Contains("4 agents 2 vans", report["text"]!.GetValue<string>());
        Assert.Equal("checkpoint", detail["sighting"]!["activity"]!.GetValue<string>());
        Assert.NotNull(detail["sighting"]!["lat"]);

        // The number is the call-back contact: dispatchers read it, verifiers only learn there is one.
        Assert.Equal(number, report["contact"]!.GetValue<string>());
        await WhistleApp.SendAsync(dispatcher, verifier, detail["sighting"]!["id"]!.GetValue<string>()); // verifiers read only sightings they were sent to
        var seen = (await verifier.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{detail["sighting"]!["id"]}"))!["reports"]!.AsArray().Single()!;
        Assert.Null(seen["contact"]);
        Assert.True(seen["hasContact"]!.GetValue<bool>());
        var stored = await app.DbAsync((db, _) => db.Reports.AsNoTracking().SingleAsync(r => r.Id == reportId));
        Assert.DoesNotContain(number, Encoding.UTF8.GetString(stored.ContactCipher!));
        Assert.True(stored.ContactPurgeAt > DateTimeOffset.UtcNow.AddHours(47));
    }

    [Fact]
    public async Task A_report_in_Spanish_is_answered_in_Spanish_and_joins_a_nearby_sighting()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        // A web report at Seward's label point, then a text naming Seward: the clustering rule merges them.
        var label = app.Services.GetRequiredService<Whistle.Geo.ZoneRegistry>().Current.All.Single(z => z.Name == "Seward").Label;
        var web = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = label.Lat, lon = label.Lon });
        var sighting = (await web.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();

        var number = SmsInboundApp.NewNumber();
        var reply = await app.TextAsync(number, "Hay una redada de la migra en Seward, en la calle Franklin");
        Assert.StartsWith("Gracias, su reporte llegó", reply);
        Assert.Contains("¿Cuántos agentes y vehículos?", reply); // place, activity (redada) and agency (migra) were in the text
        var detail = await SightingOfAsync(dispatcher, await ReportIdAsync(number));
        Assert.Equal(sighting, detail["sighting"]!["id"]!.GetValue<string>());
        Assert.Equal(2, detail["sighting"]!["reportCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_console_hears_of_a_texted_report_and_of_each_answer_live()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "hubs/sightings"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult(dispatcher.DefaultRequestHeaders.Authorization!.Parameter);
            }).Build();
        var heard = new System.Collections.Concurrent.ConcurrentQueue<JsonObject>();
        hub.On<JsonObject>("sighting", heard.Enqueue);
        await hub.StartAsync();

        var number = SmsInboundApp.NewNumber();
        await app.TextAsync(number, "Agents taking someone from a house");
        var reportId = await ReportIdAsync(number);
        var sighting = await app.DbAsync((db, _) => db.Reports.Where(r => r.Id == reportId).Select(r => r.SightingId).SingleAsync());
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.Any(h => h["id"]!.GetValue<Guid>() == sighting)), b => b, "the new sighting on the hub");
        await app.TextAsync(number, "Corner of Lake St and Chicago Ave in Powderhorn");
        var located = await WhistleApp.EventuallyAsync(
            () => Task.FromResult(heard.FirstOrDefault(h => h["id"]!.GetValue<Guid>() == sighting && h["lat"] is not null)), h => h is not null, "the answer on the hub");
        Assert.Contains("Lake St and Chicago Ave", located!["placeText"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unsigned_forged_and_tampered_requests_are_refused_and_change_nothing()
    {
        var number = SmsInboundApp.NewNumber();
        var before = await app.CountsAsync();
        var form = SmsInboundApp.Form(number, "ICE at the school");

        var unsigned = await app.PostAsync(form, signingToken: null);
        var forged = await app.PostAsync(form, signingToken: "not-the-token");
        var otherUrl = await app.PostAsync(form, url: "https://evil.example.org/hooks/twilio/sms");
        var signed = FakeTwilio.Sign(FakeTwilio.AuthToken, SmsInboundApp.Url, form);
        var tampered = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/sms")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>(form) { ["Body"] = "JOIN Seward" }),
        };
        tampered.Headers.Add(FakeTwilio.SignatureHeader, signed);
        var garbage = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/sms") { Content = new FormUrlEncodedContent(form) };
        garbage.Headers.Add(FakeTwilio.SignatureHeader, "%%% not base64 %%%");
        foreach (var res in new[] { unsigned, forged, otherUrl, await app.CreateClient().SendAsync(tampered), await app.CreateClient().SendAsync(garbage) })
        {
            Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
        }
        Assert.Equal(before, await app.CountsAsync());
        Assert.Null(await app.SubscriberAsync(number));
        // The same form, correctly signed, is accepted.
        Assert.Equal(HttpStatusCode.OK, (await app.PostAsync(form)).StatusCode);
        Assert.Equal(before.Reports + 1, (await app.CountsAsync()).Reports);
    }

    [Fact]
    public async Task A_retried_webhook_with_the_same_MessageSid_makes_one_report_and_one_reply()
    {
        var number = SmsInboundApp.NewNumber();
        var sid = SmsInboundApp.NewSid();
        var before = (await app.CountsAsync()).Reports;
        var first = await app.TextAsync(number, "Agents knocking on doors on 28th St", sid);
        var again = await app.TextAsync(number, "Agents knocking on doors on 28th St", sid);
        Assert.NotNull(first);
        Assert.Null(again);
        Assert.Equal(before + 1, (await app.CountsAsync()).Reports);
        // Concurrent retries too.
        var sid2 = SmsInboundApp.NewSid();
        var other = SmsInboundApp.NewNumber();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.PostAsync(SmsInboundApp.Form(other, "Checkpoint at Hiawatha and Lake", sid2))));
        Assert.Equal(before + 2, (await app.CountsAsync()).Reports);
    }

    [Fact]
    public async Task A_burst_is_rate_limited_but_every_text_is_kept_on_the_report_for_the_dispatcher()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var number = SmsInboundApp.NewNumber();
        var before = (await app.CountsAsync()).Reports;
        var replies = new List<string?>();
        for (int i = 1; i <= 15; i++) replies.Add(await app.TextAsync(number, $"message {i} about the vans on Bloomington"));
        Assert.All(replies.Take(10), r => Assert.NotNull(r));
        Assert.All(replies.Skip(10), r => Assert.Null(r));
        Assert.Equal(before + 1, (await app.CountsAsync()).Reports);

        var report = (await SightingOfAsync(dispatcher, await ReportIdAsync(number)))["reports"]!.AsArray().Single()!;
        var text = report["text"]!.GetValue<string>();
        for (int i = 1; i <= 15; i++) Assert.Contains($"message {i} about", text);
        Assert.Equal(5, Regex.Matches(text, Regex.Escape("[held: rate limited]")).Count);
        // STOP is honoured even in a burst.
        Assert.Contains("START", await app.TextAsync(number, "STOP"));
    }

    public static TheoryData<string, HttpStatusCode, string> Malformed() => new()
    {
        // case, status, a word the answer must mention
        { "missing From", HttpStatusCode.BadRequest, "From" },
        { "empty From", HttpStatusCode.BadRequest, "From" },
        { "From not E.164", HttpStatusCode.BadRequest, "From" },
        { "From an alphanumeric sender", HttpStatusCode.BadRequest, "From" },
        { "From a WhatsApp address", HttpStatusCode.BadRequest, "From" },
        { "From given twice", HttpStatusCode.BadRequest, "more than once" },
        { "missing MessageSid", HttpStatusCode.BadRequest, "MessageSid" },
        { "malformed MessageSid", HttpStatusCode.BadRequest, "MessageSid" },
        { "missing To", HttpStatusCode.BadRequest, "To" },
        { "missing Body", HttpStatusCode.BadRequest, "Body" },
        { "huge Body", HttpStatusCode.BadRequest, "Body" },
        { "JSON instead of a form", HttpStatusCode.UnsupportedMediaType, "form" },
        { "multipart instead of a form", HttpStatusCode.UnsupportedMediaType, "form" },
        { "no body at all", HttpStatusCode.UnsupportedMediaType, "form" },
        { "another Twilio account", HttpStatusCode.Forbidden, "account" },
        { "empty Body", HttpStatusCode.OK, "empty" },
        { "whitespace Body", HttpStatusCode.OK, "empty" },
        { "control characters only", HttpStatusCode.OK, "empty" },
        { "a NUL byte in a field", HttpStatusCode.BadRequest, "invalid characters" },
    };

    /// <summary>The request body for a malformed case, and the fields it carries as Twilio would sign them.</summary>
    private static (HttpContent Content, List<KeyValuePair<string, string>> Signed) Build(string what, string number)
    {
        var f = SmsInboundApp.Form(number, "ICE van at the corner");
        switch (what)
        {
            case "missing From": f.Remove("From"); break;
            case "empty From": f["From"] = ""; break;
            case "From not E.164": f["From"] = "6125550123"; break;
            case "From an alphanumeric sender": f["From"] = "WHISTLE"; break;
            case "From a WhatsApp address": f["From"] = "whatsapp:" + number; break;
            case "From given twice":
                var twice = f.ToList();
                twice.Add(KeyValuePair.Create("From", "+16125559999"));
                return (new FormUrlEncodedContent(twice), twice);
            case "missing MessageSid": f.Remove("MessageSid"); break;
            case "malformed MessageSid": f["MessageSid"] = "12345'; DROP TABLE Reports;--"; break;
            case "missing To": f.Remove("To"); break;
            case "missing Body": f.Remove("Body"); break;
            case "huge Body": f["Body"] = new string('x', 20_000); break;
            case "JSON instead of a form": return (JsonContent.Create(f), []);
            case "multipart instead of a form":
                var multipart = new MultipartFormDataContent();
                foreach (var (k, v) in f) multipart.Add(new StringContent(v), k);
                return (multipart, []);
            case "no body at all": return (new ByteArrayContent([]), []);
            case "another Twilio account": f["AccountSid"] = "AC" + new string('9', 32); break;
            case "empty Body": f["Body"] = ""; break;
            case "whitespace Body": f["Body"] = " \n\t "; break;
            case "control characters only": f["Body"] = "\u0001\u001b\u007f"; break;
            case "a NUL byte in a field": f["Body"] = "ICE\u0000van"; break;
            default: throw new ArgumentOutOfRangeException(nameof(what), what, null);
        }
        return (new FormUrlEncodedContent(f), f.ToList());
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_webhooks_get_a_clear_answer_and_change_nothing(string what, HttpStatusCode status, string mentions)
    {
        var number = SmsInboundApp.NewNumber();
        var (body, signed) = Build(what, number);
        // Signed correctly over the fields that go out, as Twilio would: only the content is at fault.
        var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/sms") { Content = body };
        request.Headers.Add(FakeTwilio.SignatureHeader, FakeTwilio.Sign(FakeTwilio.AuthToken, SmsInboundApp.Url, signed));
        var before = await app.CountsAsync();
        var res = await app.CreateClient().SendAsync(request);
        Assert.True(status == res.StatusCode, $"{what}: {res.StatusCode} {await res.Content.ReadAsStringAsync()} {string.Join("\n", app.Logs.Where(l => l.StartsWith("Error")))}");
        var text = await res.Content.ReadAsStringAsync();
        Assert.Contains(mentions, text, StringComparison.OrdinalIgnoreCase);
        var after = await app.CountsAsync();
        Assert.Equal((before.Reports, before.Subscribers), (after.Reports, after.Subscribers));
        if (status == HttpStatusCode.OK)
        {
            Assert.Equal("application/xml", res.Content.Headers.ContentType!.MediaType); // TwiML, as Twilio expects
            Assert.Contains("Text what you see", SmsInboundApp.Reply(text));
        }
        else
        {
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
            Assert.Equal(before.Receipts, after.Receipts);
        }
    }
}

public sealed class SqliteSmsInboundTests(SmsInboundApp app) : SmsInboundTests<SmsInboundApp>(app);

public sealed class PostgresSmsInboundTests(SmsInboundPostgresApp app) : SmsInboundTests<SmsInboundPostgresApp>(app);
