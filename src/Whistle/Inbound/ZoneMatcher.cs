namespace Whistle.Inbound;

/// <summary>What a zone name typed in a text matched: one zone, a few equally good ones, or none.</summary>
public sealed record ZoneMatch(IReadOnlyList<(int Id, string Name)> Candidates)
{
    public bool IsUnique => Candidates.Count == 1;
    public bool IsNone => Candidates.Count == 0;
}

/// <summary>
/// Finds a zone by what someone typed: case, accents and punctuation do not matter, words may be
/// missing ("powderhorn" is Powderhorn Park) and each word may have a small typo (one edit in a word
/// of 4–7 letters, two from 8, none below 4; a prefix of 4+ letters counts as one edit). Every typed
/// word must match a word of the zone. The exact name wins; otherwise the zones with the fewest edits
/// and then the fewest words left unmatched; more than one such zone is ambiguous.
/// </summary>
public sealed class ZoneMatcher
{
    public const int MaxCandidates = 3;
    private readonly List<(int Id, string Name, string Normal, string[] Words)> _zones;
    private static readonly HashSet<string> Filler = ["THE", "NEIGHBORHOOD", "NEIGHBOURHOOD", "AREA", "IN", "AT", "EN", "EL", "LA", "BARRIO", "ZONE", "ZONA"];

    public ZoneMatcher(IEnumerable<(int Id, string Name)> zones) =>
        _zones = zones.Select(z => (z.Id, z.Name, SmsKeywords.Normalize(z.Name), Words(z.Name))).ToList();

    private static string[] Words(string text) => SmsKeywords.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public ZoneMatch Match(string? typed)
    {
        var normal = SmsKeywords.Normalize(typed);
        var words = normal.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !Filler.Contains(w)).ToArray();
        if (words.Length == 0) return new([]);
        var exact = _zones.Where(z => z.Normal == normal || z.Normal == string.Join(' ', words)).ToList();
        if (exact.Count > 0) return new([.. exact.Take(MaxCandidates).Select(z => (z.Id, z.Name))]);
        var joined = string.Concat(words);
        var scored = new List<(int Id, string Name, int Edits, int Unmatched)>();
        foreach (var z in _zones)
        {
            // Written together or apart ("stanthony", "north loop" for "NorthLoop"): the whole name, a few edits allowed.
            var whole = string.Concat(z.Words);
            if (joined.Length >= 4 && Levenshtein(joined, whole, Allowed(whole.Length)) is { } d)
            {
                scored.Add((z.Id, z.Name, d, 0));
                continue;
            }
            int edits = 0;
            var used = new HashSet<int>();
            bool all = true;
            foreach (var w in words)
            {
                int best = -1, bestEdits = int.MaxValue;
                for (int i = 0; i < z.Words.Length; i++)
                {
                    if (used.Contains(i)) continue;
                    if (WordEdits(w, z.Words[i]) is { } e && e < bestEdits) { best = i; bestEdits = e; }
                }
                if (best < 0) { all = false; break; }
                used.Add(best);
                edits += bestEdits;
            }
            if (all) scored.Add((z.Id, z.Name, edits, z.Words.Length - used.Count));
        }
        if (scored.Count == 0) return new([]);
        var top = scored.OrderBy(s => s.Edits).ThenBy(s => s.Unmatched).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        var first = top[0];
        var tied = top.Where(s => s.Edits == first.Edits && s.Unmatched == first.Unmatched).ToList();
        return new([.. tied.Take(MaxCandidates).Select(s => (s.Id, s.Name))]);
    }

    /// <summary>
    /// A zone named in a longer free text ("ICE at Lake St in Powderhorn"): every distinctive word of the
    /// zone's name appears in the text as a word (generic words such as PARK, EAST, WEST are not needed).
    /// Only a single zone counts (the longest name when one contains another); null otherwise.
    /// </summary>
    public (int Id, string Name)? FindIn(string? text)
    {
        var words = SmsKeywords.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var hits = _zones.Select(z => (z.Id, z.Name, Need: z.Words.Where(w => !Generic.Contains(w)).ToArray()))
            .Where(z => z.Need.Length > 0 && z.Need.All(words.Contains) && z.Need.Sum(w => w.Length) >= 5)
            .OrderByDescending(z => z.Need.Length).ThenByDescending(z => z.Name.Length).ToList();
        if (hits.Count == 0) return null;
        var best = hits[0];
        bool clear = hits.Skip(1).All(h => h.Need.All(best.Need.Contains)) && hits.Count(h => h.Need.Length == best.Need.Length && h.Name.Length == best.Name.Length) == 1;
        return clear ? (best.Id, best.Name) : null;
    }

    private static readonly HashSet<string> Generic = ["PARK", "EAST", "WEST", "NORTH", "SOUTH", "NEAR", "INDUSTRIAL", "AREA", "ST", "OF", "HILL", "LAKE", "ISLAND", "BANK", "RIVER", "ROAD", "VILLAGE", "SQUARE", "CITY", "MID", "DOWNTOWN", "CENTRAL"];

    private static int Allowed(int length) => length >= 8 ? 2 : length >= 4 ? 1 : 0;

    /// <summary>Edits to turn the typed word into the zone's word, or null past the allowance.</summary>
    public static int? WordEdits(string typed, string word)
    {
        if (typed == word) return 0;
        if (typed.Length >= 4 && word.StartsWith(typed, StringComparison.Ordinal)) return 1;
        return Levenshtein(typed, word, Allowed(Math.Min(typed.Length, word.Length)));
    }

    /// <summary>
    /// Edit distance (Levenshtein, with a swap of two neighbouring letters counting as one edit: the
    /// optimal string alignment distance), or null when it exceeds <paramref name="max"/>.
    /// </summary>
    public static int? Levenshtein(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max) return null;
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int rowMin = int.MaxValue;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = Math.Min(v, d[i - 2, j - 2] + 1);
                d[i, j] = v;
                rowMin = Math.Min(rowMin, v);
            }
            if (rowMin > max) return null;
        }
        return d[a.Length, b.Length] <= max ? d[a.Length, b.Length] : null;
    }
}
