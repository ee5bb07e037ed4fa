using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Incidents;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §6. Seen: a bundle import accepted what the API refuses (an evidence media type of text/html, a claim link
/// javascript:…, a public witness statement without consent time) and reported the result intact. Each crafted bundle
/// below is the fixture's real export with one record changed and SHA256SUMS recomputed (so every check of files and
/// custody passes); each is refused with a problem naming the record and field, and nothing of it is kept. The untouched
/// bundle then imports (the round trip still works), on SQLite and on PostgreSQL.
/// </summary>
public abstract class BundleRuleTests(EvidenceBundleFixture source, Db db)
{
    private static ByteArrayContent Zip(byte[] bytes) => Body(bytes, "application/zip");

    private CustomApp NewTarget() =>
        new(new() { ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://network.test" }, db: db);

    /// <summary>The fixture's bundle with its manifest changed as given, and SHA256SUMS made to match.</summary>
    private byte[] Crafted(Action<JsonObject> change)
    {
        var manifest = EvidenceBundleFixture.Manifest(source.Bundle);
        change(manifest);
        return EvidenceBundleFixture.Tamper(source.Bundle, z =>
            EvidenceBundleFixture.Replace(z, "manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())), resum: true);
    }

    private static JsonObject At(JsonObject m, string list, int index) => m[list]!.AsArray()[index]!.AsObject();

    /// <summary>Each case: its name, the change, the field the problem must name (record path + field), and the record's kind.</summary>
    private static readonly (string Name, Action<JsonObject> Change, string Field, string Kind)[] Cases =
    [
        ("evidence of type text/html", m => At(m, "evidence", 0)["mediaType"] = "text/html", "evidence[0].mediaType", "Evidence item"),
        ("a PDF declared as a photo", m => At(m, "evidence", 1)["mediaType"] = "image/jpeg", "evidence[1].mediaType", "Evidence item"),
        ("a claim link javascript:", m => At(m, "claims", 0)["sourceUrl"] = "javascript:alert(document.cookie)", "claims[0].sourceUrl", "Claim"),
        ("a claim link data:", m => At(m, "claims", 0)["sourceUrl"] = "data:text/html,<script>alert(1)</script>", "claims[0].sourceUrl", "Claim"),
        ("a public statement without consent time", m =>
        {
            At(m, "witnesses", 0)["consent"] = "public";
            At(m, "witnesses", 0)["consentAt"] = null;
        }, "witnesses[0].consentAt", "Witness statement"),
        ("a withdrawn statement that kept its text", m => At(m, "witnesses", 1)["consent"] = "none", "witnesses[1].consent", "Witness statement"),
        ("an over-long timeline text", m => At(m, "timeline", 0)["text"] = new string('x', IncidentsApi.MaxText + 1), "timeline[0].text", "Timeline entry"),
        ("an over-long title", m => m["incident"]!["title"] = new string('t', 201), "incident.title", "Incident"),
        ("control characters in a claimant", m => At(m, "claims", 0)["claimantName"] = "Agency\u0007 spokes\u001bperson", "claims[0].claimantName", "Claim"),
        ("a NUL in a file name", m => At(m, "evidence", 0)["fileName"] = "scene\0.jpg", "evidence[0].fileName", "Evidence item"),
        ("a file name with folders", m => At(m, "evidence", 0)["fileName"] = "../../etc/scene.jpg", "evidence[0].fileName", "Evidence item"),
        ("a minute-precision time with seconds", m =>
        {
            At(m, "timeline", 0)["precision"] = "minute";
            At(m, "timeline", 0)["at"] = "2025-03-15T10:15:37.123+00:00";
        }, "timeline[0].precision", "Timeline entry"),
        ("a day-precision time whose local date is another day", m =>
        {
            At(m, "timeline", 0)["precision"] = "day";
            At(m, "timeline", 0)["at"] = "2025-03-15T05:00:00+00:00";
            At(m, "timeline", 0)["local"] = "2025-03-19";
        }, "timeline[0].precision", "Timeline entry"),
        ("a record added in the future", m => m["incident"]!["createdAt"] = "2999-01-01T00:00:00+00:00", "incident.createdAt", "Incident"),
        ("a latitude off the globe", m => At(m, "evidence", 0)["lat"] = 91.5, "evidence[0].lat", "Evidence item"),
        ("an unknown agency", m => m["incident"]!["agencies"] = "ice,martians", "incident.agencies", "Incident"),
        ("a negative count", m => m["incident"]!["injured"] = -4, "incident.injured", "Incident"),
        ("a claim pointing at missing evidence", m => At(m, "claims", 0)["evidence"]![0]!["evidenceId"] = 987654, "claims[0].evidence[0].evidenceId", "Claim link"),
        ("a statement pointing at missing audio", m => At(m, "witnesses", 0)["audioEvidenceId"] = 987654, "witnesses[0].audioEvidenceId", "Witness statement"),
    ];

    [Fact]
    public async Task A_bundle_breaking_any_API_rule_is_refused_naming_record_and_field_and_nothing_is_kept_then_the_real_one_imports()
    {
        using var target = NewTarget();
        var doc = await target.StaffAsync(Roles.Documenter);
        var failures = new List<string>();
        foreach (var (name, change, field, kind) in Cases)
        {
            var res = await doc.PostAsync("/api/v1/incidents/import", Zip(Crafted(change)));
            var body = await res.Content.ReadAsStringAsync();
            if (res.StatusCode != HttpStatusCode.BadRequest || res.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                // (once one is imported, every later case is a 409: the list shows which got in)
                failures.Add($"{name}: {(int)res.StatusCode} {body[..Math.Min(body.Length, 200)]}");
                continue;
            }
            var problem = JsonNode.Parse(body)!.AsObject();
            var detail = problem["detail"]!.GetValue<string>();
            var path = field[..field.LastIndexOf('.')];
            if (problem["errors"]?[field] is null) failures.Add($"{name}: errors do not name {field}: {body}");
            if (!detail.StartsWith(kind + " — id ", StringComparison.Ordinal) || !detail.Contains($"at {path}, field {field[(path.Length + 1)..]}:")
                || !detail.Contains("Nothing was imported"))
                failures.Add($"{name}: \"{detail}\"");
            if (failures.Count == 0) await AssertNothingWrittenAsync(target);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // An unknown enum value stops at reading the manifest, naming where.
        var stance = await doc.PostAsync("/api/v1/incidents/import", Zip(Crafted(m => At(m, "claims", 0)["evidence"]![0]!["stance"] = "approves")));
        Assert.Equal(HttpStatusCode.BadRequest, stance.StatusCode);
        Assert.Contains("claims[0].evidence[0].stance", (await stance.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        await AssertNothingWrittenAsync(target);

        // The real export still goes in, whole.
        Assert.Equal(HttpStatusCode.Created, (await doc.PostAsync("/api/v1/incidents/import", Zip(source.LegalBundle))).StatusCode);
        var verdict = await VerifyAsync(target, source.Incident);
        Assert.True(verdict.Intact, verdict.Reason);
    }

    [Fact]
    public async Task The_refusal_speaks_the_readers_language()
    {
        using var target = NewTarget();
        var doc = await target.StaffAsync(Roles.Documenter);
        var bundle = Crafted(m =>
        {
            At(m, "witnesses", 0)["consent"] = "public";
            At(m, "witnesses", 0)["consentAt"] = null;
        });
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/incidents/import") { Content = Zip(bundle) };
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("es"));
        var res = await doc.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("El paquete no cumple una regla que la API aplica", problem["title"]!.GetValue<string>());
        var detail = problem["detail"]!.GetValue<string>();
        Assert.StartsWith("Testimonio — id ", detail);
        Assert.Contains("en witnesses[0], campo consentAt: Anote cuándo dio su consentimiento el testigo", detail);
        Assert.EndsWith("No se importó nada.", detail);
        Assert.StartsWith("Anote cuándo", problem["errors"]!["witnesses[0].consentAt"]![0]!.GetValue<string>());
        await AssertNothingWrittenAsync(target);
    }

    private static async Task AssertNothingWrittenAsync(WhistleApp target)
    {
        await using var scope = target.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        Assert.Equal(0, await db.Incidents.CountAsync());
        Assert.Equal(0, await db.Evidence.CountAsync());
        Assert.Equal(0, await db.Custody.CountAsync());
        Assert.Equal(0, await db.Witnesses.CountAsync());
        Assert.Equal(0, await db.Claims.CountAsync());
        Assert.Equal(0, await db.Timeline.CountAsync());
        Assert.Empty(StoreFiles(target)); // no evidence, no temporary bundle
    }
}

public sealed class SqliteBundleRuleTests(EvidenceBundleFixture source) : BundleRuleTests(source, Db.Sqlite), IClassFixture<EvidenceBundleFixture>;

public sealed class PostgresBundleRuleTests(EvidenceBundleFixture source) : BundleRuleTests(source, Db.Postgres), IClassFixture<EvidenceBundleFixture>;
