using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;
using Xunit.Abstractions;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 11, sections 3 and 4, as attacks over HTTP with the shipped limits: nobody learns who is subscribed,
/// nobody unsubscribes someone else, no SMS pumping, no SMS bombing, no code guessing. SQLite and PostgreSQL.
/// </summary>
public abstract class SubscriptionSafetyTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static readonly object Here = new { lat = 44.95, lon = -93.26, radiusMeters = 300 };
    private Db Db => app is PostgresApp ? Db.Postgres : Db.Sqlite;

    private static Task<HttpResponseMessage> SubscribeRaw(HttpClient client, string channel, string address, string language = "en") =>
        client.PostAsJsonAsync("/api/v1/subscriptions", new { channel, address, language, circle = Here, drills = true });

    private static async Task<T> InDbAsync<T>(WhistleApp a, Func<WhistleDb, KeyRing, Task<T>> read)
    {
        await using var scope = a.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<KeyRing>());
    }

    private static Task<Subscriber?> SubscriberAsync(WhistleApp a, SubscriberChannel channel, string address) => InDbAsync(a, (db, keys) =>
    {
        var hash = keys.Hash(Addresses.LookupKey(channel, address));
        return db.Subscribers.AsNoTracking().FirstOrDefaultAsync(s => s.AddressHash == hash);
    });

    private static string Code(OutboxLine line) => Regex.Match(line.Text, @"\b\d{6}\b").Value;

    private static async Task<OutboxLine> CodeLineAsync(WhistleApp a, string address, int skip = 0) =>
        (await WhistleApp.EventuallyAsync(() => Task.FromResult(a.Outbox().Skip(skip).LastOrDefault(l => l.AlertId is null && l.Recipient == address)),
            l => l is not null, $"a code to {address}"))!;

    private CustomApp FakeTimeApp(FakeTimeProvider clock, Dictionary<string, string?>? settings = null) =>
        new(settings ?? [], s => s.AddSingleton<TimeProvider>(clock), Db);

    // --- 3. Nobody learns who is subscribed ---------------------------------------------------------------

    [Fact]
    public async Task Subscribing_answers_alike_for_known_and_unknown_addresses_names_no_id_and_does_the_same_work()
    {
        var client = app.CreateClient();
        var known = await Seed.SubscribersAsync(app, 20, 44.95, -93.26, SubscriberChannel.Email, first: 8100);
        var unknown = Enumerable.Range(8200, 20).Select(i => $"s{i}@example.org").ToList();
        for (int i = 0; i < 3; i++) await SubscribeRaw(client, "email", $"warm-{i}-{Guid.NewGuid():N}@example.org"); // JIT, pools

        var bodies = new HashSet<string>();
        var statuses = new HashSet<HttpStatusCode>();
        var knownMs = new List<double>();
        var unknownMs = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            foreach (var (address, times) in new[] { (known[i], knownMs), (unknown[i], unknownMs) })
            {
                var watch = Stopwatch.StartNew();
                var res = await SubscribeRaw(client, "email", address);
                var body = await res.Content.ReadAsStringAsync();
                times.Add(watch.Elapsed.TotalMilliseconds);
                bodies.Add(body);
                statuses.Add(res.StatusCode);
            }
        }
        // The hard assertions: one status and one body for all forty, and no id in it.
        Assert.Equal(HttpStatusCode.Accepted, Assert.Single(statuses));
        var only = Assert.Single(bodies);
        Assert.Equal("""{"status":"pending"}""", only);
        Assert.DoesNotContain("id", JsonNode.Parse(only)!.AsObject().Select(p => p.Key));
        // The same work: every address, known or not, was sent a code.
        foreach (var address in known.Concat(unknown)) await CodeLineAsync(app, address);
        // About the same time: medians within 50 % of each other (or 25 ms on a busy machine).
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        double mk = Median(knownMs), mu = Median(unknownMs);
        output.WriteLine($"{Db}: median known {mk:0.0} ms, unknown {mu:0.0} ms (20 each)");
        Assert.True(Math.Abs(mk - mu) <= Math.Max(25, 0.5 * Math.Max(mk, mu)), $"known {mk:0.0} ms, unknown {mu:0.0} ms");
    }

    // --- 3. Nobody unsubscribes someone else --------------------------------------------------------------

    [Fact]
    public async Task Unsubscribing_with_only_an_address_stops_nothing_and_says_goodbye_to_no_one_the_code_sent_to_the_owner_does()
    {
        var client = app.CreateClient();
        var (victim, stranger) = ("+16125558001", "+16125558002");
        await Seed.SubscribersAsync(app, 1, 44.95, -93.26, first: 8001);
        int before = app.Outbox().Count;

        // The attack: the victim's number and nothing else.
        var attack = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe", new { address = victim });
        var unknown = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe", new { address = stranger });
        Assert.Equal(HttpStatusCode.Accepted, attack.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(await attack.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
        var codeLine = await CodeLineAsync(app, victim, before);
        Assert.Equal(SubscriberState.Confirmed, (await SubscriberAsync(app, SubscriberChannel.Sms, victim))!.State);
        Assert.DoesNotContain(app.Outbox().Skip(before), l => l.Text.Contains("will not receive alerts"));
        Assert.DoesNotContain(app.Outbox().Skip(before), l => l.Recipient == stranger);

        // A wrong code, and the code used where a sign-up code goes, stop nothing.
        var code = Code(codeLine);
        var wrong = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe/confirm", new { address = victim, code = code == "000000" ? "111111" : "000000" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = victim, code })).StatusCode);
        Assert.Equal(SubscriberState.Confirmed, (await SubscriberAsync(app, SubscriberChannel.Sms, victim))!.State);

        // The owner, who reads the code on the phone, stops; and is told so once.
        var ok = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe/confirm", new { address = victim, code });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("unsubscribed", (await ok.Content.ReadFromJsonAsync<JsonObject>())!["state"]!.GetValue<string>());
        Assert.Equal(SubscriberState.Unsubscribed, (await SubscriberAsync(app, SubscriberChannel.Sms, victim))!.State);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().Skip(before).Count(l => l.Recipient == victim && l.Text.Contains("will not receive alerts"))),
            n => n == 1, "the goodbye");
    }

    [Fact]
    public async Task A_web_push_subscription_is_stopped_by_its_endpoint_with_its_own_keys_and_not_by_its_endpoint_alone()
    {
        var client = app.CreateClient();
        var endpoint = $"https://push.invalid/sub/{Guid.NewGuid():N}";
        var point = new byte[65];
        Random.Shared.NextBytes(point);
        point[0] = 4;
        var p256dh = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(point);
        var auth = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(Guid.NewGuid().ToByteArray());
        await InDbAsync(app, async (db, keys) =>
        {
            var now = DateTimeOffset.UtcNow;
            db.Subscribers.Add(new Subscriber
            {
                Channel = SubscriberChannel.Webpush, AddressCipher = keys.Encrypt(endpoint, Purpose.SubscriberAddress),
                AddressHash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Webpush, endpoint)),
                SecretCipher = keys.Encrypt(JsonSerializer.Serialize(new PushKeys(p256dh, auth)), Purpose.SubscriberSecret),
                Zones = "5", State = SubscriberState.Confirmed, CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
            });
            return await db.SaveChangesAsync();
        });
        async Task<SubscriberState> State() => (await SubscriberAsync(app, SubscriberChannel.Webpush, endpoint))!.State;

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe", new { channel = "webpush", address = endpoint })).StatusCode);
        Assert.Equal(SubscriberState.Confirmed, await State());
        var otherAuth = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(Guid.NewGuid().ToByteArray());
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe",
            new { channel = "webpush", address = endpoint, keys = new { p256dh, auth = otherAuth } })).StatusCode);
        Assert.Equal(SubscriberState.Confirmed, await State());

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe",
            new { channel = "webpush", address = endpoint, keys = new { p256dh, auth } })).StatusCode);
        Assert.Equal(SubscriberState.Unsubscribed, await State());
    }

    // --- 4. No SMS pumping ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("+88216123456")]   // international networks (Iridium)
    [InlineData("+23276123456")]   // Sierra Leone
    [InlineData("+9607771234")]    // Maldives
    [InlineData("+18765551234")]   // Jamaica: +1 like the US, told apart by the number plan
    [InlineData("+447700900123")]  // UK
    public async Task A_number_outside_the_allowed_countries_is_refused_as_a_subscriber_and_as_a_staff_contact(string number)
    {
        int before = app.Outbox().Count;
        var res = await SubscribeRaw(app.CreateClient(), "sms", number);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("US", problem["errors"]!["address"]![0]!.GetValue<string>());
        Assert.Null(await SubscriberAsync(app, SubscriberChannel.Sms, number));

        var admin = await app.StaffAsync("admin");
        var staff = await admin.PostAsJsonAsync("/api/v1/users", new { email = $"far-{Guid.NewGuid():N}@staff.test", role = "verifier", contact = new { channel = "sms", address = number } });
        Assert.Equal(HttpStatusCode.BadRequest, staff.StatusCode);
        Assert.NotNull((await staff.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["contact.address"]);
        Assert.DoesNotContain(app.Outbox().Skip(before), l => l.Recipient == number);
    }

    [Fact]
    public async Task A_number_outside_the_allowed_countries_already_in_the_database_is_never_sent_a_text()
    {
        // A row no API would make now (written before the allow-list, or by hand): the sender is the last guard.
        const double lat = 44.91, lon = -93.31;
        await Seed.SubscribersAsync(app, 1, lat, lon, first: 8040);
        const string premium = "+88216123400";
        await InDbAsync(app, async (db, keys) =>
        {
            var now = DateTimeOffset.UtcNow;
            db.Subscribers.Add(new Subscriber
            {
                Channel = SubscriberChannel.Sms, AddressCipher = keys.Encrypt(premium, Purpose.SubscriberAddress),
                AddressHash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, premium)),
                AreaCipher = new SealedCircle(lat, lon, 200).Seal(keys), State = SubscriberState.Confirmed, CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
                Drills = true, // a drill goes to those who opted in (issue 12 §3)
            });
            return await db.SaveChangesAsync();
        });
        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat, lon, radiusMeters = 100 } });
        var alertId = (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var alert = await WhistleApp.EventuallyAsync(async () => (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
            a => a["deliveries"]!["pending"]!.GetValue<int>() == 0, "the alert's deliveries to settle");
        Assert.Contains(app.Outbox(), l => l.AlertId == Guid.Parse(alertId) && l.Recipient == "+16125558040");
        Assert.DoesNotContain(app.Outbox(), l => l.Recipient == premium);
        Assert.Equal(1, alert["deliveries"]!["failed"]!.GetValue<int>() + alert["deliveries"]!["dead"]!.GetValue<int>());
    }

    // --- 4. No SMS bombing ----------------------------------------------------------------------------------

    [Fact]
    public async Task One_number_gets_five_codes_a_day_not_one_a_minute_forever()
    {
        // The day is the UTC day: start early in it, so the three hours below never cross midnight whatever the hour of the run.
        var clock = new FakeTimeProvider(new DateTimeOffset(DateTime.UtcNow.Date.AddHours(1), TimeSpan.Zero));
        using var own = FakeTimeApp(clock);
        var client = own.CreateClient();
        const string victim = "+16125558020";
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await SubscribeRaw(client, "sms", victim)).StatusCode);
            await WhistleApp.EventuallyAsync(() => Task.FromResult(own.Outbox().Count(l => l.Recipient == victim)), n => n == i + 1, $"code {i + 1}");
            clock.Advance(TimeSpan.FromMinutes(2));
        }
        var sixth = await SubscribeRaw(client, "sms", victim);
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
        Assert.Equal("application/problem+json", sixth.Content.Headers.ContentType!.MediaType);
        // The unsubscribe form is no way round it (same address, same day).
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe", new { address = victim })).StatusCode);
        clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SubscribeRaw(client, "sms", victim)).StatusCode);
        Assert.Equal(5, own.Outbox().Count(l => l.Recipient == victim));

        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(HttpStatusCode.Accepted, (await SubscribeRaw(client, "sms", victim)).StatusCode);
    }

    [Fact]
    public async Task The_network_sends_at_most_its_hourly_code_messages_per_channel_and_admins_see_the_cap_hit()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var own = FakeTimeApp(clock);
        var client = own.CreateClient();
        int cap = new SubscriptionOptions().CodesPerHour.Sms;
        for (int i = 0; i < cap; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await SubscribeRaw(client, "sms", $"+1612555{3000 + i:D4}")).StatusCode);
        var refused = await SubscribeRaw(client, "sms", "+16125559999");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        // E-mail has its own cap: still open.
        Assert.Equal(HttpStatusCode.Accepted, (await SubscribeRaw(client, "email", "still-open@example.org")).StatusCode);

        var admin = await own.StaffAsync("admin");
        var limits = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/admin/code-limits"))!;
        var sms = limits.Single(l => l!["channel"]!.GetValue<string>() == "sms")!;
        Assert.Equal(cap, sms["sentThisHour"]!.GetValue<int>());
        Assert.Equal(cap, sms["perHour"]!.GetValue<int>());
        Assert.Equal(1, sms["refusedLast24Hours"]!.GetValue<int>());
        Assert.Equal(0, limits.Single(l => l!["channel"]!.GetValue<string>() == "email")!["refusedLast24Hours"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Forbidden, (await (await own.StaffAsync("dispatcher")).GetAsync("/api/v1/admin/code-limits")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await own.CreateClient().GetAsync("/api/v1/admin/code-limits")).StatusCode);

        // The next hour the channel opens again.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Accepted, (await SubscribeRaw(client, "sms", "+16125559999")).StatusCode);
    }

    // --- 4. No code guessing --------------------------------------------------------------------------------

    [Fact]
    public async Task Wrong_codes_count_per_address_across_new_codes_and_a_code_lasts_ten_minutes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(DateTime.UtcNow.Date.AddHours(1), TimeSpan.Zero)); // not across midnight (a UTC day)
        using var own = FakeTimeApp(clock);
        var client = own.CreateClient();
        const string target = "guessed@example.org";
        async Task<string> NewCodeAsync()
        {
            int before = own.Outbox().Count;
            Assert.Equal(HttpStatusCode.Accepted, (await SubscribeRaw(client, "email", target)).StatusCode);
            return Code(await CodeLineAsync(own, target, before));
        }
        Task<HttpResponseMessage> Try(string code) => client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = target, code });
        string Wrong(string code) => code == "000000" ? "111111" : "000000";

        // The patient guesser: five wrong tries, a new code, five more.
        for (int round = 0; round < 2; round++)
        {
            var code = await NewCodeAsync();
            for (int i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.BadRequest, (await Try(Wrong(code))).StatusCode);
            clock.Advance(TimeSpan.FromMinutes(2));
        }
        // Ten wrong today: even a fresh code, typed right, is refused until tomorrow.
        var third = await NewCodeAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await Try(third)).StatusCode);
        Assert.NotEqual(SubscriberState.Confirmed, (await SubscriberAsync(own, SubscriberChannel.Email, target))!.State);

        clock.Advance(TimeSpan.FromDays(1));
        var tomorrow = await NewCodeAsync();
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(HttpStatusCode.OK, (await Try(tomorrow)).StatusCode);

        // A code is good for ten minutes.
        const string late = "late@example.org";
        int n = own.Outbox().Count;
        await SubscribeRaw(client, "email", late);
        var lateCode = Code(await CodeLineAsync(own, late, n));
        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = late, code = lateCode })).StatusCode);
    }

    // --- 3. What is kept goes ----------------------------------------------------------------------------------

    [Fact]
    public async Task Housekeeping_deletes_sign_ups_never_confirmed_after_a_day_and_a_wiped_address_takes_its_blind_index_with_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var own = FakeTimeApp(clock);
        var client = own.CreateClient();
        var housekeeping = own.Services.GetRequiredService<Housekeeping>();
        const string never = "never-came-back@example.org", leaving = "+16125558030";
        await SubscribeRaw(client, "email", never);
        await CodeLineAsync(own, never);
        await Seed.SubscribersAsync(own, 1, 44.95, -93.26, first: 8030);
        await own.UnsubscribeAsync(client, leaving);
        var leftId = await own.SubscriberIdAsync("sms", leaving);
        var neverId = await own.SubscriberIdAsync("email", never);
        byte[] leavingHash = await InDbAsync(own, (_, keys) => Task.FromResult(keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, leaving))));
        Assert.True(await InDbAsync(own, (db, _) => db.CodeTallies.AnyAsync(t => t.Key == leavingHash)));

        clock.Advance(TimeSpan.FromHours(23));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal(neverId, await own.SubscriberIdAsync("email", never));

        clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        await housekeeping.RunOnceAsync(default);
        // The sign-up nobody confirmed is gone, with the code sent to it.
        Assert.Equal(0, await own.SubscriberIdAsync("email", never));
        Assert.False(await InDbAsync(own, (db, _) => db.Messages.AnyAsync(m => m.SubscriberId == neverId)));
        // The unsubscribed row stays (its delivery history points at it), but nothing in it leads back to the number:
        // no address, and no blind index of it, here or in the code counters.
        var left = await InDbAsync(own, (db, _) => db.Subscribers.AsNoTracking().SingleAsync(s => s.Id == leftId));
        Assert.Null(left.AddressCipher);
        Assert.NotEqual(leavingHash, left.AddressHash);
        Assert.Equal(0, await own.SubscriberIdAsync("sms", leaving));
        Assert.False(await InDbAsync(own, (db, _) => db.CodeTallies.AnyAsync(t => t.Key == leavingHash)));
    }
}

