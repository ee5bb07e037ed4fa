using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Alerts;

/// <summary>
/// What each message template is for, so the templates page can group and name them for a person instead of
/// listing keys, and which templates an alert is made of, so the composer can warn of unreviewed translations.
/// </summary>
public static class TemplateGuide
{
    /// <summary>The groups in the order the templates page shows them.</summary>
    public static readonly string[] Groups = ["alert", "update", "all_clear", "retraction", "drill", "words", "subscription", "dispatch", "reports", "other"];

    public static string GroupOf(string key) => key switch
    {
        "alert" or "marker.verified" or "advice" => "alert",
        "update" => "update",
        "cancel.all_clear" => "all_clear",
        "cancel.false_alarm" => "retraction",
        "marker.drill" => "drill",
        "place.area" => "words",
        _ when key.StartsWith("activity.", StringComparison.Ordinal) => "words",
        "confirm.code" or "unsubscribe.code" or "unsubscribed" => "subscription",
        "sms.help" or "sms.confirmed" or "sms.code.wrong" or "sms.resumed" or "sms.stopped" or "sms.language" => "subscription",
        _ when key.StartsWith("sms.join.", StringComparison.Ordinal) => "subscription",
        "dispatch" => "dispatch",
        "sms.empty" => "reports",
        _ when key.StartsWith("sms.report.", StringComparison.Ordinal) || key.StartsWith("sms.ask.", StringComparison.Ordinal) => "reports",
        _ => "other",
    };

    /// <summary>The templates an alert's text is made of: its kind's, the marker, the advice, the activity, the fallback place.</summary>
    public static IReadOnlyList<string> UsedBy(Alert alert) =>
    [
        alert.Kind switch
        {
            AlertKind.Update => "update",
            AlertKind.Cancel => alert.CancelReason == CancelReason.FalseAlarm ? "cancel.false_alarm" : "cancel.all_clear",
            _ => "alert",
        },
        alert.Drill ? "marker.drill" : "marker.verified",
        "advice",
        "activity." + Verification.Names.Of(alert.Activity),
        "place.area",
    ];

    /// <summary>Of <paramref name="languages"/>, those in which a template of this alert still needs a native speaker's review.</summary>
    public static async Task<string[]> UnreviewedAsync(WhistleDb db, Alert alert, IEnumerable<string> languages, CancellationToken ct)
    {
        var keys = UsedBy(alert).ToList();
        var langs = languages.ToList();
        var pending = await db.Templates.AsNoTracking().Where(t => t.NeedsReview && keys.Contains(t.Key) && langs.Contains(t.Language))
            .Select(t => t.Language).Distinct().ToListAsync(ct);
        return [.. Languages.All.Where(pending.Contains)];
    }
}
