namespace Whistle.Site;

public static partial class Ui
{
    /// <summary>
    /// A count in words: the text of <c>key.one</c> or <c>key.other</c>, by the language's plural rule, with {n} filled.
    /// English, Spanish and Somali: one for 1, other for the rest; Hmong has no grammatical plural (always other).
    /// The console's <c>C.plural</c> is the same rule in script.
    /// </summary>
    public static string Plural(string lang, string key, long n) =>
        T(lang, key + "." + PluralForm(lang, n)).Replace("{n}", n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string PluralForm(string lang, long n) => lang switch
    {
        "hmn" => "other",
        _ => n == 1 ? "one" : "other",
    };
}
