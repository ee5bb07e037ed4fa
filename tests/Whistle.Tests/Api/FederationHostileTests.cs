using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// One Whistle following a healthy partner and one partner per hostile case. First every feed is healthy
/// (each partner's alert is imported); then each hostile partner's feed turns bad in its own way while the
/// healthy one sends an update, and all are polled together.
/// </summary>
public sealed class FederationHostileFixture : IAsyncLifetime
{
    public const string Good = "good-neighbours";
    public const long MaxFeedBytes = 64 * 1024;
    public static readonly DateTimeOffset Sent = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeSeconds());
    public static readonly DateTimeOffset Expires = Sent.AddHours(4);

    public PartnerFeeds Feeds { get; private set; } = null!;
    public CustomApp App { get; private set; } = null!;
    public HttpClient Dispatcher { get; private set; } = null!;

    public static string Sender(string partner) => $"alerts@{partner}.example.org";
    public static string Headline(string partner) => $"Checkpoint reported by {partner}";

    /// <summary>The partner's first, healthy alert.</summary>
    public static string First(string partner) => Message($"{partner}-1", Sender(partner), Sent, expires: Expires,
        infos: [En(Headline(partner)), Es("Retén")]);

    /// <summary>An update of the partner's first alert, with whatever defect the case puts in.</summary>
    public static string UpdateOf(string partner, string status = "Actual", string? circle = "44.95,-93.26 1", string? polygon = null,
        string headline = "Moved two blocks north", DateTimeOffset? expires = null, string? identifier = null, string ns = "urn:oasis:names:tc:emergency:cap:1.2") =>
        Message(identifier ?? $"{partner}-2", Sender(partner), Sent.AddMinutes(5), "Update",
            references: Reference(Sender(partner), $"{partner}-1", Sent), expires: expires ?? Expires, status: status, ns: ns,
            infos: [new Info("en-US", headline, "Still there.", circle, polygon)]);

    public static string FeedOf(string partner, string updateCap, bool embed = true) =>
        Feed(partner, new Entry($"{partner}-2", updateCap, embed), new Entry($"{partner}-1", First(partner)));

    private static readonly string Laughs =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
        + "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\"><!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
        + "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\"><!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
        + "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>\n"
        + "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>&lol9;</title></feed>";

    /// <summary>Each case: the partner's name, what its feed turns into, and a fragment of the reason recorded.</summary>
    public static readonly Dictionary<string, (Action<PartnerFeeds, string> Turn, string Reason)> Cases = new()
    {
        ["not-xml"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p))[..300]), "not well-formed XML"),
        ["huge-declared"] = ((f, p) => f.Handle($"/{p}", async ctx =>
        {
            var body = Encoding.UTF8.GetBytes(FeedOf(p, UpdateOf(p)) + new string(' ', (int)MaxFeedBytes));
            ctx.Response.ContentType = "application/atom+xml";
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
        }), "larger than 65536 bytes (Content-Length)"),
        ["huge-streamed"] = ((f, p) => f.Handle($"/{p}", async ctx =>
        {
            ctx.Response.ContentType = "application/atom+xml";
            var chunk = Encoding.UTF8.GetBytes("<entry><title>" + new string('x', 8000) + "</title></entry>");
            await ctx.Response.WriteAsync("<feed xmlns=\"http://www.w3.org/2005/Atom\">");
            for (int i = 0; i < 1000 && !ctx.RequestAborted.IsCancellationRequested; i++) await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
        }), "larger than 65536 bytes"),
        ["billion-laughs"] = ((f, p) => f.Serve($"/{p}", Laughs), "DOCTYPE"),
        ["external-entity"] = ((f, p) => f.Serve($"/{p}",
            "<?xml version=\"1.0\"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>&xxe;</title></feed>"),
            "DOCTYPE"),
        ["atom-0.3"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p)).Replace("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")), "not Atom"),
        ["rss-root"] = ((f, p) => f.Serve($"/{p}", "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title></channel></rss>"), "not an Atom <feed>"),
        ["cap-1.1"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, ns: "urn:oasis:names:tc:emergency:cap:1.1"))), "not CAP 1.2"),
        ["fails-xsd"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, status: "Rumour"))), "fails the CAP 1.2 schema at <status>"),
        ["no-identifier"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, identifier: "   "))), "missing identifier"),
        ["circle-off-earth"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, circle: "95.0,-93.26 1"))), "circle point is out of range"),
        ["circle-too-big"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, circle: "44.95,-93.26 9000"))), "radius"),
        ["open-polygon"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, circle: null, polygon: "44.9,-93.3 44.9,-93.2 45.0,-93.2 45.0,-93.3"))), "not closed"),
        ["script-in-headline"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, headline: "<script>fetch('//evil.example')</script>Checkpoint"))), "headline contains markup"),
        ["expires-before-sent"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p, expires: Sent.AddHours(-1)))), "expires is not after sent"),
        ["redirect-loop"] = ((f, p) =>
        {
            f.Handle($"/{p}", ctx => { ctx.Response.Redirect($"/{p}-b"); return Task.CompletedTask; });
            f.Handle($"/{p}-b", ctx => { ctx.Response.Redirect($"/{p}"); return Task.CompletedTask; });
        }, "redirect loop"),
        ["html-page"] = ((f, p) => f.Serve($"/{p}", "<!doctype html><html><body>Maintenance</body></html>", "text/html"), "content type 'text/html' is not XML"),
        ["hangs"] = ((f, p) => f.Handle($"/{p}", async ctx => await Task.Delay(Timeout.Infinite, ctx.RequestAborted)), "timed out"),
        ["server-error"] = ((f, p) => f.Handle($"/{p}", ctx => { ctx.Response.StatusCode = 500; return Task.CompletedTask; }), "HTTP 5xx"),
        ["cap-link-missing"] = ((f, p) => f.Serve($"/{p}", FeedOf(p, UpdateOf(p), embed: false)), "entry 1: HTTP 4xx"),
    };

    public async Task InitializeAsync()
    {
        Feeds = await PartnerFeeds.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Whistle:Federation:Enabled"] = "false",
            ["Whistle:Federation:MaxFeedBytes"] = MaxFeedBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Whistle:Federation:TimeoutSeconds"] = "10", // long enough for a loaded test machine (5 s timed out the healthy first poll at load 60 on 2 cores); the hanging partner costs this much
        };
        var partners = Cases.Keys.Prepend(Good).ToList();
        for (int i = 0; i < partners.Count; i++)
        {
            settings[$"Whistle:Federation:Partners:{i}:Name"] = partners[i];
            settings[$"Whistle:Federation:Partners:{i}:FeedUrl"] = $"{Feeds.Url}/{partners[i]}";
            settings[$"Whistle:Federation:Partners:{i}:AllowPrivateNetwork"] = "true"; // the fake partners are on loopback
            Feeds.Serve($"/{partners[i]}", Feed(partners[i], new Entry($"{partners[i]}-1", First(partners[i]))));
        }
        App = new CustomApp(settings);
        Dispatcher = await App.StaffAsync("dispatcher");
        await FederationTests.PollAsync(App);
        Before = (await FederationTests.PublicAsync(App.CreateClient())).Select(f => f!.AsObject()).ToList();

        Feeds.Serve($"/{Good}", FeedOf(Good, UpdateOf(Good)));
        foreach (var (partner, c) in Cases) c.Turn(Feeds, partner);
        await FederationTests.PollAsync(App);
        After = (await FederationTests.PublicAsync(App.CreateClient())).Select(f => f!.AsObject()).ToList();
    }

    public List<JsonObject> Before { get; private set; } = [];
    public List<JsonObject> After { get; private set; } = [];

    public async Task DisposeAsync()
    {
        App.Dispose();
        await Feeds.DisposeAsync();
    }
}

