using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 13 §1 (fourth bullet): a witness's statement, an incident's status note and a follow-up's description are
/// stored only as ciphers. Seen before: a copy of the database (a seized laptop, a backup) read them in clear. Each test
/// reads every table of the database with plain SQL, as whoever holds the copy would.
/// </summary>
public abstract class SealedTextsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const string Base = "/api/v1/incidents";

    private static async Task<JsonObject> Json(HttpResponseMessage res, HttpStatusCode expected)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(expected == res.StatusCode, $"{(int)res.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Every text and blob (read as UTF-8) in every table of the database, as plain SQL reads them.</summary>
    private async Task<List<string>> EveryStoredValueAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = db.Database.IsNpgsql()
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                : "SELECT name FROM sqlite_master WHERE type = 'table'";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        }
        Assert.Contains(tables, t => t == "Witnesses");
        var values = new List<string>();
        foreach (var table in tables)
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{table}\"";
            await using DbDataReader r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                for (int i = 0; i < r.FieldCount; i++)
                    switch (r.IsDBNull(i) ? null : r.GetValue(i))
                    {
                        case string s: values.Add(s); break;
                        case byte[] b: values.Add(Encoding.UTF8.GetString(b)); values.Add(Encoding.Latin1.GetString(b)); break;
                    }
        }
        return values;
    }

    private async Task SqlAsync(string sql, params object[] args)
    {
        await using var scope = app.Services.CreateAsyncScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<WhistleDb>().Database.ExecuteSqlRawAsync(sql, args));
    }

    private static async Task<JsonObject> VerifyAsync(HttpClient staff, Guid id) => (await staff.GetFromJsonAsync<JsonObject>($"{Base}/{id}/custody/verify"))!;

    [Fact]
    public async Task Statements_status_notes_and_follow_ups_made_through_the_api_are_nowhere_in_the_database_in_clear_but_staff_read_them()
    {
        var doc = await app.StaffAsync("documenter");
        var tag = Guid.NewGuid().ToString("N")[..8];
        string note = $"waiting on the county attorney {tag}", statement = $"They took my neighbour from the bus stop {tag}",
            task = $"Call the family's lawyer back {tag}", edited = $"Two agents, one in a grey jacket {tag}";
        var id = (await Json(await doc.PostAsJsonAsync(Base, new
        {
            title = "Arrest at the bus stop", occurredAt = "2026-11-20T14:30:00Z", category = "arrest", status = "open", statusNote = note,
        }), HttpStatusCode.Created))["id"]!.GetValue<Guid>();
        var wid = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new
        {
            text = statement, consent = "legal", consentAt = "2026-11-20T15:00:00Z",
        }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        var second = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new
        {
            text = "first version", consent = "public", consentAt = "2026-11-20T15:00:00Z",
        }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        Assert.Equal(edited, (await Json(await doc.PutAsJsonAsync($"{Base}/{id}/witnesses/{second}", new { text = edited }), HttpStatusCode.OK))["text"]!.GetValue<string>());
        await Json(await doc.PostAsJsonAsync($"{Base}/{id}/follow-ups", new { kind = "legal_referral", description = task, owner = "doc@example.org" }), HttpStatusCode.Created);

        var stored = await EveryStoredValueAsync();
        foreach (var secret in new[] { note, statement, task, edited, tag })
            Assert.DoesNotContain(stored, v => v.Contains(secret, StringComparison.Ordinal));

        // Staff still read them: the file, the list, and the lawyers' export (plaintext by design).
        var file = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{id}"))!;
        Assert.Equal(note, file["incident"]!["statusNote"]!.GetValue<string>());
        Assert.Equal(statement, file["witnesses"]!.AsArray().Single(w => w!["id"]!.GetValue<long>() == wid)!["text"]!.GetValue<string>());
        Assert.Equal(edited, file["witnesses"]!.AsArray().Single(w => w!["id"]!.GetValue<long>() == second)!["text"]!.GetValue<string>());
        Assert.True(file["witnesses"]!.AsArray().Single(w => w!["id"]!.GetValue<long>() == second)!["quotablePublicly"]!.GetValue<bool>());
        Assert.Equal(task, file["followUps"]!.AsArray().Single()!["description"]!.GetValue<string>());
        var list = (await doc.GetFromJsonAsync<JsonArray>(Base))!;
        Assert.Equal(note, list.Single(i => i!["id"]!.GetValue<Guid>() == id)!["statusNote"]!.GetValue<string>());

        Assert.True((await VerifyAsync(doc, id))["intact"]!.GetValue<bool>());

        // Withdrawal wipes the cipher too.
        await Json(await doc.PostAsync($"{Base}/{id}/witnesses/{wid}/withdraw", null), HttpStatusCode.OK);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var w = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Witnesses.AsNoTracking().SingleAsync(x => x.Id == wid);
            Assert.Null(w.TextCipher);
            Assert.Null(w.Text);
        }
        Assert.True((await VerifyAsync(doc, id))["intact"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_editor_behind_the_back_who_swaps_the_cipher_of_a_statement_is_caught_by_verify()
    {
        var doc = await app.StaffAsync("documenter");
        var keys = app.Services.GetRequiredService<KeyRing>();
        var id = (await Json(await doc.PostAsJsonAsync(Base, new
        {
            title = "Arrest", occurredAt = "2026-11-20T14:30:00Z", category = "arrest", statusNote = "open note",
        }), HttpStatusCode.Created))["id"]!.GetValue<Guid>();
        var wid = (await Json(await doc.PostAsJsonAsync($"{Base}/{id}/witnesses", new
        {
            text = "I saw two agents take him", consent = "legal", consentAt = "2026-11-20T15:00:00Z",
        }), HttpStatusCode.Created))["id"]!.GetValue<long>();
        // The same text re-encrypted (a rotation's re-encryption) is no edit …
        await SqlAsync("""UPDATE "Witnesses" SET "TextCipher" = {0} WHERE "Id" = {1}""", keys.Encrypt("I saw two agents take him", Purpose.WitnessText), wid);
        Assert.True((await VerifyAsync(doc, id))["intact"]!.GetValue<bool>());
        // … another text, validly encrypted with the network's own key, is.
        await SqlAsync("""UPDATE "Incidents" SET "StatusNoteCipher" = {0} WHERE "Id" = {1}""", keys.Encrypt("closed, nothing found", Purpose.IncidentNote), id);
        var verdict = await VerifyAsync(doc, id);
        Assert.False(verdict["intact"]!.GetValue<bool>());
        Assert.Contains(verdict["records"]!.AsArray(), r => r!["type"]!.GetValue<string>() == "incident" && r["field"]?.GetValue<string>() == "statusNote");
    }

    [Fact]
    public async Task Upgrade_encrypts_old_clear_rows_empties_the_clear_columns_and_reseals_only_what_still_matched()
    {
        var keys = app.Services.GetRequiredService<KeyRing>();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var incidentId = Guid.CreateVersion7();
        long kept, tampered, fu;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            // The shape before this change: the texts in clear columns, recorded in custody with their clear values.
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var custody = scope.ServiceProvider.GetRequiredService<CustodyLog>();
            var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            var incident = new Incident { Id = incidentId, Title = "Old incident", OccurredAt = now, Category = IncidentCategory.Arrest, StatusNote = $"old note {tag}", CreatedBy = "d", CreatedAt = now, UpdatedAt = now };
            db.Incidents.Add(incident);
            var a = new WitnessStatement { IncidentId = incidentId, Text = $"old statement {tag}", Consent = ConsentScope.Legal, ConsentAt = now, TakenAt = now, TakenBy = "d" };
            var b = new WitnessStatement { IncidentId = incidentId, Text = "what was said", Consent = ConsentScope.Legal, ConsentAt = now, TakenAt = now, TakenBy = "d" };
            var f = new FollowUp { IncidentId = incidentId, Kind = FollowUpKind.Other, Description = $"old task {tag}", Owner = "d" };
            db.AddRange(a, b, f);
            await db.SaveChangesAsync();
            (kept, tampered, fu) = (a.Id, b.Id, f.Id);
            foreach (var form in new[] { IncidentRecords.Form(incident, keys), IncidentRecords.Form(a, keys), IncidentRecords.Form(b, keys), IncidentRecords.Form(f, keys) })
                await custody.AppendAsync(incidentId, "added", "d", form, default);
            await db.SaveChangesAsync();
        }
        var doc = await app.StaffAsync("documenter");
        Assert.True((await VerifyAsync(doc, incidentId))["intact"]!.GetValue<bool>());
        await SqlAsync("""UPDATE "Witnesses" SET "Text" = 'what was never said' WHERE "Id" = {0}""", tampered); // before the upgrade
        Assert.Contains(await EveryStoredValueAsync(), v => v.Contains(tag, StringComparison.Ordinal));

        await using (var scope = app.Services.CreateAsyncScope())
            Assert.Equal(3, await SealedTexts.UpgradeAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<CustodyLog>(), keys));
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.Equal(0, await SealedTexts.UpgradeAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), scope.ServiceProvider.GetRequiredService<CustodyLog>(), keys));

        Assert.DoesNotContain(await EveryStoredValueAsync(), v => v.Contains(tag, StringComparison.Ordinal) || v.Contains("what was never said", StringComparison.Ordinal));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            Assert.Null((await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == incidentId)).StatusNote);
            Assert.All(await db.Witnesses.AsNoTracking().Where(w => w.IncidentId == incidentId).ToListAsync(), w => { Assert.Null(w.Text); Assert.NotNull(w.TextCipher); });
            Assert.Equal("", (await db.FollowUps.AsNoTracking().SingleAsync(x => x.Id == fu)).Description);
        }
        var file = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{incidentId}"))!;
        Assert.Equal($"old note {tag}", file["incident"]!["statusNote"]!.GetValue<string>());
        Assert.Equal($"old statement {tag}", file["witnesses"]!.AsArray().Single(w => w!["id"]!.GetValue<long>() == kept)!["text"]!.GetValue<string>());
        Assert.Equal($"old task {tag}", file["followUps"]!.AsArray().Single()!["description"]!.GetValue<string>());

        var chain = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{incidentId}/custody"))!;
        Assert.Equal(3, chain.Count(e => e!["action"]!.GetValue<string>() == CustodyUpgrade.Resealed));
        // The statement edited behind the back before the upgrade is encrypted too, but stays reported.
        var verdict = await VerifyAsync(doc, incidentId);
        Assert.False(verdict["intact"]!.GetValue<bool>());
        var finding = Assert.Single(verdict["records"]!.AsArray());
        Assert.Equal("witness", finding!["type"]!.GetValue<string>());
        Assert.Equal(tampered.ToString(), finding["id"]!.GetValue<string>());
        Assert.Equal("text", finding["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_database_from_before_issue_13_goes_through_both_start_up_steps_and_stays_intact_with_nothing_in_clear()
    {
        var keys = app.Services.GetRequiredService<KeyRing>();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var incidentId = Guid.CreateVersion7();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            // v1 custody entries (no field digests) holding the v1 hash of each record, texts in clear.
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            var incident = new Incident { Id = incidentId, Title = "Older incident", OccurredAt = now, Category = IncidentCategory.Arrest, StatusNote = $"v1 note {tag}", CreatedBy = "d", CreatedAt = now, UpdatedAt = now };
            var w = new WitnessStatement { IncidentId = incidentId, Text = $"v1 statement {tag}", Consent = ConsentScope.Legal, ConsentAt = now, TakenAt = now, TakenBy = "d" };
            db.Incidents.Add(incident);
            db.Witnesses.Add(w);
            await db.SaveChangesAsync();
            var e1 = CustodyChain.Next(null, incidentId, "created", "d", now, "incident", incidentId.ToString("D"), IncidentRecords.Form(incident, keys).LegacyHash);
            var e2 = CustodyChain.Next(e1, incidentId, "witness_added", "d", now, "witness", w.Id.ToString(), IncidentRecords.Form(w, keys).LegacyHash);
            db.Custody.AddRange(e1, e2);
            await db.SaveChangesAsync();
        }
        await using (var scope = app.Services.CreateAsyncScope())
        {
            // As Startup runs them: the custody reseal, then the encryption.
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var custody = scope.ServiceProvider.GetRequiredService<CustodyLog>();
            await CustodyUpgrade.RunAsync(db, custody);
            Assert.Equal(2, await SealedTexts.UpgradeAsync(db, custody, keys));
        }
        Assert.DoesNotContain(await EveryStoredValueAsync(), v => v.Contains(tag, StringComparison.Ordinal));
        var doc = await app.StaffAsync("documenter");
        var verdict = await VerifyAsync(doc, incidentId);
        Assert.True(verdict["intact"]!.GetValue<bool>(), verdict.ToJsonString());
        var file = (await doc.GetFromJsonAsync<JsonObject>($"{Base}/{incidentId}"))!;
        Assert.Equal($"v1 note {tag}", file["incident"]!["statusNote"]!.GetValue<string>());
        Assert.Equal($"v1 statement {tag}", file["witnesses"]!.AsArray().Single()!["text"]!.GetValue<string>());
    }
}

public sealed class SqliteSealedTextsTests(SqliteApp app) : SealedTextsTests<SqliteApp>(app);

public sealed class PostgresSealedTextsTests(PostgresApp app) : SealedTextsTests<PostgresApp>(app);
