using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;
using Whistle.Site;
using Whistle.Submissions;

namespace Whistle.Tests.Api;

/// <summary>
/// A Whistle behind a reverse proxy on loopback (so each test can speak from its own network with X-Forwarded-For, as
/// <see cref="IntakeApp"/> does), optionally on a clock the test moves.
/// </summary>
public class SubmissionApp(Db db, Dictionary<string, string?>? extra = null, TimeProvider? time = null) : WhistleApp(db, Merged(extra))
{
    private static Dictionary<string, string?> Merged(Dictionary<string, string?>? extra)
    {
        var s = new Dictionary<string, string?>
        {
            ["Whistle:TrustedProxies"] = "127.0.0.1",
            ["Whistle:RateLimits:SubmissionsPerMinute"] = "100000",
            // Tests share the app and its network budget; the flood tests start their own app with the shipped budgets.
            ["Whistle:Submissions:SourcePerHour"] = "100000",
            ["Whistle:Submissions:NetworkPerMinute"] = "100000",
            ["Whistle:Submissions:MinFreeBytes"] = "1",
        };
        foreach (var kv in extra ?? []) s[kv.Key] = kv.Value;
        return s;
    }

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.AddSingleton<IStartupFilter, LoopbackPeer>();
        if (time is not null) services.AddSingleton(time);
    }

    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((ctx, go) => { ctx.Connection.RemoteIpAddress ??= IPAddress.Loopback; return go(ctx); });
            next(app);
        };
    }

    private static int _networks;

    /// <summary>A client the proxy forwards for an address of its own /24 network (a source of its own).</summary>
    public HttpClient FromNewNetwork() => From($"10.{Interlocked.Increment(ref _networks) % 250}.{Random.Shared.Next(250)}.9");

    public HttpClient From(string address)
    {
        var c = CreateClient();
        c.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return c;
    }

    public async Task<T> DbAsync<T>(Func<WhistleDb, KeyRing, Task<T>> read)
    {
        await using var scope = Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<KeyRing>());
    }

    public static string Hex(int i) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("file " + i)));

    public static JsonObject File(int i, string type = "video/quicktime", long size = 12_345_678) =>
        new() { ["name"] = $"IMG_{i:D4}.MOV", ["type"] = type, ["size"] = size, ["sha256"] = Hex(i) };

    /// <summary>A body as the /evidence page sends it.</summary>
    public static JsonObject Body(string language = "en", params JsonObject[] files) => new()
    {
        ["language"] = language,
        ["what"] = "Two agents took a man from the bus stop",
        ["place"] = "Lake St and 15th Ave",
        ["observedAt"] = DateTimeOffset.UtcNow.AddMinutes(-30).ToString("O"),
        ["consent"] = "lawyersOnly",
        ["blurRequested"] = false,
        ["files"] = new JsonArray(files.Length == 0 ? [File(1)] : files.Select(f => (JsonNode)f).ToArray()),
    };

    public static async Task<JsonObject> CreatedAsync(HttpResponseMessage res)
    {
        Assert.True(res.StatusCode == HttpStatusCode.Created, $"{(int)res.StatusCode}: {await res.Content.ReadAsStringAsync()}");
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}

public sealed class SubmissionSqliteApp() : SubmissionApp(Db.Sqlite);
public sealed class SubmissionPostgresApp() : SubmissionApp(Db.Postgres);

