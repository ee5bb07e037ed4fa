using System.Text.RegularExpressions;

namespace Whistle.Alerts;

/// <summary>What looked like it identifies an officer: the kind (badge_number, officer_name, licence_plate) and the words.</summary>
public sealed record OfficerFinding(string Kind, string Match);

/// <summary>
/// A heuristic for a dispatcher's public words (an alert's place, an update's): does the text look like it
/// names or identifies an officer? Public alerts warn neighbours about an area; naming an officer, their badge
/// or their car's plate exposes the network (doxxing claims, retaliation) and adds nothing a neighbour needs.
/// It flags, it does not decide: the dispatcher may override with a recorded reason.
///
/// Three patterns, each in en, es, so and hmn (the non-English words are machine-assisted; a native speaker
/// should review them — docs/decisions/0013-public-words-and-safe-text.md):
/// <list type="bullet">
/// <item>badge_number — a badge word (badge, shield, placa, chapa, taargo, lambar, daim npav…) followed by a number.</item>
/// <item>officer_name — a title (officer, agent, deputy, sgt., agente, oficial, sarkaal, askari, tub ceev xwm, tub rog…)
///   followed by a capitalised word that is not an agency acronym (ICE, CBP…), or "named/llamado/magaciisu/npe hu ua" + a capitalised word.</item>
/// <item>licence_plate — a plate word (plate, licence, tag, placa, matrícula, taarikada, phiaj tsheb…) followed by letters and
///   digits, or a bare plate-shaped token (ABC 123, ABC-1234, 123-ABC) that is not a road (HWY 55, I-35W).</item>
/// </list>
/// Deliberately not caught: a name with no title before it, a description ("the tall one"), a plate spelt out in words.
/// </summary>
public static partial class OfficerText
{
    public const string BadgeNumber = "badge_number", OfficerName = "officer_name", LicencePlate = "licence_plate";

    // Titles, any case. Singular only: "agents near the school" is the normal alert and must pass.
    private const string Titles =
        // en
        @"officer|ofc|agent|special\s+agent|deputy|sheriff|sergeant|sgt|lieutenant|lt|captain|capt|detective|det|trooper|marshal|inspector|supervisor"
        // es
        + @"|agente|oficial|polic[ií]a|sargento|teniente|capit[aá]n|alguacil|detective|inspector|supervisor"
        // so
        + @"|sarkaal|sarkaalka|askari|askariga|booliis|booliska|taliye|taliyaha|wakiil|wakiilka"
        // hmn
        + @"|tub\s+ceev\s+xwm|tub\s+rog|tub\s+polis|tus\s+neeg\s+saib\s+xyuas|tus\s+thawj";

    private const string BadgeWords =
        @"badge|shield|badge\s+number|badge\s+no|placa\s+n[uú]mero|n[uú]mero\s+de\s+placa|placa|chapa|insignia"
        + @"|taargo|taargada|lambar|lambarka|calaamad"
        + @"|daim\s+npav|npav|naj\s+npawb";

    private const string PlateWords =
        @"licen[cs]e\s+plates?|plates?|plate\s+number|tags?|reg(?:istration)?"
        + @"|placas?|matr[ií]cula|patente|n[uú]mero\s+de\s+placa"
        + @"|taarikada|taarikad|lambarka\s+baabuurka|lambarka\s+gaariga|bileeti"
        + @"|phiaj\s+tsheb|daim\s+phiaj|naj\s+npawb\s+tsheb";

    private const string NameIntro = @"named|called|name\s+is|llamad[oa]|de\s+nombre|se\s+llama|magaciisu|magaciisa|magaceedu|la\s+yiraahdo|npe\s+hu\s+ua|hu\s+ua|lub\s+npe";

