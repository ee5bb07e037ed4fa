using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Alerts;

public sealed record TemplateEdit(string? Text) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Text), "text", "The template text.");
        p.MaxLength(Text, 1000, "text");
    }
}

public sealed record TemplateView(int Id, string Language, string Key, string Text, bool NeedsReview, string? ReviewedBy, DateTimeOffset? ReviewedAt);

/// <summary>
/// The network's message texts. Staff read them; admins edit them (an edit needs review again) and
/// approve them — the approval a native speaker gives to a template someone else wrote.
/// </summary>
public static class TemplatesApi
{
    public static RouteGroupBuilder MapTemplates(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/templates").WithTags("Templates").WithValidation().RequireAuthorization(Policies.Staff);
        group.MapGet("/", async (WhistleDb db, string? language, CancellationToken ct) => TypedResults.Ok(await db.Templates.AsNoTracking()
            .Where(t => language == null || t.Language == language).OrderBy(t => t.Language).ThenBy(t => t.Key)
            .Select(t => new TemplateView(t.Id, t.Language, t.Key, t.Text, t.NeedsReview, t.ReviewedBy, t.ReviewedAt)).ToListAsync(ct)));
        group.MapPut("/{id:int}", EditAsync).RequireAuthorization(Policies.Admin);
        group.MapPost("/{id:int}/approve", ApproveAsync).RequireAuthorization(Policies.Admin);
        return group;
    }

    private static async Task<Results<Ok<TemplateView>, NotFound, ProblemHttpResult>> EditAsync(
        int id, TemplateEdit req, WhistleDb db, CancellationToken ct)
    {
        var t = await db.Templates.FindAsync([id], ct);
        if (t is null) return TypedResults.NotFound();
        var missing = Placeholders(DefaultTemplates.All().FirstOrDefault(d => d.Key == t.Key && d.Language == "en")?.Text ?? "")
            .Except(Placeholders(req.Text!)).Where(p => p is "code" or "marker").ToList();
        if (missing.Count > 0) return TypedResults.Problem(statusCode: 400, title: "Placeholder missing",
            detail: $"This template must keep {string.Join(", ", missing.Select(m => "{" + m + "}"))}.");
        t.Text = req.Text!.Trim();
        t.NeedsReview = t.Language != "en";
        t.ReviewedBy = null;
        t.ReviewedAt = null;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new TemplateView(t.Id, t.Language, t.Key, t.Text, t.NeedsReview, t.ReviewedBy, t.ReviewedAt));
    }

    private static async Task<Results<Ok<TemplateView>, NotFound>> ApproveAsync(
        int id, WhistleDb db, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var t = await db.Templates.FindAsync([id], ct);
        if (t is null) return TypedResults.NotFound();
        t.NeedsReview = false;
        t.ReviewedBy = user.Identity?.Name;
        t.ReviewedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new TemplateView(t.Id, t.Language, t.Key, t.Text, t.NeedsReview, t.ReviewedBy, t.ReviewedAt));
    }

    private static IEnumerable<string> Placeholders(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"\{([a-z]+)\}").Select(m => m.Groups[1].Value).Distinct();
}
