using System.Net;
using Whistle.Site;

namespace Whistle.Tests.Api;

/// <summary>
/// The /evidence page over HTTP (issue 15 §1): it renders in each language with no login; only it may compile
/// WebAssembly (its hasher) and use the camera and microphone — every other page keeps the strict policy; an alert or
/// sighting id in the address is passed on only when it is an id (markup in it never reaches the page).
/// </summary>
public abstract class EvidencePageHttpTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    /// <summary>Words as Razor writes them into the page.</summary>
    private static string Html(string text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(text);

    [Theory]
    [InlineData("en")]
    [InlineData("es")]
    [InlineData("so")]
    [InlineData("hmn")]
    public async Task The_page_and_its_receipt_lookup_open_without_login_in_each_language(string lang)
    {
        var client = app.CreateClient();
        var page = await client.GetStringAsync($"/evidence?lang={lang}");
        Assert.Contains(Html(Ui.T(lang, "ev.title")), page);
        Assert.Contains(Html(Ui.T(lang, "ev.consent.publishBlurred")), page);
        Assert.Contains("accept=\"image/*,video/*,audio/*\"", page);
        var lookup = await client.GetStringAsync($"/evidence/receipt?lang={lang}");
        Assert.Contains(Html(Ui.T(lang, "ev.lookupTitle")), lookup);
    }

    [Fact]
    public async Task Only_the_evidence_page_may_compile_webassembly_and_use_the_camera_and_microphone()
    {
        var client = app.CreateClient();
        var evidence = await client.GetAsync("/evidence");
        Assert.Equal(HttpStatusCode.OK, evidence.StatusCode);
        var csp = string.Join(",", evidence.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self' 'wasm-unsafe-eval';", csp);
        Assert.DoesNotContain("'unsafe-eval'", csp.Replace("'wasm-unsafe-eval'", ""));
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal(SecurityHeaders.EvidencePagePermissionsPolicy, string.Join(",", evidence.Headers.GetValues("Permissions-Policy")));
        foreach (var path in new[] { "/", "/report", "/evidence/receipt", "/api/v1/alerts/active", "/js/evidence.js" })
        {
            var other = await client.GetAsync(path);
            var policy = string.Join(",", other.Headers.GetValues("Content-Security-Policy"));
            Assert.DoesNotContain("wasm", policy);
            Assert.Contains("camera=()", string.Join(",", other.Headers.GetValues("Permissions-Policy")));
            Assert.Contains("microphone=()", string.Join(",", other.Headers.GetValues("Permissions-Policy")));
        }
    }

    [Fact]
    public async Task An_alert_or_sighting_in_the_address_is_passed_on_only_as_an_id()
    {
        var client = app.CreateClient();
        var id = Guid.NewGuid();
        var tied = await client.GetStringAsync($"/evidence?alert={id}");
        Assert.Contains($"data-alert=\"{id}\"", tied);
        Assert.Contains(Html(Ui.T("en", "ev.tiedAlert")), tied);
        var markup = await client.GetAsync("/evidence?sighting=%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
        var html = await markup.Content.ReadAsStringAsync();
        Assert.True(markup.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, markup.StatusCode.ToString());
        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.DoesNotContain("alert(1)", html);
    }

    [Fact]
    public async Task The_page_scripts_and_libraries_are_served_by_whistle_itself()
    {
        var client = app.CreateClient();
        foreach (var path in new[] { "/js/evidence.js", "/js/evidence-queue.js", "/js/evidence-receipt.js", "/lib/tus-js-client/tus.min.js", "/lib/hash-wasm/sha256.umd.min.js" })
        {
            var res = await client.GetAsync(path);
            Assert.True(res.StatusCode == HttpStatusCode.OK, path + ": " + res.StatusCode);
        }
        var sw = await client.GetStringAsync("/sw.js");
        Assert.Contains("\"/evidence\"", sw);
    }
}

public sealed class EvidencePageHttpTestsSqlite(SqliteApp a) : EvidencePageHttpTests<SqliteApp>(a);
public sealed class EvidencePageHttpTestsPostgres(PostgresApp a) : EvidencePageHttpTests<PostgresApp>(a);