    // A number after a badge word, optionally "#", "no.", "number", ":".
    [GeneratedRegex(@"(?i:\b(?:" + BadgeWords + @")\b)\s*(?:#|no\.?|num(?:ber)?\.?|n[uú]m(?:ero)?\.?|:)?\s*#?\s*[A-Z]{0,3}-?\d{2,}",
        RegexOptions.CultureInvariant)]
    private static partial Regex Badge();

    // A title, then a capitalised word (a name): the title in any case, the name capitalised, and not an all-caps acronym.
    [GeneratedRegex(@"(?i:\b(?:" + Titles + @")\b)\.?\s+(?:(?i:named|called|llamado|hu\s+ua)\s+)?(?-i:\p{Lu}[\p{Ll}'’\-]+|\p{Lu}\.\s*\p{Lu}[\p{Ll}'’\-]+)",
        RegexOptions.CultureInvariant)]
    private static partial Regex TitledName();

    [GeneratedRegex(@"(?i:\b(?:" + NameIntro + @"))\s+(?-i:\p{Lu}[\p{Ll}'’\-]+)", RegexOptions.CultureInvariant)]
    private static partial Regex IntroducedName();

    [GeneratedRegex(@"(?i:\b(?:" + PlateWords + @")\b)\s*(?:#|no\.?|number|n[uú]m(?:ero)?\.?|:)?\s*(?=[A-Z0-9\- ]*\d)(?=[A-Z0-9\- ]*[A-Z])[A-Z0-9]{1,4}[\- ]?[A-Z0-9]{1,5}\b",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PlateWord();

    // Plate shapes on their own: ABC 123, ABC-1234, ABC1234, 123-ABC, 123 ABC.
    [GeneratedRegex(@"\b(?:(?<l>[A-Z]{3})[\- ]?\d{3,4}|\d{3}[\- ]?(?<l>[A-Z]{3}))\b", RegexOptions.CultureInvariant)]
    private static partial Regex PlateShape();

    // Letters that start road names and units, not plates.
    private static readonly HashSet<string> NotPlates = new(StringComparer.Ordinal)
    { "HWY", "RTE", "CTY", "APT", "STE", "AVE", "EXT", "SUM", "USA", "CSV", "ICE", "CBP", "HSI", "ERO", "DHS", "FBI", "DEA", "ATF", "USM", "CAP", "SMS", "BLK", "NNE", "NNW", "SSE", "SSW", "ENE", "ESE", "WNW", "WSW" };

    /// <summary>
    /// Findings in <paramref name="text"/>; empty when nothing looked identifying. The words of every language are tried
    /// whatever <paramref name="lang"/> is (a dispatcher's place is sent in all four, and people mix languages); the
    /// language only orders nothing and is kept for the callers' records.
    /// </summary>
    public static IReadOnlyList<OfficerFinding> Check(string? text, string? lang = null)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var found = new List<OfficerFinding>();
        void Add(string kind, Match m)
        {
            var words = m.Value.Trim();
            if (!found.Any(f => f.Kind == kind && f.Match == words)) found.Add(new OfficerFinding(kind, words));
        }
        foreach (Match m in Badge().Matches(text)) Add(BadgeNumber, m);
        foreach (Match m in TitledName().Matches(text)) Add(OfficerName, m);
        foreach (Match m in IntroducedName().Matches(text)) Add(OfficerName, m);
        foreach (Match m in PlateWord().Matches(text))
            if (!Badge().IsMatch(m.Value)) Add(LicencePlate, m);
        foreach (Match m in PlateShape().Matches(text))
            if (!NotPlates.Contains(m.Groups["l"].Value) && !found.Any(f => f.Match.Contains(m.Value, StringComparison.Ordinal)))
                Add(LicencePlate, m);
        return found;
    }

    /// <summary>One line for a problem's detail or a record: kind: "words"; …</summary>
    public static string Describe(IEnumerable<OfficerFinding> findings) =>
        string.Join("; ", findings.Select(f => $"{f.Kind.Replace('_', ' ')}: \"{f.Match}\""));
}
