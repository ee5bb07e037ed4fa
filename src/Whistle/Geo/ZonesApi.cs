using System.Text;

namespace Whistle.Geo;

public static class ZonesApi
{
    public static RouteGroupBuilder MapZones(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/zones").WithTags("Zones").AllowAnonymous();
        // RFC 7946 FeatureCollection; properties carry id and name.
        group.MapGet("/", (ZoneRegistry zones) => Results.Text(zones.GeoJson, "application/geo+json", Encoding.UTF8));
        return group;
    }
}
