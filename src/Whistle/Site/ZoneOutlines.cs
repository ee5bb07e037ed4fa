using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Simplify;
using Whistle.Geo;

namespace Whistle.Site;

/// <summary>
/// The zones as light outlines for the public maps: simplified to ~10 m and rounded to 4 decimals, a
/// fraction of the bytes of <c>GET /api/v1/zones</c> (which keeps the exact shapes targeting uses), so a
/// page with a map stays light on a phone. Built once per zone catalogue, so an import of zones shows at once
/// (browsers may keep their copy for up to five minutes, then revalidate it by its ETag).
/// </summary>
public static class ZoneOutlines
{
    private const double ToleranceDegrees = 0.0001;
    private sealed record Built(string Body, string ETag);
    private static readonly ConditionalWeakTable<ZoneCatalog, Built> Cache = [];

    public static IEndpointRouteBuilder MapZoneOutlines(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/site/zones.geojson", Get).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static IResult Get(ZoneRegistry zones, HttpContext http)
    {
        var built = Cache.GetValue(zones.Current, c =>
        {
            var body = Build(c);
            return new Built(body, "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..16] + "\"");
        });
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.ETag = built.ETag;
        if (http.Request.Headers.IfNoneMatch.Contains(built.ETag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Text(built.Body, "application/geo+json", Encoding.UTF8);
    }

    internal static string Build(ZoneCatalog catalog)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "FeatureCollection");
            w.WriteStartArray("features");
            foreach (var zone in catalog.All.OrderBy(z => z.Id))
            {
                var shape = TopologyPreservingSimplifier.Simplify(zone.Wgs84, ToleranceDegrees);
                w.WriteStartObject();
                w.WriteString("type", "Feature");
                w.WriteStartObject("properties");
                w.WriteNumber("id", zone.Id);
                w.WriteString("name", zone.Name);
                w.WriteEndObject();
                w.WriteStartObject("geometry");
                switch (shape)
                {
                    case Polygon p:
                        w.WriteString("type", "Polygon");
                        w.WritePropertyName("coordinates");
                        WritePolygon(w, p);
                        break;
                    case MultiPolygon mp:
                        w.WriteString("type", "MultiPolygon");
                        w.WriteStartArray("coordinates");
                        foreach (var g in mp.Geometries) WritePolygon(w, (Polygon)g);
                        w.WriteEndArray();
                        break;
                    default:
                        throw new InvalidOperationException($"Zone {zone.Id} is a {shape.GeometryType}, not a polygon.");
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WritePolygon(Utf8JsonWriter w, Polygon p)
    {
        w.WriteStartArray();
        WriteRing(w, p.ExteriorRing);
        foreach (var hole in p.InteriorRings) WriteRing(w, hole);
        w.WriteEndArray();
    }

    private static void WriteRing(Utf8JsonWriter w, LineString ring)
    {
        w.WriteStartArray();
        foreach (var c in ring.Coordinates)
        {
            w.WriteStartArray();
            w.WriteNumberValue(Math.Round(c.X, 4));
            w.WriteNumberValue(Math.Round(c.Y, 4));
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