/// <summary>Issue 15, the public submission API: the contract's POST, the page's read-back with its secret, the receipt code, the attacks on them.</summary>
public abstract class SubmissionsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : SubmissionApp
{
    [Fact]
    public async Task A_submission_as_the_page_sends_it_is_stored_sealed_with_its_declared_files_and_a_verifiable_received_entry()
    {
        var body = SubmissionApp.Body("so", SubmissionApp.File(1), SubmissionApp.File(2, "video/webm;codecs=vp8,opus", 5_000), SubmissionApp.File(3, "image/jpeg", 1));
        body["lat"] = 44.948213;
        body["lon"] = -93.262847;
        body["contact"] = "(612) 555-0123";
        body["blurRequested"] = true;
        body["consent"] = "publishBlurred";
        var res = await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", body);
        var created = await SubmissionApp.CreatedAsync(res);
        var id = created["id"]!.GetValue<Guid>();
        Assert.Equal($"/api/v1/submissions/{id}", res.Headers.Location!.OriginalString);
        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", created["receiptCode"]!.GetValue<string>());
        var secret = created["uploadSecret"]!.GetValue<string>();
        Assert.Matches("^[A-Za-z0-9_-]{43}$", secret);
        var files = created["files"]!.AsArray();
        Assert.Equal(["IMG_0001.MOV", "IMG_0002.MOV", "IMG_0003.MOV"], files.Select(f => f!["name"]!.GetValue<string>()));
        Assert.Equal([SubmissionApp.Hex(1), SubmissionApp.Hex(2), SubmissionApp.Hex(3)], files.Select(f => f!["sha256"]!.GetValue<string>()));
        Assert.Equal([12_345_678L, 5_000L, 1L], files.Select(f => f!["size"]!.GetValue<long>()));

        await app.DbAsync(async (db, keys) =>
        {
            var s = await db.Submissions.AsNoTracking().Include(x => x.Files).SingleAsync(x => x.Id == id);
            Assert.Equal(SubmissionState.Uploading, s.State);
            Assert.Equal(SubmissionConsent.PublishBlurred, s.Consent);
            Assert.True(s.BlurRequested);
            Assert.Equal("so", s.Language);
            Assert.Equal(created["receiptCode"]!.GetValue<string>(), s.ReceiptCode);
            Assert.Equal(keys.Hash("submission.secret:" + secret), s.UploadSecretHash);
            Assert.Equal("Two agents took a man from the bus stop", keys.Decrypt(s.WhatCipher!, Purpose.SubmissionText));
            Assert.Equal("Lake St and 15th Ave", keys.Decrypt(s.PlaceCipher!, Purpose.SubmissionText));
            Assert.Equal("44.948213,-93.262847", keys.Decrypt(s.PositionCipher!, Purpose.SubmissionText));
            Assert.Equal("+16125550123", keys.Decrypt(s.ContactCipher!, Purpose.SubmitterContact));
            Assert.InRange(s.ContactPurgeAt!.Value - s.ReceivedAt, TimeSpan.FromHours(47.9), TimeSpan.FromHours(48.1));
            Assert.NotNull(s.SourceHash);
            Assert.Equal(3, s.Files.Count);
            Assert.All(s.Files, f => Assert.Matches("^[a-z2-7]{26}$", f.UploadId));
            Assert.All(s.Files, f => Assert.Equal(0, f.Offset));
            Assert.All(s.Files, f => Assert.Null(f.Sha256));
            Assert.Equal(files.Select(f => f!["id"]!.GetValue<long>()).Order(), s.Files.Select(f => f.Id).Order());
            var webm = s.Files.Single(f => f.ClientSha256 == SubmissionApp.Hex(2));
            Assert.Equal("video/webm", webm.MediaType);
            Assert.Equal(5_000, webm.Length);

            // Custody: the submission's own chain starts with what was received, hashed so anyone can recompute it.
            var chain = await db.Custody.AsNoTracking().Where(c => c.IncidentId == id).OrderBy(c => c.Seq).ToListAsync();
            var entry = Assert.Single(chain);
            Assert.Equal("submission_received", entry.Action);
            Assert.Equal("submitter", entry.Actor);
            Assert.Equal("submission", entry.ObjectType);
            Assert.Equal(id.ToString(), entry.ObjectId);
            Assert.Equal(SubmissionRecord.Hash(s, s.Files), entry.ObjectHash);
            Assert.True(CustodyChain.Verify(chain).Intact);
            return 0;
        });
    }

