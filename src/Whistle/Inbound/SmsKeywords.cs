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

    /// <summary>
    /// The form a keyword is compared in. Compatibility forms first (NFKD: full-width ＳＴＯＰ, circled, mathematical and
    /// ligature letters become plain ones); format characters dropped (zero-width space and joiners, soft hyphen, BOM,
    /// bidirectional marks: S\u200BTOP is STOP); accents and other marks dropped; Latin look-alikes from other scripts
    /// folded to the Latin letter (<see cref="Confusables"/>: Cyrillic SТОР, Greek ΝΟ, small capitals ꜱᴛᴏᴘ); upper case;
    /// apostrophes dropped, other punctuation and spacing a single space, trimmed.
    /// </summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var decomposed = text.Normalize(NormalizationForm.FormKD);
        var sb = new StringBuilder(decomposed.Length);
        bool space = true;
        foreach (var c in decomposed)
        {
            var cat = CharUnicodeInfo.GetUnicodeCategory(c);
            if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.Format) continue;
            if (c is '\'' or '’' or '‘' or 'ʼ' or '`' or '´') continue;
            if (Confusables.TryGetValue(c, out var latin))
            {
                sb.Append(latin);
                space = false;
            }
            else if (char.IsLetterOrDigit(c))
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

    /// <summary>
    /// Letters of other scripts that read as a Latin capital (after upper-casing), from Unicode TR39's confusables
    /// for the letters A–Z: Cyrillic, Greek and Latin small capitals. Enough for every keyword in the four languages
    /// to be matched however it is spelt with look-alikes; a whole word in Cyrillic or Greek (СТОП) is not folded into
    /// a keyword unless every letter of it reads as Latin.
    /// </summary>
    public static readonly IReadOnlyDictionary<char, char> Confusables = new Dictionary<char, char>
    {
        // Cyrillic capitals and small letters
        ['А'] = 'A', ['а'] = 'A', ['В'] = 'B', ['в'] = 'B', ['С'] = 'C', ['с'] = 'C', ['Ԁ'] = 'D', ['ԁ'] = 'D',
        ['Е'] = 'E', ['е'] = 'E', ['Ғ'] = 'F', ['Ԍ'] = 'G', ['Н'] = 'H', ['н'] = 'H', ['Һ'] = 'H', ['һ'] = 'H',
        ['І'] = 'I', ['і'] = 'I', ['Ӏ'] = 'I', ['ӏ'] = 'I', ['Ј'] = 'J', ['ј'] = 'J', ['К'] = 'K', ['к'] = 'K',
        ['М'] = 'M', ['м'] = 'M', ['О'] = 'O', ['о'] = 'O', ['Р'] = 'P', ['р'] = 'P', ['Ԛ'] = 'Q', ['ԛ'] = 'Q', ['Ѕ'] = 'S', ['ѕ'] = 'S',
        ['Т'] = 'T', ['т'] = 'T', ['Ѵ'] = 'V', ['ѵ'] = 'V', ['Ԝ'] = 'W', ['ԝ'] = 'W', ['Х'] = 'X', ['х'] = 'X',
        ['У'] = 'Y', ['у'] = 'Y', ['Ү'] = 'Y', ['ү'] = 'Y',
        // Greek capitals and small letters
        ['Α'] = 'A', ['α'] = 'A', ['Β'] = 'B', ['Ε'] = 'E', ['Ζ'] = 'Z', ['Η'] = 'H', ['Ι'] = 'I', ['ι'] = 'I',
        ['Κ'] = 'K', ['κ'] = 'K', ['Μ'] = 'M', ['Ν'] = 'N', ['ν'] = 'V', ['Ο'] = 'O', ['ο'] = 'O', ['Ρ'] = 'P', ['ρ'] = 'P',
        ['Τ'] = 'T', ['τ'] = 'T', ['Υ'] = 'Y', ['υ'] = 'U', ['Χ'] = 'X', ['χ'] = 'X', ['Ϲ'] = 'C', ['ϲ'] = 'C', ['Ϳ'] = 'J', ['ϳ'] = 'J',
        // Latin small capitals and other look-alikes that upper-casing leaves alone
        ['ᴀ'] = 'A', ['ʙ'] = 'B', ['ᴄ'] = 'C', ['ᴅ'] = 'D', ['ᴇ'] = 'E', ['ꜰ'] = 'F', ['ɢ'] = 'G', ['ʜ'] = 'H', ['ɪ'] = 'I', ['ı'] = 'I',
        ['ᴊ'] = 'J', ['ᴋ'] = 'K', ['ʟ'] = 'L', ['ᴍ'] = 'M', ['ɴ'] = 'N', ['ᴏ'] = 'O', ['ᴘ'] = 'P', ['ʀ'] = 'R', ['ꜱ'] = 'S', ['ᴛ'] = 'T',
        ['ᴜ'] = 'U', ['ᴠ'] = 'V', ['ᴡ'] = 'W', ['ʏ'] = 'Y', ['ᴢ'] = 'Z', ['ɑ'] = 'A', ['ɡ'] = 'G', ['ɩ'] = 'I', ['ȷ'] = 'J',
    };

    /// <summary>
    /// Keywords a carrier requires to work whatever the number's state and however fast it texts (CTIA): the opt-out
    /// words, the opt-in words (START, UNSTOP and their translations, alone or with a zone) and HELP. They are handled
    /// before the per-number burst limit, so they are never held as report text.
    /// </summary>
    public static bool IsAlwaysHonoured(SmsCommandKind kind) => kind is SmsCommandKind.Stop or SmsCommandKind.Join or SmsCommandKind.Help;

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
