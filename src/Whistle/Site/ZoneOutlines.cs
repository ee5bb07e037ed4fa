using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Geometries;
using NetTopologySuite.Simplify;
using Whistle.Geo;

namespace Whistle.Site;

/// <summary>
/// The zones as light outlines for the public maps: simplified to ~10 m and rounded to 4 decimals, a
/// fraction of the bytes of <c>GET /api/v1/zones</c> (which keeps the exact shapes targeting uses), so a
/// page with a map stays light on a phone. Built once per zone catalogue.
/// </summary>
public static class ZoneOutlines
{
    private const double ToleranceDegrees = 0.0001;
    private static readonly ConditionalWeakTable<ZoneCatalog, string> Cache = [];

    public static IEndpointRouteBuilder MapZoneOutlines(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/site/zones.geojson", Get).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static ContentHttpResult Get(ZoneRegistry zones, HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Text(Cache.GetValue(zones.Current, Build), "application/geo+json", Encoding.UTF8);
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