    [Fact]
    public async Task The_page_reads_its_submission_back_with_its_secret_and_nobody_else_can_tell_it_exists()
    {
        var a = await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions",
            SubmissionApp.Body("en", SubmissionApp.File(1), SubmissionApp.File(2, "audio/mp4", 77))));
        var b = await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));
        var id = a["id"]!.GetValue<Guid>();
        var client = app.FromNewNetwork();

        async Task<HttpResponseMessage> Get(Guid which, string? secret)
        {
            var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/submissions/{which}");
            if (secret is not null) req.Headers.Add("X-Upload-Secret", secret);
            return await client.SendAsync(req);
        }

        var ok = await Get(id, a["uploadSecret"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var view = (await ok.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("uploading", view["state"]!.GetValue<string>());
        Assert.Equal(a["receiptCode"]!.GetValue<string>(), view["receiptCode"]!.GetValue<string>());
        var f = view["files"]!.AsArray();
        Assert.Equal(2, f.Count);
        Assert.Equal(SubmissionApp.Hex(2), f[1]!["clientSha256"]!.GetValue<string>());
        Assert.Null(f[1]!["sha256"]);
        Assert.Equal(77, f[1]!["size"]!.GetValue<long>());
        Assert.Equal(0, f[1]!["offset"]!.GetValue<long>());
        Assert.Equal(a["files"]![1]!["id"]!.GetValue<long>(), f[1]!["id"]!.GetValue<long>());
        Assert.Equal(["clientSha256", "id", "name", "offset", "sha256", "size"], f[0]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(["files", "receiptCode", "state"], view.Select(p => p.Key).Order());

        // No secret, a wrong one, another submission's, a too long one, an unknown id: the same 404, the same words.
        var refusals = new[]
        {
            await Get(id, null), await Get(id, ""), await Get(id, "x"), await Get(id, b["uploadSecret"]!.GetValue<string>()),
            await Get(id, a["uploadSecret"]!.GetValue<string>() + "A"), await Get(id, new string('A', 5000)),
            await Get(Guid.NewGuid(), a["uploadSecret"]!.GetValue<string>()),
        };
        var bodies = new HashSet<string>();
        foreach (var r in refusals)
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            var p = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
            bodies.Add($"{p["title"]}|{p["detail"]}|{p["status"]}");
        }
        Assert.Single(bodies);
    }

    [Fact]
    public async Task A_receipt_code_tells_the_state_and_nothing_else_however_it_is_typed()
    {
        var created = await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));
        var code = created["receiptCode"]!.GetValue<string>();
        var id = created["id"]!.GetValue<Guid>();
        var client = app.FromNewNetwork();

        async Task<JsonObject> Look(string typed)
        {
            var res = await client.GetAsync("/api/v1/submissions/receipt/" + Uri.EscapeDataString(typed));
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            var o = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(["state"], o.Select(p => p.Key)); // no hashes, no incident, no reason, no time
            return o;
        }

        Assert.Equal("uploading", (await Look(code))["state"]!.GetValue<string>());
        Assert.Equal("uploading", (await Look(code.Replace("-", "").ToLowerInvariant()))["state"]!.GetValue<string>());
        Assert.Equal("uploading", (await Look(" " + code.Replace("-", " ").Replace('0', 'O').Replace('1', 'l') + " "))["state"]!.GetValue<string>());

        foreach (var (state, name) in new[] { (SubmissionState.Received, "received"), (SubmissionState.Attached, "attached"), (SubmissionState.Rejected, "rejected") })
        {
            await app.DbAsync(async (db, _) => await db.Submissions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.State, state).SetProperty(s => s.RejectReason, "looks staged").SetProperty(s => s.IncidentId, Guid.NewGuid())));
            var o = await Look(code);
            Assert.Equal(name, o["state"]!.GetValue<string>());
            Assert.DoesNotContain("staged", o.ToJsonString());
        }
    }

    [Fact]
    public async Task Two_hundred_guessed_codes_from_one_network_are_stopped_long_before_any_hit_and_unknown_and_malformed_codes_answer_alike()
    {
        var real = await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));
        var guesser = app.FromNewNetwork();
        var limit = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value.RateLimits.ReceiptLookupsPerHour;
        int firstRefused = -1, hits = 0;
        var shapes = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            // Random well-formed codes, and malformed ones in between.
            var guess = i % 5 == 4 ? "not-a-code-" + i : ReceiptCodes.New();
            var res = await guesser.GetAsync("/api/v1/submissions/receipt/" + Uri.EscapeDataString(guess));
            if (res.StatusCode == HttpStatusCode.TooManyRequests)
            {
                if (firstRefused < 0) firstRefused = i;
                Assert.True(res.Headers.RetryAfter is not null, "429 without Retry-After");
                continue;
            }
            Assert.True(firstRefused < 0, $"request {i} passed after request {firstRefused} was refused");
            if (res.StatusCode == HttpStatusCode.OK) { hits++; continue; }
            Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
            var p = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            shapes.Add(string.Join(",", p.Select(x => x.Key == "traceId" ? "traceId" : $"{x.Key}={x.Value}").Order()) + "|" + res.Content.Headers.ContentType);
        }
        Assert.Equal(0, hits);
        Assert.Equal(limit, firstRefused);
        Assert.InRange(limit, 1, 30);
        Assert.Single(shapes); // a malformed code is not told apart from an unknown one

        // The guesser's network is stopped, not the submitter's.
        var own = await app.FromNewNetwork().GetAsync("/api/v1/submissions/receipt/" + real["receiptCode"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    public static TheoryData<string, string> BadBodies() => new()
    {
        { """{"consent":null}""", "consent" },
        { """{"consent":"everyone"}""", "consent" },
        { """{"files":[]}""", "files" },
        { """{"files":null}""", "files" },
        { """{"files":[null]}""", "files[0]" },
        { """{"files":[{"name":"a.pdf","type":"application/pdf","size":10,"sha256":"X"}]}""", "files[0].type" },
        { """{"files":[{"name":"a.html","type":"text/html","size":10,"sha256":"X"}]}""", "files[0].type" },
        { """{"files":[{"name":"a.svg","type":"image/svg+xml","size":10,"sha256":"X"}]}""", "files[0].type" },
        { """{"files":[{"name":"a.mov","type":"video/quicktime","size":0,"sha256":"X"}]}""", "files[0].size" },
        { """{"files":[{"name":"a.mov","type":"video/quicktime","size":-5,"sha256":"X"}]}""", "files[0].size" },
        { """{"files":[{"name":"a.mov","type":"video/quicktime","size":2147483649,"sha256":"X"}]}""", "files[0].size" },
        { """{"files":[{"name":"a.mov","type":"video/quicktime","size":10,"sha256":"abc"}]}""", "files[0].sha256" },
        { """{"files":[{"name":"a.mov","type":"video/quicktime","size":10,"sha256":"zz00000000000000000000000000000000000000000000000000000000000000"}]}""", "files[0].sha256" },
        { """{"lat":91,"lon":0}""", "lat" },
        { """{"lat":44.9}""", "lon" },
        { """{"observedAt":"2099-01-01T00:00:00Z"}""", "observedAt" },
        { """{"contact":"call me maybe"}""", "contact" },
        { """{"contact":"javascript:alert(1)@x"}""", "contact" },
        { """{"language":"xx"}""", "language" },
        { "{\"what\":\"" + new string('w', 2001) + "\"}", "what" },
        { "{\"place\":\"" + new string('p', 201) + "\"}", "place" },
        { "{\"files\":[{\"name\":\"" + new string('n', 256) + "\",\"type\":\"image/jpeg\",\"size\":10,\"sha256\":\"X\"}]}", "files[0].name" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_field_is_a_problem_naming_it_and_nothing_is_stored(string overrides, string field)
    {
        var body = SubmissionApp.Body();
        foreach (var (k, v) in JsonNode.Parse(overrides)!.AsObject())
            body[k] = v is null ? null : JsonNode.Parse(v.ToJsonString().Replace("\"X\"", "\"" + SubmissionApp.Hex(9) + "\""));
        int before = await app.DbAsync((db, _) => db.Submissions.CountAsync());
        var res = await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", body);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
        var p = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(p["errors"]?[field] is not null, $"no error for {field}: {p.ToJsonString()}");
        Assert.Equal(before, await app.DbAsync((db, _) => db.Submissions.CountAsync()));
    }

    [Fact]
    public async Task Eleven_files_are_refused_and_ten_are_taken()
    {
        var eleven = SubmissionApp.Body("en", Enumerable.Range(1, 11).Select(i => SubmissionApp.File(i)).ToArray());
        var res = await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", eleven);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("At most 10 files", (await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["files"]![0]!.GetValue<string>());
        var ten = SubmissionApp.Body("en", Enumerable.Range(1, 10).Select(i => SubmissionApp.File(i)).ToArray());
        Assert.Equal(10, (await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", ten)))["files"]!.AsArray().Count);
    }

    [Fact]
    public async Task Broken_json_is_a_problem_never_a_500()
    {
        foreach (var raw in new[] { "{", "[]", "null", "{\"files\":\"x\"}", "{\"alertId\":\"not-a-guid\"}", "{\"lat\":\"north\"}", "{\"what\":\"\\ud800\"}",
                     "{\"files\":[{\"size\":1e400}]}", "{\"blurRequested\":\"yes\"}" })
        {
            var res = await app.FromNewNetwork().PostAsync("/api/v1/submissions", new StringContent(raw, Encoding.UTF8, "application/json"));
            Assert.True(res.StatusCode == HttpStatusCode.BadRequest, $"{raw}: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
        }
    }

    [Fact]
    public async Task Problems_are_in_the_language_of_the_body_else_of_the_browser()
    {
        var body = SubmissionApp.Body("so");
        body["consent"] = null;
        var res = await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", body);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("so", res.Content.Headers.ContentLanguage.Single());
        var p = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(Ui.T("so", "problem.submit.consent"), p["errors"]!["consent"]![0]!.GetValue<string>());
        Assert.NotEqual(Ui.T("en", "problem.submit.consent"), Ui.T("so", "problem.submit.consent"));

        var spanish = SubmissionApp.Body("es", SubmissionApp.File(1, "application/pdf"));
        spanish.Remove("language");
        var c = app.FromNewNetwork();
        c.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es-MX,es;q=0.9");
        var r2 = await c.PostAsJsonAsync("/api/v1/submissions", spanish);
        var p2 = (await r2.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(Ui.T("es", "problem.submit.type"), p2["errors"]!["files[0].type"]![0]!.GetValue<string>());

        // Every word of this part in all four languages, none left English.
        foreach (var key in new[] { "consent", "contact", "noFiles", "tooManyFiles", "type", "size", "sha256", "budget", "noSpace", "noSpaceDetail", "alert", "sighting", "notFound", "observedAt", "language" })
            foreach (var lang in new[] { "es", "so", "hmn" })
                Assert.NotEqual(Ui.T("en", "problem.submit." + key), Ui.T(lang, "problem.submit." + key));
    }

    [Fact]
    public async Task Control_characters_are_stripped_and_markup_is_kept_as_plain_text()
    {
        var body = SubmissionApp.Body();
        body["what"] = "<script>alert(1)</script>\u0000\u0007 seen\r\nhere\u0085";
        body["place"] = "  \u001bcorner  ";
        body["files"] = new JsonArray(new JsonObject { ["name"] = "../../x\u0000<b>.jpg", ["type"] = "image/jpeg", ["size"] = 10, ["sha256"] = SubmissionApp.Hex(1).ToUpperInvariant() });
        var created = await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", body));
        Assert.Equal("x<b>.jpg", created["files"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(SubmissionApp.Hex(1), created["files"]![0]!["sha256"]!.GetValue<string>()); // kept lower case
        var id = created["id"]!.GetValue<Guid>();
        await app.DbAsync(async (db, keys) =>
        {
            var s = await db.Submissions.AsNoTracking().SingleAsync(x => x.Id == id);
            Assert.Equal("<script>alert(1)</script> seen\nhere", keys.Decrypt(s.WhatCipher!, Purpose.SubmissionText));
            Assert.Equal("corner", keys.Decrypt(s.PlaceCipher!, Purpose.SubmissionText));
            return 0;
        });
    }

    [Fact]
    public async Task A_submission_may_name_an_active_alert_or_an_alerted_sighting_and_nothing_else()
    {
        var admin = await app.StaffAsync("admin");
        var report = await app.FromNewNetwork().PostAsJsonAsync("/api/v1/reports", new { activity = "arrest", lat = 44.93, lon = -93.24 });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();

        async Task<HttpResponseMessage> Submit(Guid? alertId, Guid? sightingId)
        {
            var b = SubmissionApp.Body();
            if (alertId is { } a) b["alertId"] = a;
            if (sightingId is { } s) b["sightingId"] = s;
            return await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", b);
        }

        // A sighting nobody alerted is not a link the network shared.
        Assert.Equal(HttpStatusCode.BadRequest, (await Submit(null, sighting)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Submit(Guid.NewGuid(), null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Submit(null, Guid.NewGuid())).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        var sent = await admin.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = new { lat = 44.93, lon = -93.24, radiusMeters = 300 } });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var alert = (await sent.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();

        var withAlert = await SubmissionApp.CreatedAsync(await Submit(alert, null));
        var withSighting = await SubmissionApp.CreatedAsync(await Submit(null, sighting));
        await app.DbAsync(async (db, _) =>
        {
            Assert.Equal(alert, (await db.Submissions.SingleAsync(s => s.Id == withAlert["id"]!.GetValue<Guid>())).AlertId);
            Assert.Equal(sighting, (await db.Submissions.SingleAsync(s => s.Id == withSighting["id"]!.GetValue<Guid>())).SightingId);
            // The alert expires.
            return await db.Alerts.Where(a => a.Id == alert).ExecuteUpdateAsync(u => u.SetProperty(a => a.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        });
        var expired = await Submit(alert, null);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Equal(Ui.T("en", "problem.submit.alert"), (await expired.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_database_holds_no_plaintext_what_place_position_or_contact_and_no_address_of_the_sender()
    {
        const string What = "Officer Quarrenby Tolvast pushed the woman", Place = "4417 Brenwick Lane behind the laundromat";
        const double Lat = 44.951137, Lon = -93.277419;
        var body = SubmissionApp.Body("hmn");
        body["what"] = What;
        body["place"] = Place;
        body["lat"] = Lat;
        body["lon"] = Lon;
        body["contact"] = "witness.vantorry@example.org";
        var created = await SubmissionApp.CreatedAsync(await app.From("203.0.113.77").PostAsJsonAsync("/api/v1/submissions", body));
        var second = SubmissionApp.Body();
        second["contact"] = "+1 612 555 0178";
        await SubmissionApp.CreatedAsync(await app.From("203.0.113.77").PostAsJsonAsync("/api/v1/submissions", second));

        var values = await ReportsAtRestTests<SmsInboundApp>.EveryValueAsync(app);
        Assert.Contains(values, v => v.Table == "Submissions" && v.Column == "WhatCipher");
        var found = ReportsAtRestTests<SmsInboundApp>.Finds(values,
            [What, Place, "Quarrenby", "Brenwick", "vantorry", "6125550178", "555 0178", "203.0.113", "44.951137", "93.277419", created["uploadSecret"]!.GetValue<string>()],
            [Lat, Lon]).ToList();
        Assert.True(found.Count == 0, "found in the database: " + string.Join("; ", found));
    }

    [Fact]
    public async Task Below_the_free_space_floor_a_submission_is_refused_with_507_and_nothing_is_stored()
    {
        var options = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value.Submissions;
        int before = await app.DbAsync((db, _) => db.Submissions.CountAsync());
        var floor = options.MinFreeBytes;
        options.MinFreeBytes = long.MaxValue / 4;
        HttpResponseMessage res;
        try { res = await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body("es")); }
        finally { options.MinFreeBytes = floor; }
        Assert.Equal((HttpStatusCode)507, res.StatusCode);
        var p = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(Ui.T("es", "problem.submit.noSpaceDetail"), p["detail"]!.GetValue<string>());
        Assert.Equal(before, await app.DbAsync((db, _) => db.Submissions.CountAsync()));

        // Declaring more than the disk holds is refused the same way, with the ordinary floor.
        var huge = SubmissionApp.Body("en", Enumerable.Range(1, 10).Select(i => SubmissionApp.File(i, size: options.MaxFileBytes)).ToArray());
        var free = new DriveInfo(app.DataDir).AvailableFreeSpace;
        if (10 * options.MaxFileBytes > free)
            Assert.Equal((HttpStatusCode)507, (await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", huge)).StatusCode);
    }
}

public sealed class SubmissionsTestsSqlite(SubmissionSqliteApp a) : SubmissionsTests<SubmissionSqliteApp>(a);
public sealed class SubmissionsTestsPostgres(SubmissionPostgresApp a) : SubmissionsTests<SubmissionPostgresApp>(a);

/// <summary>Issue 15 §2: floods of submissions against the shipped budgets, and the contact's purge, each on its own app and clock.</summary>
public abstract class SubmissionBudgetTests(Db db)
{
    private static Dictionary<string, string?> Shipped()
    {
        var d = new SubmissionOptions();
        return new()
        {
            ["Whistle:Submissions:SourcePerHour"] = d.SourcePerHour.ToString(),
            ["Whistle:Submissions:NetworkPerMinute"] = d.NetworkPerMinute.ToString(),
        };
    }

    [Fact]
    public async Task Five_hundred_submissions_from_one_network_take_its_hourly_budget_and_no_more_and_every_accepted_one_is_kept()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new SubmissionApp(db, Shipped(), clock);
        var budget = new SubmissionOptions().SourcePerHour;
        var flooder = app.From("198.51.100.23");
        var accepted = new List<Guid>();
        int refused = 0;
        for (int i = 0; i < 500; i++)
        {
            var res = await app.From($"198.51.100.{i % 250}").PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body("hmn"));
            if (res.StatusCode == HttpStatusCode.Created) { accepted.Add((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>()); continue; }
            Assert.Equal(HttpStatusCode.TooManyRequests, res.StatusCode);
            Assert.InRange(res.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(60));
            Assert.Equal(Ui.T("hmn", "problem.submit.budget"), (await res.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
            refused++;
        }
        Assert.Equal(budget, accepted.Count);
        Assert.Equal(500 - budget, refused);
        var stored = await app.DbAsync((d, _) => d.Submissions.Select(s => s.Id).ToListAsync());
        Assert.Equal(accepted.Order(), stored.Order());

        // Another network is not held by this one's flood; an hour later this one may send again.
        await SubmissionApp.CreatedAsync(await app.From("192.0.2.8").PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));
        clock.Advance(TimeSpan.FromMinutes(61));
        await SubmissionApp.CreatedAsync(await flooder.PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));
    }

    [Fact]
    public async Task Five_hundred_submissions_at_once_from_many_networks_take_the_network_budget_exactly_and_every_accepted_one_is_kept()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new SubmissionApp(db, Shipped(), clock);
        var budget = new SubmissionOptions().NetworkPerMinute;
        var results = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode, Guid?, TimeSpan?)>();
        // 100 networks, five addresses each (the server starts once, before the flood).
        var clients = Enumerable.Range(0, 500).Select(i => app.From($"10.{i / 5}.{i % 5}.1")).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var res = await clients[i].PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body(), ct);
            Guid? id = res.StatusCode == HttpStatusCode.Created ? (await res.Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!.GetValue<Guid>() : null;
            results.Add((res.StatusCode, id, res.Headers.RetryAfter?.Delta));
        });
        var accepted = results.Where(r => r.Item1 == HttpStatusCode.Created).Select(r => r.Item2!.Value).ToList();
        Assert.Equal(budget, accepted.Count);
        Assert.All(results.Where(r => r.Item1 != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Item1);
            Assert.InRange(r.Item3!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        });
        var stored = await app.DbAsync((d, _) => d.Submissions.Select(s => s.Id).ToListAsync());
        Assert.Equal(accepted.Order(), stored.Order());

        clock.Advance(TimeSpan.FromSeconds(61));
        await SubmissionApp.CreatedAsync(await app.From("192.0.2.200").PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));
    }

    [Fact]
    public async Task The_contact_goes_on_the_reporter_contact_schedule_and_the_source_hash_after_a_day_and_the_submission_stays()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new SubmissionApp(db, null, clock);
        var body = SubmissionApp.Body();
        body["contact"] = "+16125550166";
        var id = (await SubmissionApp.CreatedAsync(await app.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", body)))["id"]!.GetValue<Guid>();
        var housekeeping = app.Services.GetRequiredService<Housekeeping>();
        async Task<(bool Contact, bool Source, int Files)> Read() => await app.DbAsync(async (d, _) =>
        {
            var s = await d.Submissions.AsNoTracking().Include(x => x.Files).SingleAsync(x => x.Id == id);
            return (s.ContactCipher is not null, s.SourceHash is not null, s.Files.Count);
        });

        clock.Advance(TimeSpan.FromHours(23));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal((true, true, 1), await Read());

        clock.Advance(TimeSpan.FromHours(2));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal((true, false, 1), await Read());

        clock.Advance(TimeSpan.FromHours(22.9));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal((true, false, 1), await Read());

        clock.Advance(TimeSpan.FromHours(0.2));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal((false, false, 1), await Read());
        var values = await ReportsAtRestTests<SmsInboundApp>.EveryValueAsync(app);
        Assert.Contains(values, v => v.Table == "Submissions" && v.Column == "WhatCipher"); // what was sent stays
    }
}

public sealed class SubmissionBudgetTestsSqlite() : SubmissionBudgetTests(Db.Sqlite);
public sealed class SubmissionBudgetTestsPostgres() : SubmissionBudgetTests(Db.Postgres);
