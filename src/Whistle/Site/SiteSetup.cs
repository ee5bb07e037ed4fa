using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.FileProviders;

namespace Whistle.Site;

/// <summary>
/// The web site: Razor Pages under Site/Pages (public pages and the staff console) and the static
/// assets of Web/ (our CSS and scripts, and the npm libraries the build copied into Web/lib), embedded
/// in the assembly and served compressed, so nothing comes from a CDN.
/// </summary>
public static class SiteSetup
{
    public static WebApplicationBuilder AddSite(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(o => o.RootDirectory = "/Site/Pages");
        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/geo+json", "image/svg+xml", "application/manifest+json"]);
        });
        builder.Services.Configure<SiteOptions>(builder.Configuration.GetSection("Whistle:Site"));
        return builder;
    }

    /// <summary>Static assets first (cheap, cacheable), then the pages.</summary>
    public static WebApplication UseSiteAssets(this WebApplication app)
    {
        app.UseResponseCompression();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new ManifestEmbeddedFileProvider(typeof(SiteSetup).Assembly, "Web"),
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=3600",
        });
        return app;
    }

    public static WebApplication MapSite(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapZoneOutlines();
        return app;
    }
}

/// <summary>Whistle:Site:* — how the public pages look.</summary>
public sealed class SiteOptions
{
    /// <summary>
    /// Map tiles (a Leaflet URL template). Empty: no base map, only zones and alerts — which is also
    /// what the map shows when tiles cannot load (no internet nearby).
    /// </summary>
    public string TileUrl { get; set; } = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    public string TileAttribution { get; set; } = "© OpenStreetMap contributors";
}
