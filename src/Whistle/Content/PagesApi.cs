using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Content;

public sealed record PageView(string Slug, string Language, string Markdown, string Html, bool Edited, DateTimeOffset? UpdatedAt);

public sealed record PageEdit(string? Markdown) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Markdown), "markdown", "The page's text, as Markdown.");
        p.MaxLength(Markdown, PageText.MaxMarkdownLength, "markdown");
    }
}

/// <summary>Admins edit the public pages (know your rights) as Markdown, one language at a time.</summary>
public static class PagesApi
{
    public static RouteGroupBuilder MapPages(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/pages").WithTags("Pages").WithValidation().RequireAuthorization(Policies.Admin);
        group.MapGet("/{slug}/{lang}", GetAsync);
        group.MapPut("/{slug}/{lang}", PutAsync);
        return group;
    }

    /// <summary>The page as shown: the admin's edit if there is one, else the text Whistle ships with.</summary>
    public static async Task<PageView?> FindAsync(WhistleDb db, string slug, string lang, CancellationToken ct)
    {
        if (!DefaultPages.Slugs.Contains(slug) || !Languages.IsKnown(lang)) return null;
        var edited = await db.Pages.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug && p.Language == lang, ct);
        var markdown = edited?.Markdown ?? DefaultPages.Get(slug, lang)!;
        return new PageView(slug, lang, markdown, SafeMarkdown.ToHtml(markdown), edited is not null, edited?.UpdatedAt);
    }

    private static async Task<Results<Ok<PageView>, NotFound>> GetAsync(string slug, string lang, WhistleDb db, CancellationToken ct) =>
        await FindAsync(db, slug, lang, ct) is { } page ? TypedResults.Ok(page) : TypedResults.NotFound();

    private static async Task<Results<Ok<PageView>, NotFound>> PutAsync(
        string slug, string lang, PageEdit edit, WhistleDb db, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!DefaultPages.Slugs.Contains(slug) || !Languages.IsKnown(lang)) return TypedResults.NotFound();
        var page = await db.Pages.FirstOrDefaultAsync(p => p.Slug == slug && p.Language == lang, ct);
        if (page is null) db.Pages.Add(page = new PageText { Slug = slug, Language = lang });
        page.Markdown = edit.Markdown!.Trim();
        page.UpdatedAt = time.GetUtcNow();
        page.UpdatedBy = user.Identity?.Name ?? "";
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await FindAsync(db, slug, lang, ct))!);
    }
}
