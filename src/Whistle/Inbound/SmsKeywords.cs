using System.Globalization;
using System.Text;

namespace Whistle.Inbound;

public enum SmsCommandKind { Report, Stop, Join, Help, Language, Code, Empty }

/// <summary>
/// What an inbound text asks for. <see cref="Argument"/> is the zone text after JOIN (null for a bare
/// START), the new language for a language keyword, the digits of a code. <see cref="Language"/> is the
/// language the keyword itself is in, when it tells (ALTA is Spanish), for replying to a stranger.
/// </summary>
public sealed record SmsCommand(SmsCommandKind Kind, string? Argument = null, string? Language = null);

/// <summary>
/// The SMS keywords, in English, Spanish, Somali and Hmong. A keyword is the whole message (JOIN and its
/// equivalents: the first word or two, followed by a zone name), compared without case, accents or
/// surrounding punctuation, so "Stop!", "stop" and " STOP." all stop, and "Español" is "ESPANOL".
/// A message that is not a keyword is a report (or the answer to the report's last question).
/// </summary>
public static class SmsKeywords
{
    /// <summary>CTIA's opt-out words always work, in any state; plus Twilio's OPTOUT/REVOKE and our translations.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Stop = new Dictionary<string, string?>
    {
        ["STOP"] = "en", ["STOPALL"] = "en", ["UNSUBSCRIBE"] = "en", ["CANCEL"] = "en", ["END"] = "en", ["QUIT"] = "en",
        ["OPTOUT"] = "en", ["REVOKE"] = "en", ["STOP ALL"] = "en",
        ["PARAR"] = "es", ["BAJA"] = "es", ["CANCELAR"] = "es", ["ALTO"] = "es",
        ["JOOJI"] = "so", ["KA BAX"] = "so",
        ["NRES"] = "hmn", ["TSUM"] = "hmn",
    };

    /// <summary>Subscribe words: followed by a zone they join it; alone (START, UNSTOP) they resume after a STOP.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Join = new Dictionary<string, string?>
    {
        ["JOIN"] = "en", ["START"] = "en", ["SUBSCRIBE"] = "en", ["UNSTOP"] = "en",
        ["ALTA"] = "es", ["UNIRME"] = "es", ["SUSCRIBIR"] = "es", ["SUSCRIBIRME"] = "es",
        ["KU BIIR"] = "so", ["BIIR"] = "so",
        ["KOOM"] = "hmn", ["NKAG"] = "hmn",
    };

    public static readonly IReadOnlyDictionary<string, string?> Help = new Dictionary<string, string?>
    {
        ["HELP"] = "en", ["INFO"] = null, ["AYUDA"] = "es", ["CAAWIMAAD"] = "so", ["CAAWI"] = "so", ["PAB"] = "hmn", ["PAB CUAM"] = "hmn",
    };

    public static readonly IReadOnlyDictionary<string, string> Language = new Dictionary<string, string>
    {
        ["ENGLISH"] = "en", ["INGLES"] = "en",
        ["ESPANOL"] = "es", ["SPANISH"] = "es",
        ["SOOMAALI"] = "so", ["SOMALI"] = "so", ["AF SOOMAALI"] = "so",
        ["HMOOB"] = "hmn", ["HMONG"] = "hmn", ["LUS HMOOB"] = "hmn",
    };

    public static SmsCommand Parse(string? body)
    {
        var n = Normalize(body);
        if (n.Length == 0) return new(SmsCommandKind.Empty);
        if (Stop.TryGetValue(n, out var stopLang)) return new(SmsCommandKind.Stop, null, stopLang);
        if (Help.TryGetValue(n, out var helpLang)) return new(SmsCommandKind.Help, null, helpLang);
        if (Language.TryGetValue(n, out var lang)) return new(SmsCommandKind.Language, lang, lang);
        var digits = n.Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length == 6 && digits.All(char.IsAsciiDigit)) return new(SmsCommandKind.Code, digits);
        // The longest subscribe word that starts the message ("KU BIIR" before "BIIR").
        foreach (var (word, joinLang) in Join.OrderByDescending(j => j.Key.Length))
        {
            if (n == word) return new(SmsCommandKind.Join, null, joinLang);
            if (n.StartsWith(word + " ", StringComparison.Ordinal)) return new(SmsCommandKind.Join, n[(word.Length + 1)..], joinLang);
        }
        return new(SmsCommandKind.Report);
    }

    /// <summary>Upper case, accents stripped (FormD, marks dropped), apostrophes dropped, other punctuation a space, spaces collapsed.</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        bool space = true;
        foreach (var c in decomposed)
        {
            var cat = CharUnicodeInfo.GetUnicodeCategory(c);
            if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
            if (c is '\'' or '’' or '‘') continue;
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToUpperInvariant(c));
                space = false;
            }
            else if (!space)
            {
                sb.Append(' ');
                space = true;
            }
        }
        return sb.ToString().TrimEnd().Normalize(NormalizationForm.FormC);
    }

    /// <summary>A guess at the language of a free text, from common words; null when it does not tell.</summary>
    public static string? GuessLanguage(string? text)
    {
        var words = Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return null;
        var best = Markers.Select(m => (m.Key, Hits: words.Count(m.Value.Contains))).OrderByDescending(x => x.Hits).First();
        int needed = words.Length <= 3 ? 1 : 2;
        return best.Hits >= needed && Markers.Count(m => words.Count(m.Value.Contains) == best.Hits) == 1 ? best.Key : null;
    }

    private static readonly Dictionary<string, HashSet<string>> Markers = new()
    {
        ["en"] = ["THE", "ARE", "IS", "AT", "NEAR", "AGENTS", "THERE", "CARS", "OUTSIDE", "STREET", "AND", "WITH", "TAKING", "RAID"],
        ["es"] = ["HAY", "LA", "MIGRA", "AGENTES", "EN", "CALLE", "ESTAN", "POLICIA", "AQUI", "CERCA", "DEL", "EL", "LAS", "REDADA", "RETEN", "UNA", "CON", "ESQUINA", "CARROS"],
        ["so"] = ["WAXAA", "AYAA", "IYO", "JOOGA", "WADDO", "BOOLIIS", "HALKAN", "GURI", "WAA", "SARKAAL", "BAABUUR", "DHOW"],
        ["hmn"] = ["MUAJ", "TUB", "CEEV", "XWM", "NYOB", "HAUV", "TSHEB", "TUAJ", "NTES", "NEEG", "PEB", "THIAB", "YOG", "ZE"],
    };
}
