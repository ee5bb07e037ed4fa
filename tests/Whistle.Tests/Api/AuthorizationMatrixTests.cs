using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 11 §8: every endpoint the app maps × anonymous and every role, against one table. An endpoint missing from
/// the table fails the suite (so a new endpoint without a decided rule cannot slip in), as does a row whose endpoint
/// is gone. Each call fills route parameters with dummies (Guid.Empty, 1, "x") and sends <c>{}</c>: what is checked
/// is the gate, not the handler — "ok" means anything but 401/403 (a 400 or 404 got past the gate).
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationMatrixTests.App app) : IClassFixture<AuthorizationMatrixTests.App>
{
    public sealed class App() : WhistleApp(Db.Sqlite);

    /// <summary>What each caller gets: "401", "403" or "ok" (anything else) — anonymous, verifier, dispatcher, documenter, admin.</summary>
    public sealed record Expect(string Anonymous, string Verifier, string Dispatcher, string Documenter, string Admin)
    {
        public string For(string who) => who switch
        {
            "anonymous" => Anonymous, "verifier" => Verifier, "dispatcher" => Dispatcher, "documenter" => Documenter, _ => Admin,
        };
        public override string ToString() => $"new(\"{Anonymous}\", \"{Verifier}\", \"{Dispatcher}\", \"{Documenter}\", \"{Admin}\")";
    }

    private static readonly string[] Callers = ["anonymous", "verifier", "dispatcher", "documenter", "admin"];
    private static readonly Expect Public = new("ok", "ok", "ok", "ok", "ok");
    private static readonly Expect Staff = new("401", "ok", "ok", "ok", "ok");
    private static readonly Expect Verify = new("401", "ok", "ok", "403", "ok");      // Policies.Verify
    private static readonly Expect Dispatch = new("401", "403", "ok", "403", "ok");   // Policies.Dispatch
    private static readonly Expect Document = new("401", "403", "403", "ok", "ok");   // Policies.Document
    private static readonly Expect IncidentRead = new("401", "403", "ok", "ok", "ok"); // documenters, admins, and dispatchers read
    private static readonly Expect Admin = new("401", "403", "403", "403", "ok");     // Policies.Admin
    private static readonly Expect Signed = new("403", "403", "403", "403", "403");   // Twilio's signature, whoever calls

    /// <summary>"METHOD pattern" as the app maps it → who may pass.</summary>
    public static readonly Dictionary<string, Expect> Table = new()
    {
        ["GET /"] = Public,
        // Staff accounts (issue 11 §6): logging in, refreshing and passkey login are anonymous; the rest acts on the caller's own account.
        ["POST /api/v1/auth/refresh"] = Public,
        ["POST /api/v1/auth/passkey/options"] = Public,
        ["POST /api/v1/auth/passkey/login"] = Public,
        ["POST /api/v1/auth/logout"] = Staff,
        ["GET /api/v1/auth/sessions"] = Staff,
        ["DELETE /api/v1/auth/sessions/{sessionId:guid}"] = Staff,
        ["GET /api/v1/auth/second-factor"] = Staff,
        ["POST /api/v1/auth/totp/setup"] = Staff,
        ["POST /api/v1/auth/totp/enable"] = Staff,
        ["POST /api/v1/auth/totp/disable"] = Staff,
        ["POST /api/v1/auth/recovery-codes"] = Staff,
        ["POST /api/v1/auth/passkeys/options"] = Staff,
        ["POST /api/v1/auth/passkeys"] = Staff,
        ["DELETE /api/v1/auth/passkeys/{id:long}"] = Staff,
        ["GET /api/v1/users/{id}/sessions"] = Admin,
        ["DELETE /api/v1/users/{id}/sessions"] = Admin,
        ["DELETE /api/v1/users/{id}/sessions/{sessionId:guid}"] = Admin,
        ["POST /api/v1/users/{id}/second-factor/reset"] = Admin,
        ["GET /api/v1/second-factor-policy/"] = Admin,
        ["PUT /api/v1/second-factor-policy/"] = Admin,
        ["GET /api/v1/admin/two-person/"] = Admin,
        ["PUT /api/v1/admin/two-person/"] = Admin,
        ["GET /console/account"] = Public, // a page shell; its data comes from /auth/*
        // Subscriptions (§3, §4): unsubscribing is proved by a code; the code caps are an admin's to watch.
        ["POST /api/v1/subscriptions/unsubscribe/confirm"] = Public,
        ["GET /api/v1/admin/code-limits/"] = Admin,
        // Intake (§5): surges and trusted reporters are the dispatchers'.
        ["GET /api/v1/surges/"] = Dispatch,
        ["GET /api/v1/surges/{id:guid}"] = Dispatch,
        ["POST /api/v1/surges/{id:guid}/dismiss"] = Dispatch,
        ["POST /api/v1/surges/{id:guid}/reports/{reportId:guid}/promote"] = Dispatch,
        ["GET /api/v1/reporters/"] = Dispatch,
        ["POST /api/v1/reporters/"] = Dispatch,
        ["DELETE /api/v1/reporters/{id:long}"] = Dispatch,
        ["GET /api/v1/alerts/active"] = Public,
        ["GET /api/v1/alerts/stream"] = Public,
        ["GET /api/v1/alerts/{id:guid}"] = Dispatch,
        ["GET /api/v1/alerts/{id:guid}.cap"] = Public,
        ["GET /api/v1/auth/me"] = Staff,
        ["GET /api/v1/federation/alerts"] = Dispatch,
        ["GET /api/v1/federation/partners"] = Dispatch,
        ["GET /api/v1/incidents/"] = IncidentRead,
        ["GET /api/v1/incidents/{id:guid}"] = IncidentRead,
        ["GET /api/v1/incidents/{id:guid}/custody"] = IncidentRead,
        ["GET /api/v1/incidents/{id:guid}/custody/verify"] = IncidentRead,
        ["GET /api/v1/incidents/{id:guid}/custody/pins"] = IncidentRead,
        ["GET /.well-known/whistle-custody-key.pem"] = Public,
        ["GET /api/v1/incidents/{id:guid}/evidence/"] = IncidentRead,
        ["GET /api/v1/incidents/{id:guid}/evidence/{eid:long}"] = Document, // dispatchers list evidence, never download it
        ["GET /api/v1/incidents/{id:guid}/evidence/{eid:long}/public"] = Document,
        ["GET /api/v1/incidents/{id:guid}/timeline"] = IncidentRead,
        ["GET /api/v1/pages/{slug}/{lang}"] = Admin, // the Markdown source for editing; the public reads /rights
        ["GET /api/v1/partner-alerts"] = Public,
        ["GET /api/v1/push/key"] = Public,
        ["GET /api/v1/registry/incidents"] = Public,
        ["GET /api/v1/registry/incidents.csv"] = Public,
        ["GET /api/v1/registry/incidents.geojson"] = Public,
        ["GET /api/v1/registry/stats"] = Public,
        // Issue 15: the tus upload server; creation needs the submission's upload secret, the rest the upload id.
        ["OPTIONS /api/v1/uploads/"] = Public,
        ["POST /api/v1/uploads/"] = Public,
        ["HEAD /api/v1/uploads/{uploadId}"] = Public,
        ["PATCH /api/v1/uploads/{uploadId}"] = Public,
        ["DELETE /api/v1/uploads/{uploadId}"] = Public,
        ["GET /api/v1/retention/"] = Admin,
        ["GET /api/v1/keys/"] = Admin,
        // The first-run checklist (issue 12 §7): admins only — it tells which channels are configured.
        ["GET /api/v1/setup/"] = Admin,
        ["PUT /api/v1/setup/network"] = Admin,
        ["GET /api/v1/roster/"] = Dispatch,
        ["GET /api/v1/roster/me"] = Verify,
        ["GET /api/v1/sightings/"] = Verify, // issue 11 §8: documenters refused; verifiers see only their own (VisibilityTests)
        ["GET /api/v1/sightings/assigned"] = Verify,
        ["GET /api/v1/sightings/{id:guid}"] = Verify, // issue 11 §8
        ["GET /api/v1/subscriptions/one-click"] = Public,
        ["GET /api/v1/templates/"] = Staff, // message texts, no personal data
        ["GET /api/v1/users/"] = Admin,
        ["GET /api/v1/zones/"] = Public,
        ["GET /console"] = Public, // console pages are public shells: words only, their data comes from the APIs above
        ["GET /console/admin/retention"] = Public,
        ["GET /console/admin/keys"] = Public,
        ["GET /console/admin/templates"] = Public,
        ["GET /console/admin/users"] = Public,
        ["GET /console/admin/zones"] = Public,
        ["GET /console/incidents"] = Public,
        ["GET /console/incidents/{id:guid}"] = Public,
        ["GET /console/submissions"] = Public,
        ["GET /console/login"] = Public,
        ["GET /console/partners"] = Public,
        ["GET /console/sightings/{id:guid}"] = Public,
        ["GET /console/verify"] = Public,
        ["GET /feeds/alerts.atom"] = Public,
        ["GET /healthz"] = Public,
        ["GET /healthz/live"] = Public, // issue 16 §2: liveness, names and states only
        ["GET /healthz/ready"] = Public, // issue 16 §2: readiness, names and states only
        ["GET /metrics"] = Admin, // issue 16 §2: on the main port for admins (Whistle:Observability:MetricsPort serves it elsewhere)
        ["GET /hubs/alerts"] = Dispatch,
        ["GET /hubs/alerts/negotiate"] = Dispatch,
        ["GET /hubs/sightings"] = Verify, // issue 11 §8: no documenters on the live sightings feed
        ["GET /hubs/sightings/negotiate"] = Verify, // issue 11 §8
        ["GET /openapi/{documentName}.json"] = Public, // the API description is public
        ["GET /registry"] = Public,
        ["GET /registry/charts/categories.svg"] = Public,
        ["GET /registry/charts/monthly.svg"] = Public,
        ["GET /registry/schema"] = Public,
        ["GET /report"] = Public,
        ["GET /evidence"] = Public, // issue 15: send what you recorded, no login
        ["GET /evidence/receipt"] = Public, // issue 15: look up a receipt code
        ["GET /rights"] = Public,
        ["GET /site/zones.geojson"] = Public,
        ["GET /subscribe"] = Public,
        ["GET /unsubscribe"] = Public,
        ["POST /api/v1/alerts/"] = Dispatch,
        ["POST /api/v1/alerts/preview"] = Dispatch,
        ["POST /api/v1/alerts/{id:guid}/cancel"] = Dispatch,
        ["POST /api/v1/alerts/{id:guid}/approve"] = Dispatch,
        ["POST /api/v1/alerts/{id:guid}/reject"] = Dispatch,
        ["POST /api/v1/alerts/{id:guid}/update"] = Dispatch,
        ["POST /api/v1/auth/login"] = Public,
        ["POST /api/v1/federation/alerts/{id:guid}/relay"] = Dispatch,
        ["POST /api/v1/federation/alerts/{id:guid}/hide"] = Dispatch,
        ["POST /api/v1/federation/alerts/{id:guid}/unhide"] = Dispatch,
        ["POST /api/v1/incidents/"] = Document,
        ["POST /api/v1/incidents/import"] = Document,
        // Issue 15 §2: the review queue of bystanders' submissions — documenters and admins only (contents, files and the submitter's one message).
        ["GET /api/v1/review/submissions/"] = Document,
        ["GET /api/v1/review/submissions/{id:guid}"] = Document,
        ["GET /api/v1/review/submissions/{id:guid}/files/{fileId:long}"] = Document,
        ["POST /api/v1/review/submissions/{id:guid}/attach"] = Document,
        ["POST /api/v1/review/submissions/{id:guid}/reject"] = Document,
        ["POST /api/v1/review/submissions/{id:guid}/blur"] = Document,
        ["POST /api/v1/review/submissions/{id:guid}/message"] = Document,
        ["POST /api/v1/incidents/{id:guid}/claims"] = Document,
        ["POST /api/v1/incidents/{id:guid}/claims/{cid:long}/dispute"] = Document,
        ["POST /api/v1/incidents/{id:guid}/claims/{cid:long}/evidence"] = Document,
        ["POST /api/v1/incidents/{id:guid}/evidence/"] = Document,
        ["POST /api/v1/incidents/{id:guid}/export"] = Document,
        ["POST /api/v1/incidents/{id:guid}/follow-ups"] = Document,
        ["POST /api/v1/incidents/{id:guid}/follow-ups/{fid:long}/done"] = Document,
        ["POST /api/v1/incidents/{id:guid}/timeline"] = Document,
        ["POST /api/v1/incidents/{id:guid}/timeline/{tid:long}/dispute"] = Document,
        ["POST /api/v1/incidents/{id:guid}/witnesses"] = Document,
        ["POST /api/v1/incidents/{id:guid}/witnesses/{wid:long}/withdraw"] = Document,
        ["POST /api/v1/reports/"] = Public,
        // Bystanders' submissions (issue 15): anyone may send; reading one back needs its upload secret (checked in the handler, 404 otherwise); receipt look-ups are rate-limited per network.
        ["POST /api/v1/submissions/"] = Public,
        ["GET /api/v1/submissions/{id:guid}"] = Public,
        ["GET /api/v1/submissions/receipt/{code}"] = Public,
        ["POST /api/v1/sightings/{id:guid}/accept"] = Verify,
        ["POST /api/v1/sightings/{id:guid}/decline"] = Verify,
        ["POST /api/v1/sightings/{id:guid}/dispatch"] = Dispatch,
        ["POST /api/v1/sightings/{id:guid}/resolve"] = Dispatch,
        ["POST /api/v1/sightings/{id:guid}/verification"] = Verify,
        ["POST /api/v1/subscriptions/"] = Public,
        ["POST /api/v1/subscriptions/confirm"] = Public,
        ["POST /api/v1/subscriptions/one-click"] = Public,
        ["POST /api/v1/subscriptions/unsubscribe"] = Public,
        ["POST /api/v1/templates/{id:int}/approve"] = Admin,
        ["POST /api/v1/users/"] = Admin,
        ["POST /api/v1/users/{id}/password"] = Admin,
        ["POST /api/v1/zones/import"] = Admin,
        // Placing a sighting before it is alerted (issue 12 §1): look-ups and placing are the dispatcher's, imports the admin's.
        ["GET /api/v1/places/"] = Dispatch,
        ["POST /api/v1/places/import"] = Admin,
        ["POST /api/v1/sightings/{id:guid}/place"] = Dispatch,
        ["POST /hooks/twilio/sms"] = Signed, // no login: Twilio's signature is the gate (an unsigned form here)
        ["POST /hooks/twilio/status"] = Signed,
        ["PUT /api/v1/incidents/{id:guid}"] = Document,
        ["PUT /api/v1/incidents/{id:guid}/witnesses/{wid:long}"] = Document,
        ["PUT /api/v1/pages/{slug}/{lang}"] = Admin,
        ["PUT /api/v1/retention/"] = Admin,
        ["POST /api/v1/keys/destroy"] = Admin,
        ["PUT /api/v1/roster/me"] = Verify,
        ["PUT /api/v1/templates/{id:int}"] = Admin,
        ["PUT /api/v1/users/{id}"] = Admin,
    };

    private static string Key(string method, string pattern) => $"{method} {pattern}";

    /// <summary>Every routed endpoint with the methods it answers (pages and hubs without method metadata: GET).</summary>
    private List<(string Method, string Pattern)> Endpoints()
    {
        var source = app.Services.GetRequiredService<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Pattern: "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'))))
            .Distinct().OrderBy(x => x.Pattern, StringComparer.Ordinal).ThenBy(x => x.Method, StringComparer.Ordinal).ToList();
    }

    /// <summary>A path for a pattern: Guid.Empty for guids, 1 for numbers, "x" for the rest.</summary>
    public static string Fill(string pattern) => Regex.Replace(pattern, @"\{\*{0,2}([^}:?=]+)([^}]*)\}", m =>
        m.Groups[2].Value.Contains("guid") ? Guid.Empty.ToString()
        : m.Groups[2].Value.Contains("int") || m.Groups[2].Value.Contains("long") ? "1"
        : "x");

    [Fact]
    public void Every_endpoint_has_a_row_and_every_row_an_endpoint()
    {
        var mapped = Endpoints().Select(e => Key(e.Method, e.Pattern)).ToHashSet();
        var missing = mapped.Where(k => !Table.ContainsKey(k)).ToList();
        var stale = Table.Keys.Where(k => !mapped.Contains(k)).ToList();
        var message = new StringBuilder();
        if (missing.Count > 0)
        {
            message.AppendLine($"{missing.Count} endpoint(s) have no row in AuthorizationMatrixTests.Table — decide who may call each, and add:");
            foreach (var k in missing) message.AppendLine($"        [\"{k}\"] = Staff, // TODO: decide");
        }
        if (stale.Count > 0)
        {
            message.AppendLine($"{stale.Count} row(s) name no endpoint any more — remove:");
            foreach (var k in stale) message.AppendLine($"        [\"{k}\"]");
        }
        Assert.True(message.Length == 0, message.ToString());
    }

    [Fact]
    public async Task Every_endpoint_lets_in_exactly_whom_the_table_says()
    {
        var clients = new Dictionary<string, HttpClient> { ["anonymous"] = app.CreateClient(new() { AllowAutoRedirect = false }) };
        foreach (var role in Callers.Skip(1))
        {
            var staff = await app.StaffAsync(role);
            var c = app.CreateClient(new() { AllowAutoRedirect = false });
            c.DefaultRequestHeaders.Authorization = staff.DefaultRequestHeaders.Authorization;
            clients[role] = c;
        }
        var wrong = new ConcurrentBag<string>();
        var observed = new ConcurrentDictionary<string, string[]>();
        using var gate = new SemaphoreSlim(8);
        // Logging out ends the caller's session, so it goes last, after every other call has been made with it.
        bool EndsSession((string Method, string Pattern) e) => Key(e.Method, e.Pattern) == "POST /api/v1/auth/logout";
        async Task Call(((string Method, string Pattern) e, string who, int i) x)
        {
            await gate.WaitAsync();
            try
            {
                var path = Fill(x.e.Pattern);
                using var req = new HttpRequestMessage(new HttpMethod(x.e.Method), path);
                if (x.e.Pattern.StartsWith("/hooks/", StringComparison.Ordinal))
                    req.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["From"] = "+16125550100", ["Body"] = "x" }); // unsigned
                else if (x.e.Method is "POST" or "PUT" or "PATCH") req.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                using var res = await clients[x.who].SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
                var got = res.StatusCode switch { HttpStatusCode.Unauthorized => "401", HttpStatusCode.Forbidden => "403", _ => "ok" };
                observed.GetOrAdd(Key(x.e.Method, x.e.Pattern), _ => new string[5])[x.i] = got;
                if (Table.TryGetValue(Key(x.e.Method, x.e.Pattern), out var expect) && expect.For(x.who) != got)
                    wrong.Add($"{x.e.Method} {path} as {x.who}: expected {expect.For(x.who)}, got {(int)res.StatusCode}");
            }
            finally { gate.Release(); }
        }
        var all = Endpoints().SelectMany(e => Callers.Select((who, i) => (e, who, i))).ToList();
        await Task.WhenAll(all.Where(x => !EndsSession(x.e)).Select(Call));
        await Task.WhenAll(all.Where(x => EndsSession(x.e)).Select(Call));
        var unlisted = observed.Where(o => !Table.ContainsKey(o.Key)).OrderBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => $"        [\"{o.Key}\"] = new(\"{string.Join("\", \"", o.Value)}\"), // observed — check before pasting").ToList();
        Assert.True(wrong.IsEmpty && unlisted.Count == 0,
            string.Join("\n", wrong.OrderBy(w => w, StringComparer.Ordinal)) + (unlisted.Count > 0 ? "\nNot in the table (what each caller got):\n" + string.Join("\n", unlisted) : ""));
    }
}
