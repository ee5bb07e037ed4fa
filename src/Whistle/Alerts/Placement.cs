using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Geo;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// An alert can only go where the sighting is: a sighting without a position is refused (it is placed first, by a
/// dispatcher), and an area that does not hold the sighting's position is refused unless the dispatcher says so.
/// </summary>
public static class Placement
{
    /// <summary>The stable problem types the composer recognises.</summary>
    public const string NotPlacedType = "https://whistle.example/problems/sighting-not-placed";
    public const string OutsideType = "https://whistle.example/problems/area-misses-sighting";

    public static ProblemHttpResult? NotPlaced(Sighting sighting) => sighting.Location is not null ? null :
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: NotPlacedType, title: "Place the sighting first",
            detail: "This sighting has no position: its reports gave none. Place it on the map (a pin, a neighbourhood, or a street " +
                    "or intersection from the look-up) before previewing or sending an alert.",
            extensions: new Dictionary<string, object?> { ["code"] = "sighting_not_placed" });

    public static ProblemHttpResult Outside() =>
        TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, type: OutsideType, title: "The area misses the sighting",
            detail: "The alert area does not contain the sighting's position. Move the area over it, or send anyway with " +
                    "outsideAreaAcknowledged: true (recorded on the sighting).",
            extensions: new Dictionary<string, object?> { ["code"] = "area_misses_sighting", ["field"] = "area" });

    /// <summary>The area (circle and zones together) holds the point.</summary>
    public static bool Contains(AlertArea area, GeoPoint p, ZoneCatalog zones) =>
        area.Circle is { } c && c.Contains(p) || area.Zones.Any(z => zones.Find(z)?.Contains(p) == true);

    public static SightingTransition Acknowledged(Sighting s, string actor, DateTimeOffset at) => new()
    {
        SightingId = s.Id, From = s.State, To = s.State, Actor = actor, At = at,
        Note = "alert sent to an area that does not contain the sighting's position (acknowledged)",
    };
}
