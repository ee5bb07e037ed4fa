using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Verification;

namespace Whistle.Places;

public sealed record PointDto(double? Lat, double? Lon);

/// <summary>A gazetteer candidate, named by the look-up that offered it: the server looks it up again (nothing is taken on trust).</summary>
public sealed record GazetteerPick(string? Query, int? Index);

/// <summary>Exactly one of: a map pin, a zone (its representative point, zone-precise), or a gazetteer candidate.</summary>
public sealed record PlaceRequest(PointDto? Point, int? ZoneId, GazetteerPick? Gazetteer) : IValidatable
{
    public const int MaxQuery = 200;

    public void Validate(Problems p, IServiceProvider services)
    {
        int given = (Point is null ? 0 : 1) + (ZoneId is null ? 0 : 1) + (Gazetteer is null ? 0 : 1);
        p.Require(given == 1, "place", "Place the sighting by exactly one of: point, zoneId, gazetteer.");
        if (Point is not null)
        {
            p.Require(Point.Lat is not null && Point.Lon is not null, "point", "A point needs lat and lon.");
            p.LatLon(Point.Lat, Point.Lon, "point.");
            var zones = services.GetRequiredService<ZoneRegistry>().Current;
            if (Point.Lat is { } lat && Point.Lon is { } lon && GeoPoint.IsValid(lat, lon) && zones.All.Count > 0)
                p.Require(zones.All.Any(z => z.DistanceTo(new GeoPoint(lat, lon)) <= OutsideNetworkMeters), "point",
                    "This point is far outside the network's zones.");
        }
        if (ZoneId is { } z) p.Require(services.GetRequiredService<ZoneRegistry>().Current.Exists(z), "zoneId", $"Unknown zone {z}.");
        if (Gazetteer is not null)
        {
            p.Require(!string.IsNullOrWhiteSpace(Gazetteer.Query), "gazetteer.query", "Say what was looked up.");
            p.MaxLength(Gazetteer.Query, MaxQuery, "gazetteer.query");
            p.Require(Gazetteer.Index is >= 0 and < Geo.Gazetteer.MaxCandidates, "gazetteer.index", "Pick one of the candidates the look-up offered.");
        }
    }

    /// <summary>A pin this far from every zone is a slip (or worse), not a sighting in this network.</summary>
    public const double OutsideNetworkMeters = 10_000;
}

public sealed record LookupResult(string Query, List<PlaceCandidate> Candidates);

public sealed record GazetteerImportResult(int Streets, int Landmarks, int Skipped);

/// <summary>
/// Putting an unplaced sighting on the map before it can be alerted, and the local gazetteer that helps:
/// look-ups by dispatchers, imports by admins. See docs/decisions/0019-place-before-alert.md.
/// </summary>
public static class PlacesApi
{
    /// <summary>The most an imported gazetteer may weigh.</summary>
    public const long MaxImportBytes = 8 * 1024 * 1024;

    public static RouteGroupBuilder MapPlaces(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/places").WithTags("Places").WithValidation().RequireAuthorization(Policies.Dispatch);
        group.MapGet("/", LookupAsync);
        group.MapPost("/import", ImportAsync).RequireAuthorization(Policies.Admin).Accepts<System.Text.Json.JsonElement>("application/geo+json", "application/json");

        var sightings = routes.MapGroup("/sightings").WithTags("Sightings").WithValidation().RequireAuthorization(Policies.Dispatch);
        sightings.MapPost("/{id:guid}/place", PlaceAsync);
        return group;
    }

