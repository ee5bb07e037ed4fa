using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 11, section 2 over HTTP: every response (pages, API, static files, errors) carries the security
/// headers; a Markdown page an admin saves cannot carry a javascript:, data: or vbscript: link.
/// </summary>
public abstract class PageSafetyTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    public const string Csp =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; media-src 'self' blob:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; worker-src 'self'; manifest-src 'self'";

    public static void AssertSecurityHeaders(HttpResponseMessage res, string what, bool https = false)
    {
        string? H(string name) =>
            res.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
            : res.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : null;
        Assert.True(Csp == H("Content-Security-Policy"), $"{what}: CSP was {H("Content-Security-Policy") ?? "missing"}");
        Assert.True(H("X-Content-Type-Options") == "nosniff", $"{what}: nosniff missing");
        Assert.True(H("X-Frame-Options") == "DENY", $"{what}: X-Frame-Options missing");
        Assert.True(H("Referrer-Policy") == "no-referrer", $"{what}: Referrer-Policy missing");
        Assert.True(H("Permissions-Policy")?.StartsWith("geolocation=(self), camera=()", StringComparison.Ordinal) == true, $"{what}: Permissions-Policy was {H("Permissions-Policy")}");
        Assert.True((H("Strict-Transport-Security") == "max-age=31536000") == https, $"{what}: HSTS was {H("Strict-Transport-Security") ?? "missing"} over {(https ? "https" : "http")}");
    }

    public static readonly string[] Pages =
        ["/", "/report", "/subscribe", "/rights", "/registry", "/registry/schema", "/unsubscribe", "/console", "/console/login",
         "/console/verify", "/console/incidents", "/console/submissions", "/console/partners", "/console/admin/users", "/console/admin/zones", "/console/admin/templates", "/console/admin/retention"];

    [Fact]
    public async Task Every_page_api_answer_static_file_and_error_carries_the_security_headers_and_no_HSTS_over_plain_http()
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        foreach (var path in Pages.Concat(["/api/v1/zones", "/api/v1/alerts/active", "/site/zones.geojson", "/js/home.js", "/console/console.js",
                     "/sw.js", "/css/site.css", "/manifest.webmanifest", "/lib/leaflet/leaflet.js", "/healthz"]))
        {
            var res = await client.GetAsync(path);
            Assert.True(res.StatusCode == HttpStatusCode.OK, $"{path}: {res.StatusCode}");
            AssertSecurityHeaders(res, path);
        }
        // Errors too: a problem written by the exception handler (it clears the response first), 401, 404.
        var bad = await client.PostAsync("/api/v1/reports", new StringContent("{", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        AssertSecurityHeaders(bad, "a 400 problem");
        var unauthorised = await client.GetAsync("/api/v1/sightings");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.StatusCode);
        AssertSecurityHeaders(unauthorised, "a 401");
        var missing = await client.GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        AssertSecurityHeaders(missing, "a 404");
    }

    [Fact]
    public async Task Over_https_every_answer_also_says_use_https_from_now_on()
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });
        foreach (var path in new[] { "/", "/api/v1/zones", "/js/home.js" })
            AssertSecurityHeaders(await client.GetAsync(path), "https " + path, https: true);
    }

    [Fact]
    public async Task A_rights_page_saved_with_script_links_shows_them_as_text_or_pointing_nowhere()
    {
        var admin = await app.StaffAsync("admin");
        var markdown = "# Rights\n\nAutolink <javascript:alert(document.domain)> and <JaVaScRiPt:alert(1)>; " +
                       "[mixed](JaVaScRiPt:alert(1)) [entity](&#106;avascript:alert(1)) [data](data:text/html,%3Cscript%3Ealert(1)%3C/script%3E) " +
                       "[vb](vbscript:msgbox(1)) [ref][r] ![img](javascript:alert(1)) [ok](https://example.org/help) <mailto:help@example.org>\n\n" +
                       "[r]: javascript:alert(1)";
        var put = await admin.PutAsJsonAsync("/api/v1/pages/rights/en", new { markdown });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(markdown, (string)(await admin.GetFromJsonAsync<JsonObject>("/api/v1/pages/rights/en"))!["markdown"]!); // nothing lost

        var html = await app.CreateClient().GetStringAsync("/rights?lang=en");
        var article = Regex.Match(html, "<article class=\"rights\">(.*?)</article>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<h1", article);
        var urls = Regex.Matches(article, @"(?:href|src)=""([^""]*)""").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.Equal(["#", "#", "#", "#", "#", "https://example.org/help", "mailto:help@example.org"], urls);
        Assert.DoesNotContain("<img", article);
        Assert.Contains("javascript:alert(document.domain)", WebUtility.HtmlDecode(article)); // the autolink, as text
    }
}

public sealed class SqlitePageSafetyTests(SqliteApp app) : PageSafetyTests<SqliteApp>(app);

public sealed class PostgresPageSafetyTests(PostgresApp app) : PageSafetyTests<PostgresApp>(app);
