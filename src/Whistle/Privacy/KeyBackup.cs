using System.Security.Cryptography;
using System.Text;

namespace Whistle.Privacy;

/// <summary>
/// `keys backup` / `keys restore`: the key ring as Shamir shares in plain text files, one per organiser. Each file
/// says which share it is, of how many, how many restore, the set it belongs to, a SHA-256 of the ring (a wrong
/// combination is caught) and a check of its own lines (a mistyped or damaged share is caught).
/// </summary>
public static class KeyBackup
{
    private const string Begin = "-----BEGIN WHISTLE SHARE-----", End = "-----END WHISTLE SHARE-----";

    public sealed record ShareFile(string Set, int Index, int Of, int Threshold, string RingSha256, byte[] Data);

    public static List<(string Name, string Text)> Make(string ringJson, int shares, int threshold, DateOnly date)
    {
        var ring = Encoding.UTF8.GetBytes(ringJson);
        var set = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        var sum = Convert.ToHexString(SHA256.HashData(ring)).ToLowerInvariant();
        var parts = Shamir.Split(ring, shares, threshold);
        CryptographicOperations.ZeroMemory(ring);
        return parts.Select(p => ($"whistle-share-{p.X}-of-{shares}.txt", Text(new ShareFile(set, p.X, shares, threshold, sum, p.Y), date))).ToList();
    }

    private static string Body(ShareFile s) =>
        $"set: {s.Set}\nshare: {s.Index}\nof: {s.Of}\nthreshold: {s.Threshold}\nring-sha256: {s.RingSha256}\ndata: {Convert.ToBase64String(s.Data)}\n";

    private static string Check(string body) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..16].ToLowerInvariant();

    private static string Text(ShareFile s, DateOnly date)
    {
        var body = Body(s);
        return $"""
            WHISTLE KEY RING BACKUP — SHARE {s.Index} OF {s.Of}

            Any {s.Threshold} of the {s.Of} shares rebuild the key ring that unlocks this network's
            personal data. Fewer than {s.Threshold} reveal nothing about it.

            - Keep this file apart from the server and from the other shares (a USB stick at home,
              or printed on paper in a safe place). Do not e-mail it or put it in a shared drive.
            - Tell nobody but the other organisers that you hold it.
            - To restore, the operator collects any {s.Threshold} shares and runs on the server:
                dotnet Whistle.dll keys restore share-a.txt share-b.txt share-c.txt
            - If the network's keys were destroyed on purpose, destroy this share too.

            Made on {date:yyyy-MM-dd}. Share set {s.Set}.

            {Begin}
            {body}check: {Check(body)}
            {End}

            """;
    }

    public static ShareFile Parse(string text, string name)
    {
        int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
        if (b < 0 || e < b) throw new StartupRefusal($"{name} is not a Whistle backup share (no BEGIN/END lines).");
        var lines = text[(b + Begin.Length)..e].Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2, StringSplitOptions.TrimEntries)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);
        try
        {
            var share = new ShareFile(lines["set"], int.Parse(lines["share"]), int.Parse(lines["of"]), int.Parse(lines["threshold"]),
                lines["ring-sha256"], Convert.FromBase64String(lines["data"]));
            if (Check(Body(share)) != lines["check"]) throw new StartupRefusal($"{name} is damaged or was mistyped (its check line does not match).");
            return share;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or FormatException or OverflowException)
        {
            throw new StartupRefusal($"{name} is not a complete Whistle backup share ({ex.GetType().Name}).");
        }
    }

    /// <summary>The ring's JSON from these share files; refuses too few, mixed sets, repeats and a wrong result, each in words.</summary>
    public static string Restore(IReadOnlyList<(string Name, string Text)> files)
    {
        if (files.Count == 0) throw new StartupRefusal("Name the share files: keys restore share-a.txt share-b.txt share-c.txt");
        var shares = files.Select(f => (f.Name, Share: Parse(f.Text, f.Name))).ToList();
        var first = shares[0].Share;
        foreach (var (name, s) in shares.Skip(1))
            if (s.Set != first.Set || s.RingSha256 != first.RingSha256 || s.Threshold != first.Threshold || s.Of != first.Of)
                throw new StartupRefusal($"{name} belongs to another backup (set {s.Set}) than {shares[0].Name} (set {first.Set}). Use shares of one backup.");
        var repeated = shares.GroupBy(s => s.Share.Index).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new StartupRefusal($"Share {repeated.Key} was given twice ({string.Join(", ", repeated.Select(r => r.Name))}).");
        if (shares.Count < first.Threshold)
            throw new StartupRefusal($"{shares.Count} share(s) given; this backup needs {first.Threshold} of its {first.Of}.");
        var ring = Shamir.Combine(shares.Take(first.Threshold).Select(s => new Shamir.Share((byte)s.Share.Index, s.Share.Data)).ToList());
        try
        {
            if (Convert.ToHexString(SHA256.HashData(ring)).ToLowerInvariant() != first.RingSha256)
                throw new StartupRefusal("These shares do not rebuild the ring they were made from (one was altered). Try another combination.");
            return Encoding.UTF8.GetString(ring);
        }
        finally { CryptographicOperations.ZeroMemory(ring); }
    }
}
