using System.Globalization;
using Whistle.Reports;
using Whistle.Site;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// One piece of text a network sends, in one language. A template that no native speaker has
/// approved carries <see cref="NeedsReview"/> until an admin who is one approves it.
/// </summary>
public class Template
{
    public int Id { get; set; }
    public string Language { get; set; } = "";
    public string Key { get; set; } = "";
    public string Text { get; set; } = "";
    public bool NeedsReview { get; set; }
    public string? ReviewedBy { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
}

public static class Languages
{
    public static readonly string[] All = ["en", "es", "so", "hmn"];
    public static bool IsKnown(string? code) => code is not null && All.Contains(code);
}

/// <summary>A language's templates, keyed; renders alert texts with their placeholders filled.</summary>
public sealed class TemplateSet(IReadOnlyDictionary<(string Language, string Key), string> texts)
{
    public static TemplateSet From(IEnumerable<Template> templates) =>
        new(templates.ToDictionary(t => (t.Language, t.Key), t => t.Text));

    public string Get(string language, string key) =>
        texts.TryGetValue((language, key), out var t) ? t
        : texts.TryGetValue(("en", key), out var en) ? en
        : throw new KeyNotFoundException($"No template '{key}' in any language.");

    /// <summary>The text, else the built-in default (a key added after the network's templates were seeded).</summary>
    public string GetOrDefault(string language, string key) =>
        texts.TryGetValue((language, key), out var t) ? t
        : DefaultTemplates.Text(language, key) ?? Get(language, key);

    public static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        values.Aggregate(template, (text, kv) => text.Replace("{" + kv.Key + "}", kv.Value, StringComparison.Ordinal)).Trim();

    /// <summary>The message for each language: alert, update or cancel, with the VERIFIED or DRILL marker.</summary>
    public Dictionary<string, string> Render(Alert alert, DateTimeOffset observedAt, TimeZoneInfo zone)
    {
        var result = new Dictionary<string, string>();
        foreach (var lang in Languages.All)
        {
            string key = alert.Kind switch
            {
                AlertKind.Alert => "alert",
                AlertKind.Update => "update",
                _ => alert.CancelReason == CancelReason.FalseAlarm ? "cancel.false_alarm" : "cancel.all_clear",
            };
            var values = new Dictionary<string, string>
            {
                ["marker"] = Get(lang, alert.Drill ? "marker.drill" : "marker.verified"),
                ["activity"] = Get(lang, "activity." + Names.Of(alert.Activity)),
                // An alert with no place words (outside every zone, none typed) says "the alert area" in each language.
                ["place"] = alert.Place.Length > 0 ? alert.Place : GetOrDefault(lang, "place.area"),
                ["time"] = LocalTime(observedAt, zone, lang),
                ["expires"] = LocalTime(alert.ExpiresAt, zone, lang),
                ["advice"] = Get(lang, "advice"),
            };
            var text = Fill(Get(lang, key), values);
            // A drill is labelled as such in every message, whatever the template says.
            if (alert.Drill && !text.Contains(values["marker"], StringComparison.Ordinal))
                text = values["marker"] + ": " + text;
            result[lang] = text;
        }
        return result;
    }

    /// <summary>A time in a message: the network's zone, the reader's language, named ("8:55 AM CST") — issue 12 §4.</summary>
    public static string LocalTime(DateTimeOffset t, TimeZoneInfo zone, string lang) => Network.Clock.TimeOfDay(t, zone, lang);
}

/// <summary>
/// The templates every new network starts with: the <c>template.*</c> entries of the translation files
/// (Resources/i18n/*.po, the one source of their words). The database keeps each network's edits and review
/// state; these are only the defaults. Only English is reviewed; the rest await a native speaker.
/// </summary>
public static class DefaultTemplates
{
    private const string Prefix = "template.";

    public static IEnumerable<Template> All() =>
        Languages.All.SelectMany(lang => Keys.Select(key => (key, text: Ui.Translated(lang, Prefix + key)))
            .Where(t => t.text is not null)
            .Select(t => new Template { Language = lang, Key = t.key, Text = t.text!, NeedsReview = lang != "en" }));

    public static string? Text(string language, string key) =>
        Ui.Translated(language, Prefix + key) ?? Ui.Translated("en", Prefix + key);

    private static IEnumerable<string> Keys =>
        Ui.English.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal)).Select(k => k[Prefix.Length..]).Order(StringComparer.Ordinal);
}
