namespace Whistle.Site;

/// <summary>
/// The site's own words in each language, and which language a request wants: <c>?lang=</c> (which
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

    public static string LanguageOf(HttpContext http)
    {
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

    /// <summary>All texts: the public site's (this file) and the console's (Ui.Console.cs), by language.</summary>
    // Built on first use: static fields of partial classes in several files initialise in no set order.
    private static Dictionary<string, Dictionary<string, string>> Texts => _texts ??= Languages.ToDictionary(l => l,
        l => PublicTexts[l].Concat(ConsoleTexts.GetValueOrDefault(l) ?? []).ToDictionary(kv => kv.Key, kv => kv.Value));
    private static Dictionary<string, Dictionary<string, string>>? _texts;

    // The English is the source; the other languages were machine-assisted and need a native speaker's review,
    // like the message templates.
    private static readonly Dictionary<string, Dictionary<string, string>> PublicTexts = new()
    {
        ["en"] = new()
        {
            ["skip"] = "Skip to content",
            ["nav.alerts"] = "Alerts",
            ["nav.report"] = "Report",
            ["nav.subscribe"] = "Get alerts",
            ["nav.rights"] = "Know your rights",
            ["language"] = "Language",
            ["home.title"] = "Verified alerts",
            ["home.intro"] = "Only sightings our volunteers have checked are shown here. Places are approximate.",
            ["home.map"] = "Map of active alerts and neighbourhoods",
            ["home.none"] = "No active alerts right now.",
            ["alert.until"] = "until",
            ["alert.retracted"] = "False alarm — retracted",
            ["alert.drill"] = "Drill",
            ["footer"] = "Observe and document. Never interfere.",
        },
        ["es"] = new()
        {
            ["skip"] = "Ir al contenido",
            ["nav.alerts"] = "Alertas",
            ["nav.report"] = "Reportar",
            ["nav.subscribe"] = "Recibir alertas",
            ["nav.rights"] = "Conozca sus derechos",
            ["language"] = "Idioma",
            ["home.title"] = "Alertas verificadas",
            ["home.intro"] = "Aquí solo aparecen avistamientos que nuestros voluntarios comprobaron. Los lugares son aproximados.",
            ["home.map"] = "Mapa de alertas activas y vecindarios",
            ["home.none"] = "No hay alertas activas ahora.",
            ["alert.until"] = "hasta",
            ["alert.retracted"] = "Falsa alarma — retirada",
            ["alert.drill"] = "Simulacro",
            ["footer"] = "Observar y documentar. Nunca interferir.",
        },
        ["so"] = new()
        {
            ["skip"] = "U gudub nuxurka",
            ["nav.alerts"] = "Digniinaha",
            ["nav.report"] = "Soo sheeg",
            ["nav.subscribe"] = "Hel digniinaha",
            ["nav.rights"] = "Ogow xuquuqdaada",
            ["language"] = "Luqadda",
            ["home.title"] = "Digniino la hubiyay",
            ["home.intro"] = "Halkan waxaa ku jira oo keliya wixii mutadawiciintayadu hubiyeen. Goobaha waa qiyaas.",
            ["home.map"] = "Khariidadda digniinaha firfircoon iyo xaafadaha",
            ["home.none"] = "Hadda ma jiraan digniino firfircoon.",
            ["alert.until"] = "ilaa",
            ["alert.retracted"] = "Digniin been ah — waa la laabtay",
            ["alert.drill"] = "Tijaabo",
            ["footer"] = "Daawo oo diiwaangeli. Ha faragelin.",
        },
        ["hmn"] = new()
        {
            ["skip"] = "Hla mus rau cov ntsiab lus",
            ["nav.alerts"] = "Cov lus ceeb toom",
            ["nav.report"] = "Qhia",
            ["nav.subscribe"] = "Txais cov lus ceeb toom",
            ["nav.rights"] = "Paub koj txoj cai",
            ["language"] = "Lus",
            ["home.title"] = "Cov lus ceeb toom uas tau txheeb xyuas",
            ["home.intro"] = "Tsuas yog cov uas peb cov neeg pab dawb tau txheeb xyuas thiaj tshwm ntawm no. Cov chaw tsuas yog kwv yees xwb.",
            ["home.map"] = "Daim ntawv qhia chaw ntawm cov lus ceeb toom thiab cov zej zog",
            ["home.none"] = "Tam sim no tsis muaj lus ceeb toom.",
            ["alert.until"] = "txog",
            ["alert.retracted"] = "Tsis tseeb — muab rho tawm lawm",
            ["alert.drill"] = "Kev xyaum",
            ["footer"] = "Saib thiab sau tseg. Tsis txhob cuam tshuam.",
        },
    };
}
