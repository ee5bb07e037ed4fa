using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>Incident files over HTTP: the file, its custody log and its verification, roles, consent, the CLI, the demo seed.</summary>
public abstract class IncidentTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const string Base = "/api/v1/incidents";

    private static object NewIncident(string title = "Arrest at the bus stop", object? names = null, bool? namesConsent = null) => new
    {
        title, occurredAt = "2026-11-20T14:30:00Z", place = "Lake St & Bloomington", lat = 44.9485, lon = -93.2555, category = "arrest",
        agencies = new[] { "ice" }, peopleAffected = 1, injured = 0, deaths = 0, names, namesConsent, status = "open", statusNote = "statements being taken",
    };

    private static async Task<JsonObject> Json(HttpResponseMessage res, HttpStatusCode expected)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(expected == res.StatusCode, $"{(int)res.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task<Guid> CreateAsync(HttpClient documenter, object? body = null) =>
        Guid.Parse((await Json(await documenter.PostAsJsonAsync(Base, body ?? NewIncident()), HttpStatusCode.Created))["id"]!.GetValue<string>());

    private static async Task<List<string>> ActionsAsync(HttpClient staff, Guid id) =>
        (await staff.GetFromJsonAsync<JsonArray>($"{Base}/{id}/custody"))!.Select(e => e!["action"]!.GetValue<string>()).ToList();

    private static async Task<JsonObject> VerifyAsync(HttpClient staff, Guid id) => (await staff.GetFromJsonAsync<JsonObject>($"{Base}/{id}/custody/verify"))!;

    private static async Task AssertProblemAsync(HttpResponseMessage res, HttpStatusCode status, string mention)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(status == res.StatusCode, $"{(int)res.StatusCode} {body}");
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mention, body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Create_read_edit_and_every_action_is_one_custody_entry_and_the_chain_verifies()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc);

        var file = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!;
        var incident = file["incident"]!;
        Assert.Equal("Arrest at the bus stop", incident["title"]!.GetValue<string>());
        Assert.Equal("arrest", incident["category"]!.GetValue<string>());
        Assert.Equal(["ice"], incident["agencies"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("open", incident["status"]!.GetValue<string>());

        var edited = await Json(await doc.PutAsJsonAsync($"{Base}/{id}", new { status = "referred", statusNote = "referred to the legal team", injured = 1 }), HttpStatusCode.OK);
        Assert.Equal("referred", edited["status"]!.GetValue<string>());
        Assert.Equal(1, edited["injured"]!.GetValue<int>());
        Assert.Equal("Arrest at the bus stop", edited["title"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Created, (await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:31:00Z", source = "witness 1", text = "Two agents approached" })).StatusCode);
        var timeline = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:35:00Z", source = "witness 2", text = "He was put in a van" }), HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await doc.PostAsync($"{Base}/{id}/timeline/{timeline["id"]}/dispute", null)).StatusCode);
        var witness = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new { text = "I saw it from the bakery", consent = "legal", consentAt = "2026-11-20T15:00:00Z" }), HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await doc.PostAsync($"{Base}/{id}/witnesses/{witness["id"]}/withdraw", null)).StatusCode);
        var claim = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/claims", new
        {
            claimantName = "A. Spokesperson", claimantRole = "Spokesperson", organisation = "ICE", text = "The man resisted arrest",
            saidAt = "2026-11-21T10:00:00Z", venue = "press release", sourceUrl = "https://example.org/release",
        }), HttpStatusCode.Created);
        Assert.Equal("A. Spokesperson (Spokesperson, ICE) said: “The man resisted arrest”", claim["said"]!.GetValue<string>());
        var evidence = await AddEvidenceRowAsync(id);
        var linked = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/claims/{claim["id"]}/evidence", new { evidenceId = evidence, stance = "contradicts", note = "video shows no resistance" }), HttpStatusCode.OK);
        Assert.Equal(evidence, linked["contradicting"]![0]!["evidenceId"]!.GetValue<long>());
        var disputed = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/claims/{claim["id"]}/dispute", new { note = "Bystander video E1 shows him standing still" }), HttpStatusCode.OK);
        Assert.True(disputed["disputed"]!.GetValue<bool>());
        var followUp = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/follow-ups", new { kind = "legal_referral", description = "Refer to the immigration lawyer", owner = "legal@example.org", dueAt = "2026-01-01T00:00:00Z" }), HttpStatusCode.Created);
        Assert.True(followUp["overdue"]!.GetValue<bool>());
        var later = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!;
        Assert.Equal(followUp["id"]!.GetValue<long>(), later["overdueFollowUps"]![0]!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, (await doc.PostAsync($"{Base}/{id}/follow-ups/{followUp["id"]}/done", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await doc.PostAsync($"{Base}/{id}/follow-ups/{followUp["id"]}/done", null)).StatusCode);
        Assert.Empty((await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!["overdueFollowUps"]!.AsArray());

        Assert.Equal(
            ["created", "viewed", "edited", "timeline_added", "timeline_added", "timeline_disputed", "witness_added", "witness_withdrawn",
             "claim_added", "evidence_described", "claim_linked", "claim_disputed", "follow_up_added", "viewed", "follow_up_done", "viewed"],
            await ActionsAsync(doc, id));
        var custody = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/custody"))!;
        Assert.Equal(Enumerable.Range(1, custody.Count).Select(i => (long)i), custody.Select(e => e!["seq"]!.GetValue<long>()));
        Assert.All(custody, e => Assert.EndsWith("@staff.test", e!["actor"]!.GetValue<string>()));
        // The edit's entry holds the hash of the record as edited.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Incidents.AsNoTracking().FirstAsync(i => i.Id == id);
            Assert.Equal(IncidentRecords.Form(row, app.Services.GetRequiredService<Whistle.Privacy.KeyRing>()).Hash, custody.Last(e => e!["action"]!.GetValue<string>() == "viewed")!["objectHash"]!.GetValue<string>());
            Assert.NotEqual(custody[0]!["objectHash"]!.GetValue<string>(), custody[2]!["objectHash"]!.GetValue<string>());
        }

        var verdict = await VerifyAsync(doc, id);
        Assert.True(verdict["intact"]!.GetValue<bool>(), verdict.ToJsonString());
        Assert.Equal(16, verdict["entries"]!.GetValue<long>());
        Assert.Null(verdict["firstBrokenSeq"]);
    }

    /// <summary>An evidence row, as the evidence uploads will add (uploading is not this feature's).</summary>
    private async Task<long> AddEvidenceRowAsync(Guid incident)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var item = new EvidenceItem
        {
            IncidentId = incident, Sha256 = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()).PadRight(64, '0'), Size = 3,
            MediaType = "video/mp4", FileName = "e1.mp4", AddedBy = "test", AddedAt = DateTimeOffset.UnixEpoch,
        };
        db.Evidence.Add(item);
        await db.SaveChangesAsync();
        // Its metadata recorded as an upload records it (else verify rightly reports a row added behind the app's back).
        await scope.ServiceProvider.GetRequiredService<CustodyLog>().AppendAsync(incident, EvidenceApi.Described, "documenter@staff.test",
            IncidentRecords.Form(item, scope.ServiceProvider.GetRequiredService<Whistle.Privacy.KeyRing>()), default);
        await db.SaveChangesAsync();
        return item.Id;
    }

    /// <summary>An incident with seven custody entries: created, viewed, edited, timeline_added, claim_added, follow_up_added, viewed.</summary>
    private async Task<Guid> SevenEntriesAsync(HttpClient doc)
    {
        var id = await CreateAsync(doc);
        await doc.GetAsync($"{Base}/{id}");
        await doc.PutAsJsonAsync($"{Base}/{id}", new { statusNote = "edited once" });
        await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:31:00Z", source = "witness 1", text = "Agents arrived" });
        await doc.PostAsJsonAsync($"{Base}/{id}/claims", new { claimantName = "An official", text = "Nothing happened" });
        await doc.PostAsJsonAsync($"{Base}/{id}/follow-ups", new { kind = "other", description = "Call back", owner = "doc@example.org" });
        await doc.GetAsync($"{Base}/{id}");
        Assert.Equal(7, (await VerifyAsync(doc, id))["entries"]!.GetValue<long>());
        Assert.True((await VerifyAsync(doc, id))["intact"]!.GetValue<bool>());
        return id;
    }

    private static string FlipLast(string s) => s[..^1] + (s[^1] == 'a' ? 'b' : 'a');

    /// <summary>Changes one stored value of one custody row directly in the database, by one character or one millisecond.</summary>
    private async Task TamperAsync(Guid id, long seq, string field)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var row = await db.Custody.FirstAsync(c => c.IncidentId == id && c.Seq == seq);
        switch (field)
        {
            case "actor": row.Actor = "X" + row.Actor[1..]; break;
            case "action": row.Action = FlipLast(row.Action); break;
            case "objectHash": row.ObjectHash = FlipLast(row.ObjectHash); break;
            case "objectId": row.ObjectId = FlipLast(row.ObjectId); break;
            case "at": row.At = row.At.AddMilliseconds(1); break;
            case "previousHash": row.PreviousHash = FlipLast(row.PreviousHash); break;
            case "hash": row.Hash = FlipLast(row.Hash); break;
            default: throw new ArgumentException(field);
        }
        Assert.Equal(1, await db.SaveChangesAsync());
    }

    [Theory]
    [InlineData("actor", 1)]
    [InlineData("action", 2)]
    [InlineData("objectHash", 3)]
    [InlineData("at", 4)]
    [InlineData("previousHash", 5)]
    [InlineData("objectId", 6)]
    [InlineData("hash", 6)]
    [InlineData("actor", 7)]
    public async Task Changing_one_stored_value_of_a_custody_entry_is_detected_and_the_first_broken_entry_named(string field, long seq)
    {
        var doc = await app.StaffAsync("documenter");
        var id = await SevenEntriesAsync(doc);
        await TamperAsync(id, seq, field);
        var verdict = await VerifyAsync(doc, id);
        Assert.False(verdict["intact"]!.GetValue<bool>());
        Assert.Equal(seq, verdict["firstBrokenSeq"]!.GetValue<long>());
        Assert.Contains($"entry {seq}", verdict["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_changed_entries_name_the_first()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await SevenEntriesAsync(doc);
        await TamperAsync(id, 6, "actor");
        await TamperAsync(id, 3, "at");
        Assert.Equal(3, (await VerifyAsync(doc, id))["firstBrokenSeq"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_cli_custody_verify_exits_0_when_intact_and_1_naming_the_first_broken_entry()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await SevenEntriesAsync(doc);

        var (code, output) = await CliAsync("custody", "verify", id.ToString());
        Assert.True(code == 0, output);
        Assert.Contains("intact (7 entries)", output);

        await TamperAsync(id, 4, "objectHash");
        (code, output) = await CliAsync("custody", "verify", id.ToString());
        Assert.True(code == 1, output);
        Assert.Contains("BROKEN at entry 4", output);

        (code, output) = await CliAsync("custody", "verify", Guid.NewGuid().ToString());
        Assert.True(code == 2, output);
    }

    /// <summary>Runs the built Whistle.dll as a separate process on this app's data dir (and so its SQLite database and key file).</summary>
    private async Task<(int Code, string Output)> CliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [WhistleBuild.Dll, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (k, v) in app.Settings)
            if (v is not null) psi.Environment["Whistle__" + k["Whistle:".Length..].Replace(":", "__")] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task A_dispatcher_reads_files_without_names_or_contacts_and_cannot_write_witness_statements()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc, NewIncident(names: new[] { "Ana Pérez Testname" }, namesConsent: true));
        var witness = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new
        {
            text = "I saw two agents", consent = "internal", consentAt = "2026-11-20T15:00:00Z", name = "Wit Ness Testname", contact = "+16125550143",
        }), HttpStatusCode.Created);

        var mine = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!;
        Assert.Equal(["Ana Pérez Testname"], mine["incident"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("Wit Ness Testname", mine["witnesses"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("+16125550143", mine["witnesses"]![0]!["contact"]!.GetValue<string>());

        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.GetAsync($"{Base}/{id}");
        var body = await res.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.DoesNotContain("Testname", body);
        Assert.DoesNotContain("5550143", body);
        var theirs = JsonNode.Parse(body)!;
        Assert.Null(theirs["incident"]!["names"]);
        Assert.True(theirs["incident"]!["hasNames"]!.GetValue<bool>());
        var w = theirs["witnesses"]![0]!;
        Assert.Null(w["name"]);
        Assert.Null(w["contact"]);
        Assert.True(w["hasContact"]!.GetValue<bool>());
        Assert.True(w["hasName"]!.GetValue<bool>());
        Assert.Equal("I saw two agents", w["text"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.GetAsync(Base)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.GetAsync($"{Base}/{id}/timeline")).StatusCode);

        await AssertProblemAsync(await dispatcher.PostAsJsonAsync($"{Base}/{id}/witnesses", new { text = "x", consent = "public", consentAt = "2026-11-20T15:00:00Z" }), HttpStatusCode.Forbidden, "403");
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PutAsJsonAsync($"{Base}/{id}/witnesses/{witness["id"]}", new { text = "changed" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsync($"{Base}/{id}/witnesses/{witness["id"]}/withdraw", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PutAsJsonAsync($"{Base}/{id}", new { title = "changed" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsJsonAsync(Base, NewIncident())).StatusCode);
        // The statement is as the documenter left it.
        Assert.Equal("I saw two agents", (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!["witnesses"]![0]!["text"]!.GetValue<string>());
        // The dispatcher's read is in the custody log, under their name.
        var custody = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/custody"))!;
        Assert.Contains(custody, e => e!["action"]!.GetValue<string>() == "viewed" && e["actor"]!.GetValue<string>().StartsWith("dispatcher-"));
    }

    [Fact]
    public async Task A_dispatcher_opens_a_file_from_a_sighting_prefilled_with_its_place_time_and_activity()
    {
        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new
        {
            activity = "home_raid", lat = 44.96, lon = -93.26, agency = "ice", placeText = "Cedar Ave & 24th", observedAt = DateTimeOffset.UtcNow.AddMinutes(-5),
        });
        var sighting = (await Json(report, HttpStatusCode.Created))["sightingId"]!.GetValue<string>();
        var dispatcher = await app.StaffAsync("dispatcher");
        var created = await Json(await dispatcher.PostAsJsonAsync(Base, new { sightingId = sighting }), HttpStatusCode.Created);
        Assert.Equal("Cedar Ave & 24th", created["place"]!.GetValue<string>());
        Assert.Equal("home_raid", created["category"]!.GetValue<string>());
        Assert.Equal(sighting, created["sightingId"]!.GetValue<string>());
        Assert.Equal(44.96, created["lat"]!.GetValue<double>(), 3);
        Assert.Equal(["ice"], created["agencies"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Contains("Cedar Ave & 24th", created["title"]!.GetValue<string>());
        Assert.True(DateTimeOffset.UtcNow - created["occurredAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(10));
        // Names are the documenters' to record.
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsJsonAsync(Base, new { sightingId = sighting, names = new[] { "X" }, namesConsent = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsJsonAsync(Base, new { sightingId = sighting, published = true })).StatusCode);
    }

    [Fact]
    public async Task Verifiers_get_403_and_anonymous_callers_401_as_problem_details()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc);
        var verifier = await app.StaffAsync("verifier");
        var anonymous = app.CreateClient();
        foreach (var path in new[] { Base, $"{Base}/{id}", $"{Base}/{id}/timeline", $"{Base}/{id}/custody", $"{Base}/{id}/custody/verify" })
        {
            await AssertProblemAsync(await verifier.GetAsync(path), HttpStatusCode.Forbidden, "403");
            await AssertProblemAsync(await anonymous.GetAsync(path), HttpStatusCode.Unauthorized, "401");
        }
        await AssertProblemAsync(await verifier.PostAsJsonAsync(Base, NewIncident()), HttpStatusCode.Forbidden, "403");
        await AssertProblemAsync(await anonymous.PostAsJsonAsync($"{Base}/{id}/witnesses", new { }), HttpStatusCode.Unauthorized, "401");
        // The API is described (the OpenAPI document still generates with these endpoints).
        var openApi = await anonymous.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/v1/incidents/{id}/custody/verify\"", openApi);
        Assert.Contains("\"/api/v1/incidents/{id}/witnesses/{wid}/withdraw\"", openApi);
        // Nobody but the documenter touched the file: created, and nothing else.
        Assert.Equal(["created"], await ActionsAsync(doc, id));
    }

    [Fact]
    public async Task A_statement_without_recorded_consent_is_refused_and_withdrawal_wipes_it()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc);
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new { text = "I saw it" }), HttpStatusCode.BadRequest, "consent");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new { text = "I saw it", consent = "none", consentAt = "2026-11-20T15:00:00Z" }), HttpStatusCode.BadRequest, "not kept at all");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new { text = "I saw it", consent = "public" }), HttpStatusCode.BadRequest, "consentAt");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new { text = "I saw it", consent = "everyone", consentAt = "2026-11-20T15:00:00Z" }), HttpStatusCode.BadRequest, "consent");
        Assert.Empty((await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!["witnesses"]!.AsArray());

        var w = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new
        {
            text = "The van was grey", consent = "public", consentAt = "2026-11-20T15:00:00Z", name = "Wanda Withdrawn", contact = "wanda@example.org",
        }), HttpStatusCode.Created);
        Assert.True(w["quotablePublicly"]!.GetValue<bool>());
        var wid = w["id"]!.GetValue<long>();
        var withdrawn = await Json(await doc.PostAsync($"{Base}/{id}/witnesses/{wid}/withdraw", null), HttpStatusCode.OK);
        Assert.True(withdrawn["withdrawn"]!.GetValue<bool>());
        Assert.False(withdrawn["quotablePublicly"]!.GetValue<bool>());
        Assert.Null(withdrawn["text"]);
        Assert.Null(withdrawn["name"]);
        Assert.False(withdrawn["hasContact"]!.GetValue<bool>());
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Witnesses.AsNoTracking().FirstAsync(x => x.Id == wid);
            Assert.Null(row.Text);
            Assert.Null(row.NameCipher);
            Assert.Null(row.ContactCipher);
            Assert.Equal(ConsentScope.None, row.Consent);
        }
        Assert.Equal(HttpStatusCode.Conflict, (await doc.PostAsync($"{Base}/{id}/witnesses/{wid}/withdraw", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await doc.PutAsJsonAsync($"{Base}/{id}/witnesses/{wid}", new { text = "back again" })).StatusCode);
        var custody = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/custody"))!;
        var last = custody[^1]!;
        Assert.Equal("witness_withdrawn", last["action"]!.GetValue<string>());
        Assert.Equal(wid.ToString(), last["objectId"]!.GetValue<string>());
        Assert.True((await VerifyAsync(doc, id))["intact"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Names_without_the_familys_consent_are_refused_and_withdrawing_consent_wipes_them()
    {
        var doc = await app.StaffAsync("documenter");
        await AssertProblemAsync(await doc.PostAsJsonAsync(Base, NewIncident(names: new[] { "Ana" })), HttpStatusCode.BadRequest, "family's consent");
        await AssertProblemAsync(await doc.PostAsJsonAsync(Base, NewIncident(names: new[] { "Ana" }, namesConsent: false)), HttpStatusCode.BadRequest, "names");
        var id = await CreateAsync(doc, NewIncident(names: new[] { "Ana" }, namesConsent: true));
        await AssertProblemAsync(await doc.PutAsJsonAsync($"{Base}/{id}", new { names = new[] { "Ana", "Luis" } }), HttpStatusCode.BadRequest, "names");
        var edited = await Json(await doc.PutAsJsonAsync($"{Base}/{id}", new { namesConsent = false }), HttpStatusCode.OK);
        Assert.False(edited["hasNames"]!.GetValue<bool>());
        Assert.Null(edited["names"]);
    }

    [Fact]
    public async Task The_timeline_sorts_and_filters_and_entries_cannot_be_deleted()
    {
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc);
        await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:40:00Z", source = "witness 2", text = "The van left north" });
        await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:30:00Z", source = "witness 1", text = "Two agents got out" });
        await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:35:00Z", source = "DHS statement", text = "One agent was assaulted", disputed = true });

        async Task<List<string>> Texts(string query) =>
            (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/timeline{query}"))!.Select(t => t!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(["Two agents got out", "One agent was assaulted", "The van left north"], await Texts(""));
        Assert.Equal(["The van left north", "One agent was assaulted", "Two agents got out"], await Texts("?sort=desc"));
        Assert.Equal(["Two agents got out", "The van left north"], await Texts("?source=witness"));
        Assert.Equal(["One agent was assaulted"], await Texts("?disputed=true"));
        Assert.Equal(["The van left north"], await Texts("?q=VAN"));
        await AssertProblemAsync(await doc.GetAsync($"{Base}/{id}/timeline?sort=sideways"), HttpStatusCode.BadRequest, "sort");
        var first = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/timeline"))![0]!["id"]!.GetValue<long>();
        Assert.False((await doc.DeleteAsync($"{Base}/{id}/timeline/{first}")).IsSuccessStatusCode);
        Assert.False((await doc.PutAsJsonAsync($"{Base}/{id}/timeline/{first}", new { text = "rewritten" })).IsSuccessStatusCode);
        Assert.Equal(3, (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/timeline"))!.Count);
    }

    [Fact]
    public async Task The_list_filters_by_status_category_and_time_newest_first()
    {
        var doc = await app.StaffAsync("documenter");
        var tag = Guid.NewGuid().ToString("N")[..8];
        await CreateAsync(doc, new { title = $"{tag} old raid", occurredAt = "2025-01-05T10:00:00Z", category = "home_raid", status = "closed" });
        await CreateAsync(doc, new { title = $"{tag} new raid", occurredAt = "2025-06-05T10:00:00Z", category = "home_raid" });
        await CreateAsync(doc, new { title = $"{tag} detention", occurredAt = "2025-03-05T10:00:00Z", category = "detention" });
        async Task<List<string>> Titles(string query) =>
            (await doc.GetFromJsonAsync<JsonArray>($"{Base}{query}"))!.Select(t => t!["title"]!.GetValue<string>()).Where(t => t.StartsWith(tag)).ToList();
        Assert.Equal([$"{tag} new raid", $"{tag} detention", $"{tag} old raid"], await Titles(""));
        Assert.Equal([$"{tag} new raid", $"{tag} old raid"], await Titles("?category=home_raid"));
        Assert.Equal([$"{tag} old raid"], await Titles("?status=closed"));
        Assert.Equal([$"{tag} detention"], await Titles("?from=2025-02-01T00:00:00Z&to=2025-04-01T00:00:00Z"));
        await AssertProblemAsync(await doc.GetAsync($"{Base}?category=parade"), HttpStatusCode.BadRequest, "category");
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "", "{\"title\":\"x\",\"occurredAt\":\"2026-11-20T14:30:00Z\",\"category\":\"parade\"}", "JSON" },
        { "", "{\"title\":\"x\",\"occurredAt\":\"2026-11-20T14:30:00Z\"}", "category" },
        { "", "{\"title\":\"x\",\"category\":\"arrest\"}", "occurredAt" },
        { "", "{\"title\":\"x\",\"occurredAt\":\"2026-11-20T14:30:00Z\",\"category\":\"arrest\",\"agencies\":[\"fbi\"]}", "agencies" },
        { "", "{\"title\":\"x\",\"occurredAt\":\"2026-11-20T14:30:00Z\",\"category\":\"arrest\",\"deaths\":-1}", "deaths" },
        { "", "{\"title\":\"x\",\"occurredAt\":\"2026-11-20T14:30:00Z\",\"category\":\"arrest\",\"lat\":95,\"lon\":1}", "lat" },
        { "", "{\"title\":\"" + new string('t', 201) + "\",\"occurredAt\":\"2026-11-20T14:30:00Z\",\"category\":\"arrest\"}", "title" },
        { "", "{\"sightingId\":\"" + Guid.NewGuid() + "\"}", "sightingId" },
        { "", "{\"title\":\"x\",\"occurredAt\":\"yesterday\",\"category\":\"arrest\"}", "JSON" },
        { "/timeline", "{\"at\":\"2026-11-20T14:30:00Z\",\"source\":\"w\",\"text\":\"" + new string('x', 20_001) + "\"}", "text" },
        { "/timeline", "{\"source\":\"w\",\"text\":\"x\"}", "at" },
        { "/claims", "{\"claimantName\":\"A\",\"text\":\"B\",\"sourceUrl\":\"javascript:alert(1)\"}", "sourceUrl" },
        { "/claims", "{\"claimantName\":\"A\",\"text\":\"B\",\"sourceUrl\":\"file:///etc/passwd\"}", "sourceUrl" },
        { "/claims", "{\"text\":\"B\"}", "claimantName" },
        { "/claims", "{\"claimantName\":\"A\",\"text\":\"B\",\"disputed\":true}", "disputeNote" },
        { "/witnesses", "{\"text\":\"x\",\"consent\":\"public\",\"consentAt\":\"2026-11-20T15:00:00Z\",\"audioEvidenceId\":999999}", "audioEvidenceId" },
        { "/witnesses", "{\"text\":\"" + new string('x', 20_001) + "\",\"consent\":\"public\",\"consentAt\":\"2026-11-20T15:00:00Z\"}", "text" },
        { "/follow-ups", "{\"kind\":\"lunch\",\"description\":\"x\",\"owner\":\"y\"}", "JSON" },
        { "/follow-ups", "{\"kind\":\"other\",\"owner\":\"y\"}", "description" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_a_400_problem_naming_the_field_and_changes_nothing(string path, string body, string mention)
    {
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc);
        var before = await ActionsAsync(doc, id);
        var target = path == "" ? Base : $"{Base}/{id}{path}";
        await AssertProblemAsync(await doc.PostAsync(target, new StringContent(body, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, mention);
        Assert.Equal(before, await ActionsAsync(doc, id));
    }

    [Fact]
    public async Task Unknown_incidents_claims_and_evidence_are_404_or_400_problems()
    {
        // Only what this test causes counts (EF logs its first look for the migrations table on a fresh PostgreSQL database as an error).
        _ = app.Services; // started (and migrated) before counting
        int logsBefore = app.Logs.Count;
        var doc = await app.StaffAsync("documenter");
        var id = await CreateAsync(doc);
        var claim = await Json(await doc.PostAsJsonAsync($"{Base}/{id}/claims", new { claimantName = "A", text = "B" }), HttpStatusCode.Created);
        await AssertProblemAsync(await doc.GetAsync($"{Base}/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "incident");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{Guid.NewGuid()}/timeline", new { at = "2026-11-20T14:30:00Z", source = "w", text = "x" }), HttpStatusCode.NotFound, "incident");
        await AssertProblemAsync(await doc.GetAsync($"{Base}/{Guid.NewGuid()}/custody/verify"), HttpStatusCode.NotFound, "incident");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/claims/999999/evidence", new { evidenceId = 1, stance = "supports" }), HttpStatusCode.NotFound, "claim");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/claims/{claim["id"]}/evidence", new { evidenceId = 999999, stance = "supports" }), HttpStatusCode.BadRequest, "evidenceId");
        // Evidence of another incident is not this one's.
        var other = await CreateAsync(doc);
        var foreign = await AddEvidenceRowAsync(other);
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/claims/{claim["id"]}/evidence", new { evidenceId = foreign, stance = "supports" }), HttpStatusCode.BadRequest, "evidenceId");
        await AssertProblemAsync(await doc.PostAsJsonAsync($"{Base}/{id}/claims/{claim["id"]}/evidence", new { evidenceId = foreign, stance = "maybe" }), HttpStatusCode.BadRequest, "JSON");
        await AssertProblemAsync(await doc.PostAsync($"{Base}/{id}/witnesses/999999/withdraw", null), HttpStatusCode.NotFound, "witness");
        var errors = app.Logs.Skip(logsBefore).Where(l => l.StartsWith("Error")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n---\n", errors));
    }

    [Fact]
    public async Task The_demo_network_has_the_article_incident_with_the_officials_claims_and_both_versions_of_what_conflicts()
    {
        var doc = await app.StaffAsync("documenter");
        var list = (await doc.GetFromJsonAsync<JsonArray>(Base))!;
        var summary = list.Single(i => i!["title"]!.GetValue<string>() == DemoIncident.Title)!;
        Assert.True(summary["published"]!.GetValue<bool>());
        var id = Guid.Parse(summary["id"]!.GetValue<string>());
        var file = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!;
        var incident = file["incident"]!;
        Assert.Equal("open", incident["status"]!.GetValue<string>());
        Assert.Equal("investigation pending", incident["statusNote"]!.GetValue<string>());
        Assert.Equal("shooting", incident["category"]!.GetValue<string>());
        Assert.Equal(1, incident["deaths"]!.GetValue<int>());
        Assert.False(incident["hasNames"]!.GetValue<bool>());
        Assert.Equal(new DateTimeOffset(2024, 3, 15, 5, 0, 0, TimeSpan.Zero), incident["occurredAt"]!.GetValue<DateTimeOffset>());

        var claims = file["claims"]!.AsArray();
        var claimants = claims.Select(c => c!["claimantName"]!.GetValue<string>()).ToList();
        foreach (var name in new[] { "Kristi Noem", "Jacob Frey", "Brian O’Hara", "Tim Walz" }) Assert.Contains(name, claimants);
        Assert.Contains(claims, c => c!["organisation"]!.GetValue<string>() == "Hennepin County Attorney’s Office");
        Assert.All(claims, c => Assert.Contains(" said: “", c!["said"]!.GetValue<string>()));
        var noem = claims.Single(c => c!["claimantName"]!.GetValue<string>() == "Kristi Noem")!;
        Assert.Equal("Secretary of Homeland Security", noem["claimantRole"]!.GetValue<string>());
        Assert.True(noem["disputed"]!.GetValue<bool>());
        Assert.Contains("March 15, 2024", noem["disputeNote"]!.GetValue<string>());
        Assert.Contains(claims, c => c!["disputed"]!.GetValue<bool>() && c["disputeNote"]!.GetValue<string>().Contains("another ICE officer"));

        var disputed = file["timeline"]!.AsArray().Where(t => t!["disputed"]!.GetValue<bool>()).Select(t => t!["text"]!.GetValue<string>()).ToList();
        Assert.True(disputed.Count(t => t.Contains("March 15, 2024") && t.Contains("Trump administration")) >= 2, string.Join("\n", disputed));
        Assert.Contains(disputed, t => t.StartsWith("As the SUV began to move forward, another ICE officer"));
        Assert.Contains(disputed, t => t.Contains("\"an ICE officer shot and killed a driver\""));

        var witnesses = file["witnesses"]!.AsArray();
        Assert.NotEmpty(witnesses);
        Assert.All(witnesses, w =>
        {
            Assert.Equal("public", w!["consent"]!.GetValue<string>());
            Assert.True(w["quotablePublicly"]!.GetValue<bool>());
            Assert.False(w["hasContact"]!.GetValue<bool>());
            Assert.False(w["hasName"]!.GetValue<bool>());
        });
        var article = file["evidence"]!.AsArray().Single()!;
        Assert.Equal("text/plain", article["mediaType"]!.GetValue<string>());

        var verdict = await VerifyAsync(doc, id);
        Assert.True(verdict["intact"]!.GetValue<bool>(), verdict.ToJsonString());
        var actions = await ActionsAsync(doc, id);
        Assert.Equal(["created", "evidence_added"], actions.Take(2));
        Assert.Equal(claims.Count, actions.Count(a => a == "claim_added"));

        // The article file in the store is rehashed by the verification: change it and the evidence entry is named.
        var store = app.Services.GetRequiredService<EvidenceStore>();
        var path = store.PathOf(article["sha256"]!.GetValue<string>());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.AppendAllTextAsync(path, " ");
        var broken = await VerifyAsync(doc, id);
        Assert.False(broken["intact"]!.GetValue<bool>());
        Assert.Equal(2, broken["firstBrokenSeq"]!.GetValue<long>());
        Assert.Contains("evidence file", broken["reason"]!.GetValue<string>());
    }
}

public sealed class SqliteIncidentTests(SqliteApp app) : IncidentTests<SqliteApp>(app);

public sealed class PostgresIncidentTests(PostgresApp app) : IncidentTests<PostgresApp>(app);
