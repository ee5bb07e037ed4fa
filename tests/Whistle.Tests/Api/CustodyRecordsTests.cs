using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 13 §2: custody verify compares every record of an incident as it is now with the latest custody entry
/// that recorded it. Each test changes ONE stored value with plain SQL — behind the application's back — and
/// expects GET …/custody/verify to say not intact, naming the record and the field.
/// </summary>
public abstract class CustodyRecordsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const string Base = "/api/v1/incidents";

    private sealed record Made(Guid Incident, long Timeline, long Witness, long Claim, long Evidence, long FollowUp);

    private static async Task<JsonObject> Json(HttpResponseMessage res, HttpStatusCode expected)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(expected == res.StatusCode, $"{(int)res.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>An incident with one record of every kind, each made through the API.</summary>
    private async Task<Made> MakeAsync(HttpClient doc)
    {
        var id = (await Json(await doc.PostAsJsonAsync(Base, new
        {
            title = "Arrest at the bus stop", occurredAt = "2026-11-20T14:30:00Z", place = "Lake St & Bloomington", lat = 44.9485, lon = -93.2555,
            category = "arrest", agencies = new[] { "ice" }, peopleAffected = 1, injured = 0, deaths = 0, status = "open", statusNote = "statements being taken",
        }), HttpStatusCode.Created))["id"]!.GetValue<Guid>();
        var tid = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2026-11-20T14:31:00Z", source = "witness 1", text = "Agents arrived" }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        var wid = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new
        {
            text = "I saw two agents take him", consent = "legal", consentAt = "2026-11-20T15:00:00Z", name = "Wit Ness Testname", contact = "+16125550143",
        }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        var cid = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/claims", new { claimantName = "An official", text = "Nothing happened" }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        var upload = new ByteArrayContent(Encoding.UTF8.GetBytes("%PDF-1.4 a statement " + Guid.NewGuid()));
        upload.Headers.ContentType = new("application/pdf");
        var eid = (await Json(await doc.PostAsync($"{Base}/{id}/evidence?fileName=statement.pdf&description=Signed%20statement&capturedAt=2026-11-20T15:10:00Z", upload),
            HttpStatusCode.Created))["id"]!.GetValue<long>();
        await Json(await doc.PostAsJsonAsync($"{Base}/{id}/claims/{cid}/evidence", new { evidenceId = eid, stance = "contradicts" }), HttpStatusCode.OK);
        var fid = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/follow-ups", new { kind = "family_support", description = "Call the family back", owner = "doc@example.org" }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        var verdict = await VerifyAsync(doc, id);
        Assert.True(verdict["intact"]!.GetValue<bool>(), verdict.ToJsonString());
        Assert.Empty(verdict["records"]!.AsArray());
        return new(id, tid, wid, cid, eid, fid);
    }

    private static async Task<JsonObject> VerifyAsync(HttpClient staff, Guid id) => (await staff.GetFromJsonAsync<JsonObject>($"{Base}/{id}/custody/verify"))!;

    private async Task SqlAsync(string sql, params object[] args)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        Assert.Equal(1, await db.Database.ExecuteSqlRawAsync(sql, args));
    }

    private bool Postgres
    {
        get
        {
            using var scope = app.Services.CreateScope();
            return scope.ServiceProvider.GetRequiredService<WhistleDb>().Database.IsNpgsql();
        }
    }

    /// <summary>An instant as the provider stores it: Unix milliseconds in SQLite, timestamptz in PostgreSQL.</summary>
    private object Instant(DateTimeOffset t) => Postgres ? t.ToUniversalTime() : t.ToUnixTimeMilliseconds();

    private static void AssertFinding(JsonObject verdict, string type, long id, string? field, string problem = "changed")
    {
        Assert.False(verdict["intact"]!.GetValue<bool>(), verdict.ToJsonString());
        var records = verdict["records"]!.AsArray();
        Assert.Contains(records, r => r!["type"]!.GetValue<string>() == type && r["id"]!.GetValue<string>() == id.ToString()
            && r["field"]?.GetValue<string>() == field && r["problem"]!.GetValue<string>() == problem);
        Assert.Null(verdict["firstBrokenSeq"]); // the chain itself is whole: it is the record that changed
    }

    [Theory]
    [InlineData("timeline", "text")]
    [InlineData("witness", "text")]
    [InlineData("witness", "name")]
    [InlineData("claim", "text")]
    [InlineData("claim_evidence", "stance")]
    [InlineData("incident", "title")]
    [InlineData("incident", "deaths")]
    [InlineData("incident", "place")]
    [InlineData("follow_up", "description")]
    [InlineData("follow_up", "done")]
    [InlineData("evidence", "description")]
    [InlineData("evidence", "capturedAt")]
    public async Task One_value_changed_in_the_database_is_named_with_its_record_and_field(string type, string field)
    {
        var doc = await app.StaffAsync("documenter");
        var m = await MakeAsync(doc);
        var keys = app.Services.GetRequiredService<KeyRing>();
        switch ((type, field))
        {
            case ("timeline", "text"): await SqlAsync("""UPDATE "Timeline" SET "Text" = 'Agents arrived calmly' WHERE "Id" = {0}""", m.Timeline); break;
            case ("witness", "text"): await SqlAsync("""UPDATE "Witnesses" SET "TextCipher" = {0} WHERE "Id" = {1}""", keys.Encrypt("I saw nothing", Purpose.WitnessText), m.Witness); break;
            // Whoever holds the key writes another name, properly encrypted: the keyed hash of the plaintext tells.
            case ("witness", "name"): await SqlAsync("""UPDATE "Witnesses" SET "NameCipher" = {0} WHERE "Id" = {1}""", keys.Encrypt("Someone Else", Purpose.WitnessName), m.Witness); break;
            case ("claim", "text"): await SqlAsync("""UPDATE "Claims" SET "Text" = 'Something happened' WHERE "Id" = {0}""", m.Claim); break;
            case ("claim_evidence", "stance"): await SqlAsync("""UPDATE "ClaimEvidence" SET "Stance" = 0 WHERE "ClaimId" = {0} AND "EvidenceId" = {1}""", m.Claim, m.Evidence); break;
            case ("incident", "title"): await SqlAsync("""UPDATE "Incidents" SET "Title" = 'Nothing at the bus stop' WHERE "Id" = {0}""", m.Incident); break;
            case ("incident", "deaths"): await SqlAsync("""UPDATE "Incidents" SET "Deaths" = 1 WHERE "Id" = {0}""", m.Incident); break;
            case ("incident", "place"): await SqlAsync("""UPDATE "Incidents" SET "Place" = 'Elsewhere' WHERE "Id" = {0}""", m.Incident); break;
            case ("follow_up", "description"): await SqlAsync("""UPDATE "FollowUps" SET "DescriptionCipher" = {0} WHERE "Id" = {1}""", keys.Encrypt("Nothing to do", Purpose.FollowUpDescription), m.FollowUp); break;
            case ("follow_up", "done"): await SqlAsync("""UPDATE "FollowUps" SET "Done" = {0} WHERE "Id" = {1}""", true, m.FollowUp); break;
            case ("evidence", "description"): await SqlAsync("""UPDATE "Evidence" SET "Description" = 'A blank page' WHERE "Id" = {0}""", m.Evidence); break;
            case ("evidence", "capturedAt"):
                await SqlAsync("""UPDATE "Evidence" SET "CapturedAt" = {0} WHERE "Id" = {1}""", Instant(new DateTimeOffset(2026, 11, 20, 13, 0, 0, TimeSpan.Zero)), m.Evidence); break;
            default: throw new ArgumentException(field);
        }
        long id = type switch
        {
            "timeline" => m.Timeline, "witness" => m.Witness, "claim" => m.Claim, "follow_up" => m.FollowUp, "evidence" => m.Evidence, _ => 0,
        };
        var verdict = await VerifyAsync(doc, m.Incident);
        if (type == "incident")
            Assert.Contains(verdict["records"]!.AsArray(), r => r!["type"]!.GetValue<string>() == "incident" && r["id"]!.GetValue<string>() == m.Incident.ToString("D") && r["field"]?.GetValue<string>() == field);
        else if (type == "claim_evidence")
            Assert.Contains(verdict["records"]!.AsArray(), r => r!["type"]!.GetValue<string>() == "claim_evidence" && r["id"]!.GetValue<string>() == $"{m.Claim}:{m.Evidence}" && r["field"]?.GetValue<string>() == field);
        else AssertFinding(verdict, type, id, field);
        Assert.False(verdict["intact"]!.GetValue<bool>());
        Assert.Single(verdict["records"]!.AsArray());
        Assert.Contains(field, verdict["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deleted_row_is_caught_and_named()
    {
        var doc = await app.StaffAsync("documenter");
        var m = await MakeAsync(doc);
        await SqlAsync("""DELETE FROM "Timeline" WHERE "Id" = {0}""", m.Timeline);
        AssertFinding(await VerifyAsync(doc, m.Incident), "timeline", m.Timeline, null, "missing");
    }

    [Fact]
    public async Task A_row_added_behind_the_applications_back_is_caught()
    {
        var doc = await app.StaffAsync("documenter");
        var m = await MakeAsync(doc);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var row = new TimelineEntry { IncidentId = m.Incident, At = DateTimeOffset.UtcNow, Source = "nobody", Text = "Invented", AddedBy = "x", AddedAt = DateTimeOffset.UtcNow };
            db.Timeline.Add(row);
            await db.SaveChangesAsync();
            AssertFinding(await VerifyAsync(doc, m.Incident), "timeline", row.Id, null, "unrecorded");
        }
    }

    [Fact]
    public async Task An_untouched_incident_stays_intact_and_re_encrypting_a_name_under_a_new_key_is_no_edit()
    {
        var doc = await app.StaffAsync("documenter");
        var m = await MakeAsync(doc);
        var rotated = app.Services.GetRequiredService<KeyRing>();
        // The same name, encrypted again (a new nonce, as a rotation's lazy re-encryption writes it): other cipher text, same plaintext.
        await SqlAsync("""UPDATE "Witnesses" SET "NameCipher" = {0} WHERE "Id" = {1}""", rotated.Encrypt("Wit Ness Testname", Purpose.WitnessName), m.Witness);
        var verdict = await VerifyAsync(doc, m.Incident);
        Assert.True(verdict["intact"]!.GetValue<bool>(), verdict.ToJsonString());
        // Reading and exporting are not edits either.
        await doc.GetAsync($"{Base}/{m.Incident}");
        Assert.True((await VerifyAsync(doc, m.Incident))["intact"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Viewing_after_an_edit_behind_the_back_does_not_launder_it()
    {
        var doc = await app.StaffAsync("documenter");
        var m = await MakeAsync(doc);
        await SqlAsync("""UPDATE "Incidents" SET "Title" = 'Rewritten' WHERE "Id" = {0}""", m.Incident);
        await doc.GetAsync($"{Base}/{m.Incident}"); // "viewed" hashes the record as read: it is no record of an edit
        Assert.False((await VerifyAsync(doc, m.Incident))["intact"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_cli_custody_verify_exits_1_naming_the_record_and_field()
    {
        var doc = await app.StaffAsync("documenter");
        var m = await MakeAsync(doc);
        var (code, output) = await CliAsync("custody", "verify", m.Incident.ToString());
        Assert.True(code == 0, output);
        await SqlAsync("""UPDATE "Witnesses" SET "TextCipher" = {0} WHERE "Id" = {1}""", app.Services.GetRequiredService<KeyRing>().Encrypt("I saw nothing", Purpose.WitnessText), m.Witness);
        (code, output) = await CliAsync("custody", "verify", m.Incident.ToString());
        Assert.True(code == 1, output);
        Assert.Contains($"witness {m.Witness}: field text changed", output);
    }

    [Fact]
    public async Task An_old_chain_is_resealed_once_on_upgrade_but_a_record_edited_before_the_upgrade_stays_reported()
    {
        var keys = app.Services.GetRequiredService<KeyRing>();
        var incidentId = Guid.CreateVersion7();
        long kept, edited;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            // The shape before issue 13: v1 entries (no field digests), each holding the v1 hash of its record.
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var now = StoredTimeNow();
            var incident = new Incident { Id = incidentId, Title = "Old incident", OccurredAt = now, Category = IncidentCategory.Arrest, CreatedBy = "d", CreatedAt = now, UpdatedAt = now };
            db.Incidents.Add(incident);
            var a = new TimelineEntry { IncidentId = incidentId, At = now, Source = "w1", Text = "kept", AddedBy = "d", AddedAt = now };
            var b = new TimelineEntry { IncidentId = incidentId, At = now, Source = "w2", Text = "original", AddedBy = "d", AddedAt = now };
            db.Timeline.AddRange(a, b);
            await db.SaveChangesAsync();
            (kept, edited) = (a.Id, b.Id);
            var e1 = CustodyChain.Next(null, incidentId, "created", "d", now, "incident", incidentId.ToString("D"), IncidentRecords.Form(incident, keys).LegacyHash);
            var e2 = CustodyChain.Next(e1, incidentId, "timeline_added", "d", now, "timeline", a.Id.ToString(), IncidentRecords.Form(a, keys).LegacyHash);
            var e3 = CustodyChain.Next(e2, incidentId, "timeline_added", "d", now, "timeline", b.Id.ToString(), IncidentRecords.Form(b, keys).LegacyHash);
            db.Custody.AddRange(e1, e2, e3);
            await db.SaveChangesAsync();
            Assert.Null(e1.Fields);
        }
        var doc = await app.StaffAsync("documenter");
        Assert.True((await VerifyAsync(doc, incidentId))["intact"]!.GetValue<bool>()); // v1 entries still verify
        await SqlAsync("""UPDATE "Timeline" SET "Text" = 'rewritten' WHERE "Id" = {0}""", edited);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var sealedCount = await CustodyUpgrade.RunAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<CustodyLog>());
            Assert.Equal(2, sealedCount); // the incident and the untouched entry; not the edited one
        }
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.Equal(0, await CustodyUpgrade.RunAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<CustodyLog>()));

        var chain = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{incidentId}/custody"))!;
        var resealed = chain.Where(e => e!["action"]!.GetValue<string>() == "resealed").ToList();
        Assert.Equal(2, resealed.Count);
        Assert.All(resealed, e => Assert.Equal("system", e!["actor"]!.GetValue<string>()));
        var verdict = await VerifyAsync(doc, incidentId);
        AssertFinding(verdict, "timeline", edited, null);
        Assert.Single(verdict["records"]!.AsArray());
    }

    private static DateTimeOffset StoredTimeNow() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>Runs the built Whistle.dll as a separate process on this app's data dir and database.</summary>
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
}

public sealed class SqliteCustodyRecordsTests(SqliteApp app) : CustodyRecordsTests<SqliteApp>(app);

public sealed class PostgresCustodyRecordsTests(PostgresApp app) : CustodyRecordsTests<PostgresApp>(app);
