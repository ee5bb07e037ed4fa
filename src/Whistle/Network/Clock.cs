using System.Globalization;

namespace Whistle.Network;

/// <summary>How precisely a time is known. A date a source gives only to the day is kept and shown as that day.</summary>
public enum TimePrecision { Exact, Minute, Day, Month }

/// <summary>
/// One clock (issue 12 §4): every time a person reads is in the network's time zone (<c>Network.TimeZone</c>), in the
/// reader's language, labelled with the zone's abbreviation where it could be read otherwise, and no more precise
/// than it is known. Pages, messages and exports format through here; the console's scripts do the same with
/// <c>Intl.DateTimeFormat(lang, { timeZone })</c> on the zone the page gives them.
/// </summary>
public static class Clock
{
    /// <summary>The culture a language's times are written in.</summary>
    public static CultureInfo Culture(string lang) => lang switch
    {
        "es" => CultureInfo.GetCultureInfo("es-US"),
        "so" => CultureInfo.GetCultureInfo("so-SO"),
        // No Hmong culture ships with .NET; Hmong readers in the US read US-style times.
        _ => CultureInfo.GetCultureInfo("en-US"),
    };

    public static DateTimeOffset Local(DateTimeOffset t, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(t, zone);

    /// <summary>
    /// The zone's abbreviation at that moment ("CST", "CDT"), or its UTC offset ("UTC-06:00") where there is no common
    /// abbreviation. .NET has no abbreviations, so the usual North American ones are named by offset and daylight saving.
    /// </summary>
    public static string Abbreviation(DateTimeOffset t, TimeZoneInfo zone)
    {
        var offset = zone.GetUtcOffset(t);
        bool dst = zone.IsDaylightSavingTime(t);
        var name = (offset.TotalHours, dst) switch
        {
            (-5, false) => "EST", (-4, true) => "EDT",
            (-6, false) => "CST", (-5, true) => "CDT",
            (-7, false) => "MST", (-6, true) => "MDT",
            (-8, false) => "PST", (-7, true) => "PDT",
            (-9, false) => "AKST", (-8, true) => "AKDT",
            (-10, false) => "HST",
            (0, false) when zone.Id is "UTC" or "Etc/UTC" => "UTC",
            _ => null,
        };
        return name ?? "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The time of day as the reader's language writes it, with the zone: "8:55 AM CST" in English, "14:55 CST" in the
    /// others. Fixed patterns, not the culture's: ICU puts a narrow no-break space before "AM", which would turn a
    /// whole SMS into UCS-2 and double its segments.
    /// </summary>
    public static string TimeOfDay(DateTimeOffset t, TimeZoneInfo zone, string lang) =>
        Local(t, zone).ToString(lang == "en" ? "h:mm tt" : "HH:mm", CultureInfo.InvariantCulture) + " " + Abbreviation(t, zone);

    /// <summary>A date and time as precisely as it is known, in the reader's language; times carry the zone.</summary>
    public static string Format(DateTimeOffset t, TimePrecision precision, TimeZoneInfo zone, string lang)
    {
        var local = Local(t, zone);
        var c = Culture(lang);
        var (day, month) = lang switch
        {
            "es" => ("d 'de' MMMM 'de' yyyy", "MMMM 'de' yyyy"),
            "so" => ("d MMMM yyyy", "MMMM yyyy"),
            _ => ("MMMM d, yyyy", "MMMM yyyy"),
        };
        return precision switch
        {
            TimePrecision.Month => local.ToString(month, c),
            TimePrecision.Day => local.ToString(day, c),
            TimePrecision.Minute => local.ToString(day, c) + ", " + TimeOfDay(t, zone, lang),
            _ => local.ToString(day, c) + ", " + local.ToString(lang == "en" ? "h:mm:ss tt" : "HH:mm:ss", CultureInfo.InvariantCulture) + " " + Abbreviation(t, zone),
        };
    }

    /// <summary>
    /// The value as stored for its precision: a day is the local midnight that starts it, a month its first day,
    /// a minute without seconds — so sorting and exports never imply more than is known.
    /// </summary>
    public static DateTimeOffset Truncate(DateTimeOffset t, TimePrecision precision, TimeZoneInfo zone)
    {
        var local = Local(t, zone);
        DateTime start = precision switch
        {
            TimePrecision.Month => new DateTime(local.Year, local.Month, 1),
            TimePrecision.Day => local.Date,
            TimePrecision.Minute => new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0),
            _ => local.DateTime,
        };
        return new DateTimeOffset(start, zone.GetUtcOffset(start)).ToUniversalTime();
    }

    /// <summary>The ISO 8601 form for exports: "2024-03-15" for a day, "2024-03" for a month, else the full offset time in the zone.</summary>
    public static string Iso(DateTimeOffset t, TimePrecision precision, TimeZoneInfo zone)
    {
        var local = Local(t, zone);
        return precision switch
        {
            TimePrecision.Month => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            TimePrecision.Day => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            TimePrecision.Minute => local.ToString("yyyy-MM-dd'T'HH:mmzzz", CultureInfo.InvariantCulture),
            _ => local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
        };
    }
}