public sealed class SubscriptionSafetyTestsSqlite(SqliteApp a, ITestOutputHelper o) : SubscriptionSafetyTests<SqliteApp>(a, o);

public sealed class SubscriptionSafetyTestsPostgres(PostgresApp a, ITestOutputHelper o) : SubscriptionSafetyTests<PostgresApp>(a, o);

/// <summary>Texts from abroad and JOIN floods, over the Twilio webhook.</summary>
public abstract class SubscriptionSafetySmsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : SmsInboundAppBase
{
    [Fact]
    public async Task A_text_from_a_country_not_allowed_is_heard_but_never_answered_and_never_sent_a_code()
    {
        const string abroad = "+23276123499";
        var (reports, subscribers, _) = await app.CountsAsync();
        Assert.Null(await app.TextAsync(abroad, "JOIN Phillips West"));
        Assert.Null(await app.SubscriberAsync(abroad));
        Assert.Null(await app.TextAsync(abroad, "HELP"));
        Assert.Null(await app.TextAsync(abroad, "ICE van at Lake St and Bloomington"));
        var (reportsAfter, subscribersAfter, _) = await app.CountsAsync();
        Assert.Equal(reports + 1, reportsAfter); // the report is kept: only the reply is withheld
        Assert.Equal(subscribers, subscribersAfter);
        Assert.Null(await app.TextAsync(abroad, "STOP"));
    }

    [Fact]
    public async Task JOIN_by_text_shares_the_daily_code_limit_of_the_number()
    {
        var number = SmsInboundAppBase.NewNumber();
        for (int i = 0; i < 5; i++)
            Assert.Matches(@"\b\d{6}\b", await app.TextAsync(number, "JOIN Phillips West"));
        Assert.Null(await app.TextAsync(number, "JOIN Phillips West"));
        // Nor may the web's unsubscribe form send a sixth code to it.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions/unsubscribe",
            new { address = number })).StatusCode);
    }
}

public sealed class SubscriptionSafetySmsTestsSqlite(SmsInboundApp a) : SubscriptionSafetySmsTests<SmsInboundApp>(a);

public sealed class SubscriptionSafetySmsTestsPostgres(SmsInboundPostgresApp a) : SubscriptionSafetySmsTests<SmsInboundPostgresApp>(a);