public sealed class FederationHostileTests(FederationHostileFixture f) : IClassFixture<FederationHostileFixture>
{
    public static TheoryData<string> Cases => new(FederationHostileFixture.Cases.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_or_broken_feed_is_refused_with_its_reason_its_alerts_unchanged_and_the_healthy_partner_still_imported(string partner)
    {
        var status = await FederationTests.StatusAsync(f.Dispatcher, partner);
        Assert.Contains(FederationHostileFixture.Cases[partner].Reason, status["lastError"]!.GetValue<string>());
        Assert.True(status["errorCount"]!.GetValue<int>() == 1, status.ToJsonString());
        Assert.Equal(1, status["imported"]!.GetValue<int>()); // the healthy first alert only

        // Its alert is as it was before the bad poll.
        string Of(List<JsonObject> features) => features.Single(x => x["properties"]!["partner"]!.GetValue<string>() == partner).ToJsonString();
        Assert.Equal(Of(f.Before), Of(f.After));
        Assert.Equal(FederationHostileFixture.Headline(partner), f.After.Single(x => x["properties"]!["partner"]!.GetValue<string>() == partner)
            ["properties"]!["headlines"]!["en"]!.GetValue<string>());
        var rows = (await f.Dispatcher.GetFromJsonAsync<JsonArray>($"/api/v1/federation/alerts?partner={Uri.EscapeDataString(partner)}"))!;
        Assert.Single(rows);

        // The healthy partner, polled at the same time, got its update in.
        var good = f.After.Single(x => x["properties"]!["partner"]!.GetValue<string>() == FederationHostileFixture.Good);
        Assert.Equal("Moved two blocks north", good["properties"]!["headlines"]!["en"]!.GetValue<string>());
        Assert.Equal(0, (await FederationTests.StatusAsync(f.Dispatcher, FederationHostileFixture.Good))["errorCount"]!.GetValue<int>());
    }

    [Fact]
    public void The_refusals_are_logged_with_the_partner_and_reason_but_never_the_content()
    {
        var refusals = f.App.Logs.Where(l => l.Contains("Federation: partner", StringComparison.Ordinal) && l.Contains("refused", StringComparison.Ordinal)).ToList();
        foreach (var partner in FederationHostileFixture.Cases.Keys)
            Assert.Contains(refusals, l => l.Contains($"partner {partner} refused", StringComparison.Ordinal));
        Assert.DoesNotContain(f.App.Logs, l => l.Contains("evil.example", StringComparison.Ordinal) || l.Contains("Rumour", StringComparison.Ordinal)
            || l.Contains("Maintenance", StringComparison.Ordinal) || l.Contains("/etc/passwd", StringComparison.Ordinal));
    }
}
