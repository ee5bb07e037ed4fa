using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace Whistle.Platform;

/// <summary>
/// The one text sanitizer: what every intake (JSON bodies, the SMS webhook, partner CAP feeds, zone imports)
/// passes outside text through, and what the XML writers pass everything through once more.
/// Docs: docs/decisions/0013-public-words-and-safe-text.md.
/// </summary>
public static class Text
{
    /// <summary>
    /// Outside text made safe to store and show: line breaks normalised to \n; C0 and C1 control characters
    /// (except tab and newline), DEL, lone surrogates and Unicode noncharacters (U+FDD0–U+FDEF, U+xFFFE/U+xFFFF)
    /// dropped; the result NFC-normalised. Null stays null. Idempotent.
    /// </summary>
    public static string? Clean(string? s)
    {
        if (s is null) return null;
        if (IsClean(s)) return s.IsNormalized(NormalizationForm.FormC) ? s : s.Normalize(NormalizationForm.FormC);
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\r')
            {
                sb.Append('\n');
                if (i + 1 < s.Length && s[i + 1] == '\n') i++;
                continue;
            }
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    int cp = char.ConvertToUtf32(c, s[i + 1]);
                    if (!IsNoncharacter(cp)) sb.Append(c).Append(s[i + 1]);
                    i++;
                }
                continue; // a lone high surrogate
            }
            if (char.IsLowSurrogate(c) || !Allowed(c)) continue;
            sb.Append(c);
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    /// <summary><see cref="Clean(string?)"/> for text that must stay on one line: tabs and newlines become spaces.</summary>
    public static string? CleanLine(string? s) =>
        Clean(s) is { } t && t.AsSpan().IndexOfAny('\n', '\t') >= 0 ? t.Replace('\n', ' ').Replace('\t', ' ') : Clean(s);

    /// <summary>Whether every character is one <see cref="Clean(string?)"/> keeps as it is (normalisation aside).</summary>
    public static bool IsClean(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]) || IsNoncharacter(char.ConvertToUtf32(c, s[i + 1]))) return false;
                i++;
                continue;
            }
            if (c == '\r' || char.IsLowSurrogate(c) || !Allowed(c)) return false;
        }
        return true;
    }

    /// <summary>
    /// The last line before XML: every text node and attribute value of the element (and its descendants)
    /// cleaned, so no stored value — including rows written before intake was cleaned — can make a writer throw.
    /// </summary>
    public static T XmlSafe<T>(T element) where T : XContainer
    {
        foreach (var node in element.DescendantNodes().Prepend(element).ToList())
        {
            if (node is XText text && !IsClean(text.Value)) text.Value = Clean(text.Value)!;
            if (node is XElement e)
                foreach (var a in e.Attributes())
                    if (!IsClean(a.Value)) a.Value = Clean(a.Value)!;
        }
        return element;
    }

    // Tab and newline stay; every other C0 control, DEL, the C1 block and BMP noncharacters go.
    private static bool Allowed(char c) =>
        c switch
        {
            '\t' or '\n' => true,
            < ' ' => false,
            >= '\u007F' and <= '\u009F' => false,
            >= '\uFDD0' and <= '\uFDEF' => false,
            '\uFFFE' or '\uFFFF' => false,
            _ => true,
        };

    private static bool IsNoncharacter(int cp) => (cp & 0xFFFE) == 0xFFFE || cp is >= 0xFDD0 and <= 0xFDEF;
}

/// <summary>
/// Every string in every JSON request body through <see cref="Text.Clean(string?)"/>: registered once in the
/// API's JSON options, so no endpoint can forget. Writing is unchanged.
/// </summary>
public sealed class CleanStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"Expected a string, got {reader.TokenType}.");
        try
        {
            return Text.Clean(reader.GetString());
        }
        catch (InvalidOperationException e)
        {
            // An escaped lone surrogate ("\ud800") cannot become a .NET string: a 400, never a 500.
            throw new JsonException("A string holds invalid UTF-16 (a lone surrogate).", e);
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
