using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Privacy;

namespace Whistle.Reports;

/// <summary>
/// A volunteer whose reports are trusted: they report through a personal link (/report?t=…) whose token is shown
/// once and stored only as a keyed hash. Their reports are marked trusted, count as one source wherever they are
/// sent from, and never wait in a surge. Revoking the link makes its reports ordinary again (never refused).
/// </summary>
public class TrustedReporter
{
    public const int MaxNameLength = 100;
    public const int MaxTokenLength = 100;

    public long Id { get; set; }
    /// <summary>What staff call the volunteer ("Ana, Lake St. team"): a label, not an identity check.</summary>
    public string Name { get; set; } = "";
    public byte[] TokenHash { get; set; } = [];
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastReportAt { get; set; }

    public static string NewToken() => Base64UrlEncode(RandomNumberGenerator.GetBytes(24));

    private static string Base64UrlEncode(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The live (not revoked) reporter a token belongs to, or null for none, a revoked one or a made-up one.</summary>
    public static async Task<TrustedReporter?> FindAsync(WhistleDb db, KeyRing keys, string? token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > MaxTokenLength) return null;
        var hash = keys.Hash("reporter-token:" + token.Trim());
        return await db.TrustedReporters.FirstOrDefaultAsync(r => r.TokenHash == hash && r.RevokedAt == null, ct);
    }

    public static byte[] HashOf(KeyRing keys, string token) => keys.Hash("reporter-token:" + token);
}

public sealed record ReporterRequest(string? Name) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Name), "name", "Give the volunteer a name staff will recognise.");
        p.MaxLength(Name, TrustedReporter.MaxNameLength, "name");
        p.Require(Name is null || !Name.Any(char.IsControl), "name", "No control characters.");
    }
}

public sealed record ReporterView(long Id, string Name, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastReportAt)
{
    public static ReporterView Of(TrustedReporter r) => new(r.Id, r.Name, r.CreatedBy, r.CreatedAt, r.RevokedAt, r.LastReportAt);
}

/// <summary>The new reporter with their link: the only time the token is shown.</summary>
public sealed record ReporterCreated(ReporterView Reporter, string Token, string Link);

public static class ReportersApi
{
    public static RouteGroupBuilder MapReporters(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/reporters").WithTags("Trusted reporters").WithValidation().RequireAuthorization(Policies.Dispatch);
        group.MapGet("/", ListAsync);
        group.MapPost("/", CreateAsync);
        group.MapDelete("/{id:long}", RevokeAsync);
        return group;
    }

    private static async Task<Ok<List<ReporterView>>> ListAsync(WhistleDb db, CancellationToken ct)
    {
        var all = await db.TrustedReporters.AsNoTracking().OrderBy(r => r.RevokedAt != null).ThenBy(r => r.Name).ThenBy(r => r.Id).ToListAsync(ct);
        return TypedResults.Ok(all.Select(ReporterView.Of).ToList());
    }

    private static async Task<Created<ReporterCreated>> CreateAsync(
        ReporterRequest req, WhistleDb db, KeyRing keys, TimeProvider time, IOptions<WhistleOptions> options, ClaimsPrincipal user, CancellationToken ct)
    {
        var token = TrustedReporter.NewToken();
        var r = new TrustedReporter
        {
            Name = req.Name!.Trim(),
            TokenHash = TrustedReporter.HashOf(keys, token),
            CreatedBy = user.Identity?.Name ?? "unknown",
            CreatedAt = time.GetUtcNow(),
        };
        db.TrustedReporters.Add(r);
        await db.SaveChangesAsync(ct);
        var link = $"{(options.Value.PublicBaseUrl ?? "").TrimEnd('/')}/report?t={token}";
        return TypedResults.Created($"/api/v1/reporters/{r.Id}", new ReporterCreated(ReporterView.Of(r), token, link));
    }

    private static async Task<Results<Ok<ReporterView>, NotFound>> RevokeAsync(long id, WhistleDb db, TimeProvider time, CancellationToken ct)
    {
        var r = await db.TrustedReporters.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (r is null) return TypedResults.NotFound();
        r.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ReporterView.Of(r));
    }
}