    private static async Task<Results<Ok<LookupResult>, ProblemHttpResult>> LookupAsync(
        string? q, WhistleDb db, GazetteerRegistry registry, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(q) || q.Length > PlaceRequest.MaxQuery)
            return TypedResults.Problem(statusCode: 400, title: "Nothing to look up",
                detail: $"Give q: a street, an intersection (\"Cedar Ave & Riverside\"), a neighbourhood or a landmark, at most {PlaceRequest.MaxQuery} characters.",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["q"] = ["Required, at most 200 characters."] } });
        var gazetteer = await registry.CurrentAsync(db, ct);
        var query = Text.CleanLine(q)!.Trim();
        return TypedResults.Ok(new LookupResult(query, gazetteer.Lookup(query)));
    }

    private static async Task<Results<Ok<SightingSummary>, NotFound, ProblemHttpResult>> PlaceAsync(
        Guid id, PlaceRequest req, WhistleDb db, ZoneRegistry zones, GazetteerRegistry registry, TimeProvider time,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var sighting = await db.Sightings.FindAsync([id], ct);
        if (sighting is null) return TypedResults.NotFound();
        if (!sighting.IsOpen)
            return Problem.Conflict($"The sighting is {Names.Of(sighting.State)}; only an open sighting can be placed.");

        GeoPoint at;
        string how, label;
        int? zoneId = null;
        if (req.Point is { Lat: { } lat, Lon: { } lon })
        {
            (at, how) = (new GeoPoint(lat, lon), "pin");
            label = zones.Current.ZoneAt(at)?.Name ?? "map pin";
        }
        else if (req.ZoneId is { } z)
        {
            var zone = zones.Current.Get(z);
            (at, how, label, zoneId) = (zone.Label, "zone", zone.Name, z);
        }
        else
        {
            var candidates = (await registry.CurrentAsync(db, ct)).Lookup(req.Gazetteer!.Query);
            if (req.Gazetteer.Index!.Value >= candidates.Count)
                return TypedResults.Problem(statusCode: 422, title: "No such candidate", type: NoCandidateType,
                    detail: "The look-up no longer offers this candidate (the gazetteer may have changed). Look it up again.");
            var c = candidates[req.Gazetteer.Index.Value];
            // A neighbourhood picked from the look-up is a zone placement: as precise as the zone.
            (at, how, label, zoneId) = (new GeoPoint(c.Lat, c.Lon), c.Kind == "zone" ? "zone" : "gazetteer", c.Label, c.Kind == "zone" ? c.ZoneId : null);
        }
        // Moving the sighting and its history entry are one SaveChanges: one transaction.
        db.SightingTransitions.Add(sighting.Place(at, how, zoneId, label, user.Identity?.Name ?? "unknown", time.GetUtcNow()));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(SightingsApi.Summary(sighting));
    }

    public const string NoCandidateType = "https://whistle.example/problems/no-such-candidate";

    /// <summary>
    /// Replaces the network's gazetteer with a GeoJSON FeatureCollection of named LineStrings, MultiLineStrings and
    /// Points (streets and landmarks). Refused whole, with the reason, when it is not one; names are cleaned.
    /// </summary>
    private static async Task<Results<Ok<GazetteerImportResult>, ProblemHttpResult>> ImportAsync(
        HttpContext http, WhistleDb db, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var type = http.Request.ContentType is { } ctype ? ctype.Split(';')[0].Trim().ToLowerInvariant() : null;
        if (type is not ("application/geo+json" or "application/json"))
            return TypedResults.Problem(statusCode: 415, title: "Not GeoJSON",
                detail: "Send the gazetteer as the body, with Content-Type application/geo+json (or application/json).");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBytes + 1;
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        try
        {
            while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + read > MaxImportBytes) return Refused($"The file is larger than {MaxImportBytes / 1024 / 1024} MB.", 413);
                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Refused($"The file is larger than {MaxImportBytes / 1024 / 1024} MB.", 413);
        }
        if (!System.Text.Unicode.Utf8.IsValid(body.GetBuffer().AsSpan(0, (int)body.Length))) return Refused("The file is not UTF-8 text.");
        var (entries, skipped, error) = Gazetteer.Parse(System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length));
        if (error is not null) return Refused(error);

        int streets = entries.Count(e => e.Geometry is not NetTopologySuite.Geometries.Point), landmarks = entries.Count - streets;
        var file = await db.GazetteerFiles.FindAsync([1], ct);
        if (file is null) db.GazetteerFiles.Add(file = new GazetteerFile());
        file.GeoJson = Gazetteer.ToGeoJson(entries);
        (file.Streets, file.Landmarks) = (streets, landmarks);
        file.ImportedAt = time.GetUtcNow();
        file.ImportedBy = user.Identity?.Name ?? "";
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new GazetteerImportResult(streets, landmarks, skipped));
    }

    private static ProblemHttpResult Refused(string why, int status = 400) =>
        TypedResults.Problem(statusCode: status, title: "The gazetteer was not accepted", detail: why + " Nothing was changed.",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["file"] = [why] } });
}
