namespace Whistle.Site;

/// <summary>
/// The site's own words in each language (Resources/i18n/*.po, see docs/translating.md), and which language a request wants: <c>?lang=</c> (which
/// is then remembered in a cookie), else the cookie, else the browser's Accept-Language, else English.
/// </summary>
public static partial class Ui
{
    public static readonly string[] Languages = ["en", "es", "so", "hmn"];
    public static readonly Dictionary<string, string> LanguageNames = new()
    {
        ["en"] = "English", ["es"] = "Español", ["so"] = "Soomaali", ["hmn"] = "Hmoob",
    };
    public const string Cookie = "whistle-lang";

    /// <summary>An endpoint that read the language from the request's body puts it here; it wins over the query, cookie and header.</summary>
    public const string LanguageItem = "whistle.lang";

    public static string LanguageOf(HttpContext http)
    {
        if (http.Items[LanguageItem] is string chosen && Languages.Contains(chosen)) return chosen;
        if (http.Request.Query["lang"].ToString() is { Length: > 0 } asked && Languages.Contains(asked))
        {
            http.Response.Cookies.Append(Cookie, asked, new CookieOptions
            {
                MaxAge = TimeSpan.FromDays(365), SameSite = SameSiteMode.Lax, HttpOnly = false, IsEssential = true,
            });
            return asked;
        }
        if (http.Request.Cookies[Cookie] is { } saved && Languages.Contains(saved)) return saved;
        foreach (var accepted in http.Request.GetTypedHeaders().AcceptLanguage.OrderByDescending(a => a.Quality ?? 1))
        {
            var tag = accepted.Value.ToString().ToLowerInvariant();
            var primary = tag.Split('-')[0];
            if (Languages.Contains(primary)) return primary;
        }
        return "en";
    }

    public static string T(string lang, string key) =>
        (Texts.GetValueOrDefault(lang) ?? Texts["en"]).GetValueOrDefault(key) ?? Texts["en"].GetValueOrDefault(key) ?? key;

    /// <summary>The words of a key in exactly this language, or null when they are not translated (no English fallback).</summary>
    public static string? Translated(string lang, string key) => Texts.GetValueOrDefault(lang)?.GetValueOrDefault(key);

    /// <summary>Whether a key has words (in English, the source), so callers can fall back instead of showing a raw key.</summary>
    public static bool Has(string key) => Texts["en"].ContainsKey(key);

    /// <summary>The words for a key if there are any, else the fallback (for keys built from stored values).</summary>
    public static string TOr(string lang, string key, string fallback) => Has(key) ? T(lang, key) : fallback;

    /// <summary>
    /// The console's words in a language (English where not translated), for the console's scripts: its own ("c.")
    /// and the terms it shares with the public pages, which have one key each (an activity, an incident's category,
    /// agency and status read the same on the report form, the registry and the console).
    /// </summary>
    public static Dictionary<string, string> ConsoleTextsFor(string lang) =>
        Texts["en"].Keys.Where(k => ConsolePrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToDictionary(k => k, k => T(lang, k));

    private static readonly string[] ConsolePrefixes = ["c.", "activity.", "agency.", "incident.", "report.agents", "report.vehicles"];

    /// <summary>Every key and its English words (for tests and tools).</summary>
    internal static IReadOnlyDictionary<string, string> English => Texts["en"];

    /// <summary>
    /// All texts by language: the gettext files in Resources/i18n (one per language, read once at start), and
    /// any word dictionary still in C# (<see cref="Sources"/>, for branches not yet converted with
    /// tools/i18n/ui-cs-to-po.py). An untranslated entry (empty msgstr) falls back to English.
    /// </summary>
    private static Dictionary<string, Dictionary<string, string>> Texts => _texts ??= Languages.ToDictionary(l => l, l =>
    {
        var words = PoFile.ReadEmbedded(l);
        foreach (var (key, text) in Sources.SelectMany(s => s.GetValueOrDefault(l) ?? [])) words[key] = text;
        return words;
    });

    /// <summary>Word dictionaries still in C# (Ui.*.cs), merged over the translation files; the conversion script empties this.</summary>
    private static Dictionary<string, Dictionary<string, string>>[] Sources => [LimitsTexts];
    private static Dictionary<string, Dictionary<string, string>>? _texts;
}
