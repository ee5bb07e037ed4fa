using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Network;
using Whistle.Platform;

namespace Whistle.Geo;

/// <param name="Kept">Zones in the network that the file did not name: kept, because subscriptions and verifiers may refer to them.</param>
public sealed record ZoneImportResult(int Added, int Updated, int Unchanged, int Kept, int Total, int Repaired, string[] KeptZones, string? Note);

public static class ZonesApi
{
    /// <summary>The most a zone file may weigh.</summary>
    public const long MaxImportBytes = 20 * 1024 * 1024;

    public static RouteGroupBuilder MapZones(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/zones").WithTags("Zones").AllowAnonymous();
        // RFC 7946 FeatureCollection; properties carry id and name.
        group.MapGet("/", (ZoneRegistry zones) => Results.Text(zones.GeoJson, "application/geo+json", Encoding.UTF8));
        return group;
    }

    /// <summary>Admins replace and add zones from a GeoJSON file (the GET above stays public: its own group).</summary>
    public static RouteGroupBuilder MapZoneImport(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/zones").WithTags("Zones").RequireAuthorization(Policies.Admin);
        group.MapPost("/import", ImportAsync).Accepts<JsonElement>("application/geo+json", "application/json");
        return group;
    }

    /// <summary>
    /// Upserts zones by name from an RFC 7946 FeatureCollection (the body): a name already known keeps its id, so
    /// subscriptions to it keep working; new names get new ids; zones the file leaves out are kept. All or
    /// nothing. Then this process reloads at once, and others sharing the database on their next housekeeping
    /// pass (they see a newer <see cref="NetworkProfile.ZonesChangedAt"/>).
    /// </summary>
    private static async Task<Results<Ok<ZoneImportResult>, ProblemHttpResult>> ImportAsync(
        HttpContext http, string? nameProperty, WhistleDb db, ZoneRegistry registry, TimeProvider time, Cluster.LiveBus bus, CancellationToken ct)
    {
        var type = http.Request.ContentType is { } ctype ? ctype.Split(';')[0].Trim().ToLowerInvariant() : null;
        if (type is not ("application/geo+json" or "application/json"))
            return TypedResults.Problem(statusCode: 415, title: "Not GeoJSON",
                detail: "Send the zone file as the body, with Content-Type application/geo+json (or application/json).");
        if (nameProperty is { Length: > 100 })
            return Invalid(new() { ["nameProperty"] = ["At most 100 characters."] });
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBytes + 1;

        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        try
        {
            while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + read > MaxImportBytes) return TooLarge();
                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge) { return TooLarge(); }

        // JsonDocument checks UTF-8 inside strings only when a string is read (a 500 then): check it first (found by FuzzTests).
        if (!System.Text.Unicode.Utf8.IsValid(body.GetBuffer().AsSpan(0, (int)body.Length)))
            return Invalid(new() { ["file"] = ["The file is not UTF-8 text."] });
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException ex)
        {
            return Invalid(new() { ["file"] = [$"The file is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})."] });
        }
        List<ImportedZone> zones;
        using (doc)
        {
            var (read2, errors) = ZoneFile.Read(doc.RootElement, nameProperty);
            if (errors.Count > 0) return Invalid(errors);
            zones = read2;
        }

        var existing = await db.Zones.ToListAsync(ct);
        var byName = existing.GroupBy(z => z.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        int nextId = existing.Count == 0 ? 1 : existing.Max(z => z.Id) + 1;
        int added = 0, updated = 0, unchanged = 0;
        foreach (var z in zones)
        {
            if (byName.TryGetValue(z.Name, out var known))
            {
                if (Same(known.GeoJson, z.Shape)) { unchanged++; continue; }
                known.GeoJson = z.GeoJson;
                if (z.Number is not null) known.Number = z.Number;
                updated++;
            }
            else
            {
                db.Zones.Add(new Zone { Id = nextId++, Name = z.Name, Number = z.Number, GeoJson = z.GeoJson });
                added++;
            }
        }
        var named = zones.Select(z => z.Name).ToHashSet(StringComparer.Ordinal);
        var kept = existing.Where(z => !named.Contains(z.Name)).OrderBy(z => z.Id).Select(z => z.Name).ToArray();
        if (added + updated > 0)
        {
            var profile = await db.Network.OrderBy(n => n.Id).FirstAsync(ct);
            var now = time.GetUtcNow();
            // Strictly newer than the last stamp, so every process sees the change even within one millisecond.
            profile.ZonesChangedAt = profile.ZonesChangedAt is { } last && last >= now ? last.AddMilliseconds(1) : now;
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException)
            {
                return Problem.Conflict("The zones were changed by someone else at the same moment. Import the file again.");
            }
        }
        await registry.ReloadAsync(db, ct);
        // Every other node reloads now, not at its next housekeeping pass (a minute): an alert sent there targets these zones.
        if (added + updated > 0) await bus.PublishAsync(Cluster.LiveBus.Topics.ZonesChanged);
        return TypedResults.Ok(new ZoneImportResult(added, updated, unchanged, kept.Length, registry.Current.All.Count,
            zones.Count(z => z.Repaired), kept,
            kept.Length == 0 ? null : $"{kept.Length} zone(s) not in the file were kept: subscriptions and verifiers may refer to them."));
    }

    private static bool Same(string storedGeoJson, NetTopologySuite.Geometries.Geometry shape)
    {
        try { return ZoneCatalog.ParseGeometry(storedGeoJson).Normalized().EqualsExact(shape.Normalized(), 1e-9); }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException) { return false; }
    }

    private static ProblemHttpResult Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.Problem(statusCode: 400, title: "The zone file was not accepted",
            detail: string.Join(" ", errors.Values.SelectMany(v => v).Take(5)) + (errors.Count > 5 ? $" ({errors.Count} faults in all.)" : "") +
                    " Nothing was changed.",
            extensions: new Dictionary<string, object?> { ["errors"] = errors });

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: 413, title: "Zone file too large",
            detail: $"A zone file may be at most {MaxImportBytes / (1024 * 1024)} MB. Simplify the shapes or split the file.");
}
