using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Geo;
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

public sealed record TemplateView(int Id, string Language, string Key, string Text, bool NeedsReview, string? ReviewedBy, DateTimeOffset? ReviewedAt)
{
    /// <summary>For message templates: the SMS size of the longest message it can produce, and what one costs.</summary>
    public SmsEstimate? Sms { get; init; }
    /// <summary>What the template is for (new alert, update, all clear, retraction, drill, subscription…): see <see cref="TemplateGuide"/>.</summary>
    public string Group => TemplateGuide.GroupOf(Key);
}

/// <param name="Budget">The most segments a message may take (Whistle:Sms:SegmentBudget); an edit past it is refused.</param>
public sealed record SmsEstimate(string Encoding, int Units, int Segments, decimal CostPerMessage, string Currency, int Budget);

/// <summary>
/// The network's message texts. Staff read them; admins edit them (an edit needs review again) and
/// approve them — the approval a native speaker gives to a template someone else wrote.
/// </summary>
public static class TemplatesApi
{
    public static RouteGroupBuilder MapTemplates(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/templates").WithTags("Templates").WithValidation().RequireAuthorization(Policies.Staff);
        group.MapGet("/", ListAsync);
        group.MapPut("/{id:int}", EditAsync).RequireAuthorization(Policies.Admin);
        group.MapPost("/{id:int}/approve", ApproveAsync).RequireAuthorization(Policies.Admin);
        return group;
    }

    private static async Task<Ok<List<TemplateView>>> ListAsync(
        WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, string? language, CancellationToken ct)
    {
        var all = await db.Templates.AsNoTracking().OrderBy(t => t.Language).ThenBy(t => t.Key).ToListAsync(ct);
        var set = TemplateSet.From(all);
        return TypedResults.Ok(all.Where(t => language == null || t.Language == language)
            .Select(t => new TemplateView(t.Id, t.Language, t.Key, t.Text, t.NeedsReview, t.ReviewedBy, t.ReviewedAt)
                { Sms = Estimate(set, t, zones.Current, options.Value.Sms) })
            .ToList());
    }

    /// <summary>
    /// For message templates: the SMS size of the longest message the template can produce — the
    /// longest zone name and the longest activity of its language — and what one costs.
    /// </summary>
    private static SmsEstimate? Estimate(TemplateSet set, Template t, ZoneCatalog zones, SmsOptions sms)
    {
        var place = zones.All.Select(z => z.Name).OrderByDescending(n => n.Length).FirstOrDefault() ?? "the alert area";
        var late = new DateTimeOffset(2026, 1, 1, 22, 59, 0, TimeSpan.Zero);
        (AlertKind Kind, CancelReason? Reason)? shape = t.Key switch
        {
            "alert" => (AlertKind.Alert, null),
            "update" => (AlertKind.Update, null),
            "cancel.all_clear" => (AlertKind.Cancel, CancelReason.AllClear),
            "cancel.false_alarm" => (AlertKind.Cancel, CancelReason.FalseAlarm),
            _ => null,
        };
        string text;
        if (shape is { } k)
        {
            var activity = Enum.GetValues<Reports.Activity>()
                .OrderByDescending(a => set.Get(t.Language, "activity." + Verification.Names.Of(a)).Length).First();
            var sample = new Alert { Kind = k.Kind, CancelReason = k.Reason, Activity = activity, Place = place, ExpiresAt = late };
            text = set.Render(sample, late, TimeZoneInfo.Utc)[t.Language];
        }
        else if (t.Key is "confirm.code" or "unsubscribe.code" or "unsubscribed") text = TemplateSet.Fill(t.Text, new Dictionary<string, string> { ["code"] = "000000" });
        // Replies to inbound texts, at their longest (a long network name, the longest zone names).
        else if (t.Key.StartsWith("sms.", StringComparison.Ordinal)) text = TemplateSet.Fill(t.Text, Inbound.SmsInboundApi.Samples(zones));
        else return null;
        var size = Delivery.Sms.SmsSize.Of(text);
        return new SmsEstimate(size.Encoding, size.Units, size.Segments, size.Segments * sms.CostPerSegment, sms.Currency, sms.SegmentBudget);
    }

    private static async Task<Results<Ok<TemplateView>, NotFound, ProblemHttpResult>> EditAsync(
        int id, TemplateEdit req, WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var t = await db.Templates.FindAsync([id], ct);
        if (t is null) return TypedResults.NotFound();
        var missing = Placeholders(DefaultTemplates.All().FirstOrDefault(d => d.Key == t.Key && d.Language == "en")?.Text ?? "")
            .Except(Placeholders(req.Text!)).Where(p => p is "code" or "marker").ToList();
        if (missing.Count > 0) return TypedResults.Problem(statusCode: 400, title: "Placeholder missing",
            detail: $"This template must keep {string.Join(", ", missing.Select(m => "{" + m + "}"))}.");
        // The worst case the edited text can produce must fit the SMS segment budget.
        var all = await db.Templates.AsNoTracking().ToListAsync(ct);
        var edited = new Template { Id = t.Id, Language = t.Language, Key = t.Key, Text = req.Text!.Trim() };
        var sms = options.Value.Sms;
        if (Estimate(TemplateSet.From(all.Select(x => x.Id == t.Id ? edited : x).ToList()), edited, zones.Current, sms) is { } size
            && size.Segments > sms.SegmentBudget)
            return TypedResults.Problem(statusCode: 400, title: "Too long for one alert text",
                detail: $"At its longest (the longest neighbourhood name) this comes to {size.Segments} SMS segments ({size.Encoding}, {size.Units} characters); " +
                        $"the network's budget is {sms.SegmentBudget}. Shorten it.",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["text"] = [$"{size.Segments} segments; at most {sms.SegmentBudget}."] } });
        t.Text = req.Text!.Trim();
        t.NeedsReview = t.Language != "en";
        t.ReviewedBy = null;
        t.ReviewedAt = null;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new TemplateView(t.Id, t.Language, t.Key, t.Text, t.NeedsReview, t.ReviewedBy, t.ReviewedAt)
            { Sms = Estimate(TemplateSet.From(all.Select(x => x.Id == t.Id ? edited : x).ToList()), edited, zones.Current, sms) });
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
