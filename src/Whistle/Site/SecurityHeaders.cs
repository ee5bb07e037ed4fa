using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Site;

/// <summary>
/// The headers every response carries (pages, API, static files, errors), so that a string an attacker
/// slipped into the data cannot run as script even where a page forgets to treat it as text:
/// a Content-Security-Policy that runs only this site's own script files (nothing inline, no eval),
/// no framing, no sniffing, no referrer, geolocation only for this site, and HSTS when served over HTTPS.
/// Set when the response starts, so an error page the exception handler writes after clearing the
/// response carries them too.
/// </summary>
public static class SecurityHeaders
{
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        var tileUrl = app.Services.GetRequiredService<IOptions<SiteOptions>>().Value.TileUrl;
        var policy = ContentSecurityPolicy(tileUrl);
        var evidencePolicy = ContentSecurityPolicy(tileUrl, wasm: true);
        var publicBaseIsHttps = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value.PublicBaseUrl?
            .StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var h = context.Response.Headers;
                var evidencePage = IsEvidencePage(context.Request.Path);
                h.ContentSecurityPolicy = evidencePage ? evidencePolicy : policy;
                h.XContentTypeOptions = "nosniff";
                h.XFrameOptions = "DENY";
                h["Referrer-Policy"] = "no-referrer";
                h["Permissions-Policy"] = evidencePage ? EvidencePagePermissionsPolicy
                    : context.Request.Path.StartsWithSegments("/console/incidents") ? IncidentPagesPermissionsPolicy : PermissionsPolicy;
                h["Cross-Origin-Opener-Policy"] = "same-origin";
                if (context.Request.IsHttps || publicBaseIsHttps) h.StrictTransportSecurity = "max-age=31536000";
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    /// <summary>Geolocation (the report page's "use my location") only for this site; the rest off.</summary>
    public const string PermissionsPolicy =
        "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), serial=(), bluetooth=(), midi=(), " +
        "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), browsing-topics=()";

    /// <summary>
    /// The console's incident pages also let this site use the microphone: a witness statement can be recorded
    /// as audio there (issue 13). Every other page, public ones included, keeps it off.
    /// </summary>
    public const string IncidentPagesPermissionsPolicy =
        "geolocation=(self), camera=(), microphone=(self), payment=(), usb=(), serial=(), bluetooth=(), midi=(), " +
        "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), browsing-topics=()";

    /// <summary>
    /// The public /evidence page records sound and video in the page (MediaRecorder, issue 15): camera and microphone for
    /// this site there, and only there.
    /// </summary>
    public const string EvidencePagePermissionsPolicy =
        "geolocation=(self), camera=(self), microphone=(self), payment=(), usb=(), serial=(), bluetooth=(), midi=(), " +
        "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), browsing-topics=()";

    /// <summary>
    /// The send-what-you-recorded page itself (/evidence, not its receipt lookup): it hashes files with a WebAssembly
    /// SHA-256 (hash-wasm), which needs 'wasm-unsafe-eval' (compiling WebAssembly; not JavaScript eval) and the camera
    /// and microphone.
    /// </summary>
    public static bool IsEvidencePage(PathString path) =>
        path.Equals("/evidence", StringComparison.OrdinalIgnoreCase) || path.Equals("/evidence/", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Scripts, styles, fetches, workers and the manifest only from this site; images also from the map's
    /// tile server (its origin, taken from the tile URL template) and data: URLs (Leaflet's CSS uses them); audio and
    /// video also from blob: URLs this site's own script made (a recorded statement played back, fetched with the token).
    /// 'self' in connect-src covers the same-origin ws:/wss: SignalR and EventSource use.
    /// </summary>
    /// <param name="wasm">Whether the page may compile WebAssembly ('wasm-unsafe-eval'; the /evidence page's hasher only).</param>
    public static string ContentSecurityPolicy(string? tileUrl, bool wasm = false)
    {
        var tiles = TileOrigin(tileUrl);
        return "default-src 'self'; script-src 'self'" + (wasm ? " 'wasm-unsafe-eval'" : "") + "; style-src 'self'; img-src 'self' data:" + (tiles is null ? "" : " " + tiles) +
               "; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
               "form-action 'self'; worker-src 'self'; manifest-src 'self'";
    }

    /// <summary>
    /// The scheme, host and port of a Leaflet tile URL template ("https://{s}.tile.example.org/{z}/{x}/{y}.png" →
    /// "https://*.tile.example.org"); null when empty or not a plain http(s) URL (then no tiles load, as if offline).
    /// </summary>
    public static string? TileOrigin(string? tileUrl)
    {
        if (string.IsNullOrWhiteSpace(tileUrl)) return null;
        const string sub = "leaflet-subdomain";
        var template = tileUrl.Trim().Replace("{s}", sub, StringComparison.Ordinal);
        var end = template.IndexOfAny(['/', '?', '#'], template.IndexOf("://", StringComparison.Ordinal) is var i and >= 0 ? i + 3 : 0);
        var authority = end < 0 ? template : template[..end];
        if (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || !string.IsNullOrEmpty(uri.UserInfo) || uri.Host.Contains('{') || uri.Host.Contains('}')) return null;
        var host = uri.Host.Replace(sub, "*", StringComparison.Ordinal);
        if (host.Contains('*') && !host.StartsWith("*.", StringComparison.Ordinal)) return null;
        return $"{uri.Scheme}://{host}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}";
    }
}
