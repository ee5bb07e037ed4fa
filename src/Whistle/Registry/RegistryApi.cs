using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Incidents;
using Whistle.Site;

namespace Whistle.Registry;

/// <summary>
/// The public accountability registry (anonymous): the published incidents as <see cref="RegistryRow"/>s — as
/// JSON, CSV and GeoJSON — their statistics, and two server-drawn SVG charts (<c>/registry/charts/*.svg</c>,
/// outside the API). Schema: docs/registry-schema.md, served at <c>/registry/schema</c>.
/// </summary>
public static class RegistryApi
{
    private const string CacheControl = "public, max-age=60";

    public static RouteGroupBuilder MapRegistry(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/registry").WithTags("Registry").AllowAnonymous();
        group.MapGet("/incidents", async Task<Ok<List<RegistryRow>>> (WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, HttpContext http, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = CacheControl;
            return TypedResults.Ok((await ReleaseAsync(db, zones.Current, options.Value, ct)).Rows.ToList());
        });
        group.MapGet("/incidents.csv", async Task<ContentHttpResult> (WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, HttpContext http, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = CacheControl;
            http.Response.Headers.ContentDisposition = "attachment; filename=\"registry-incidents.csv\"";
            return TypedResults.Text(RegistryFormats.Csv((await ReleaseAsync(db, zones.Current, options.Value, ct)).Rows), "text/csv; charset=utf-8; header=present");
        });
        group.MapGet("/incidents.geojson", async Task<ContentHttpResult> (WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, HttpContext http, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = CacheControl;
            return TypedResults.Text(RegistryFormats.GeoJson((await ReleaseAsync(db, zones.Current, options.Value, ct)).Rows), "application/geo+json", Encoding.UTF8);
        });
        group.MapGet("/stats", async Task<Ok<RegistryStats>> (WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, HttpContext http, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = CacheControl;
            return TypedResults.Ok(RegistryStats.Of(await ReleaseAsync(db, zones.Current, options.Value, ct)));
        });
        return group;
    }

    /// <summary><c>/registry/charts/monthly.svg</c> and <c>categories.svg</c>, in the language of <c>?lang=</c> (else the visitor's).</summary>
    public static IEndpointRouteBuilder MapRegistryCharts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/registry/charts").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/monthly.svg", (WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, HttpContext http, CancellationToken ct) =>
            ChartAsync(db, zones, options.Value, http, RegistryCharts.Monthly, ct));
        group.MapGet("/categories.svg", (WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, HttpContext http, CancellationToken ct) =>
            ChartAsync(db, zones, options.Value, http, RegistryCharts.Categories, ct));
        return routes;
    }

    private static async Task<ContentHttpResult> ChartAsync(WhistleDb db, ZoneRegistry zones, WhistleOptions options, HttpContext http,
        Func<RegistryStats, string, BarChart> chart, CancellationToken ct)
    {
        var lang = Ui.LanguageOf(http);
        var stats = RegistryStats.Of(await ReleaseAsync(db, zones.Current, options, ct));
        http.Response.Headers.CacheControl = CacheControl;
        http.Response.Headers.Vary = "Accept-Language, Cookie";
        http.Response.Headers.ContentLanguage = lang;
        // An image, not a document: nothing in it may run or load.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Text("""<?xml version="1.0" encoding="utf-8"?>""" + "\n" + chart(stats, lang).Render(), "image/svg+xml", Encoding.UTF8);
    }

    /// <summary>
    /// The published incidents as public rows, one per incident at (neighbourhood, month), in the registry's order —
    /// before the small-numbers rule, so never served as they are. Only the columns a row is made from are
    /// read from the database: names, notes, titles and places never leave it.
    /// </summary>
    private static async Task<List<RegistryRow>> RowsAsync(WhistleDb db, ZoneCatalog zones, CancellationToken ct)
    {
        var tz = await Network.NetworkLookup.TimeZoneAsync(db, ct);
        var incidents = await db.Incidents.AsNoTracking().Where(i => i.Published)
            .Select(i => new Incident
            {
                Id = i.Id, OccurredAt = i.OccurredAt, Lat = i.Lat, Lon = i.Lon, Category = i.Category, Agencies = i.Agencies,
                PeopleAffected = i.PeopleAffected, Injured = i.Injured, Deaths = i.Deaths, Status = i.Status, Published = i.Published,
            })
            .ToListAsync(ct);
        return RegistryRow.Order(incidents.Select(i => RegistryRow.From(i, zones, tz)));
    }

    /// <summary>
    /// What the registry publishes now: the rows under the small-numbers rule (<see cref="SmallCells"/>, k =
    /// Whistle:Registry:MinCellSize). Every public output is built from this, never from <see cref="RowsAsync"/>.
    /// </summary>
    public static async Task<RegistryRelease> ReleaseAsync(WhistleDb db, ZoneCatalog zones, WhistleOptions options, CancellationToken ct) =>
        SmallCells.Apply(await RowsAsync(db, zones, ct), options.Registry.MinCellSize);
}
