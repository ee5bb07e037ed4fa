using System.Text;

namespace Whistle.Site;

/// <summary>
/// Reads a gettext PO file as Whistle writes them (Resources/i18n/&lt;lang&gt;.po): msgctxt is the key, msgid the
/// English source, msgstr the translation. An empty msgstr is left out (the reader then sees English); a "fuzzy"
/// entry (machine-assisted, not yet reviewed) is used, as a rough translation serves a reader better than English.
/// Plural forms are not used by Whistle's words and are read as their first form.
/// </summary>
public static class PoFile
{
    public static Dictionary<string, string> ReadEmbedded(string lang)
    {
        var assembly = typeof(PoFile).Assembly;
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith($".i18n.{lang}.po", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No translation file Resources/i18n/{lang}.po is embedded.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Read(reader);
    }

    public static Dictionary<string, string> Read(TextReader reader)
    {
        var words = new Dictionary<string, string>(StringComparer.Ordinal);
        string? ctxt = null, id = null, str = null, field = null;

        void Flush()
        {
            if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(str)) words[ctxt ?? id] = str;
            ctxt = id = str = field = null;
        }

        while (reader.ReadLine() is { } raw)
        {
            var line = raw.Trim();
            if (line.Length == 0) { Flush(); continue; }
            if (line.StartsWith('#')) continue;
            if (line.StartsWith('"'))
            {
                var more = Unquote(line);
                switch (field)
                {
                    case "msgctxt": ctxt += more; break;
                    case "msgid": id += more; break;
                    case "msgstr": str += more; break;
                }
                continue;
            }
            var space = line.IndexOf(' ');
            if (space < 0) continue;
            var keyword = line[..space];
            var value = Unquote(line[(space + 1)..].Trim());
            switch (keyword)
            {
                case "msgctxt":
                    if (id is not null) Flush();
                    ctxt = value; field = keyword; break;
                case "msgid":
                    if (id is not null) Flush();
                    id = value; field = keyword; break;
                case "msgstr" or "msgstr[0]":
                    str = value; field = "msgstr"; break;
                default:
                    field = null; break; // msgid_plural, msgstr[n>0]: not used
            }
        }
        Flush();
        return words;
    }

    private static string Unquote(string quoted)
    {
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"') return "";
        var s = quoted.AsSpan(1, quoted.Length - 2);
        var b = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { b.Append(s[i]); continue; }
            var e = s[++i];
            b.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '"' => '"', '\\' => '\\', _ => e });
        }
        return b.ToString();
    }
}
