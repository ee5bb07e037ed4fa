using System.Security.Cryptography;

namespace Whistle.Submissions;

/// <summary>
/// The short code a submitter keeps ("K7QM-2XRD-94TB"): 12 characters of Crockford base32 (no I, L, O, U), so 60 bits
/// from <see cref="RandomNumberGenerator"/>, grouped in fours. Nothing in it is derived from the submission, the time or
/// the sender. Read back forgivingly: any case, with or without dashes and spaces, and the look-alikes O→0, I/L→1.
/// </summary>
public static class ReceiptCodes
{
    public const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Characters = 12;
    /// <summary>Random bits in a code: 12 × 5.</summary>
    public const int Bits = Characters * 5;

    /// <summary>A new code, grouped: "XXXX-XXXX-XXXX".</summary>
    public static string New()
    {
        Span<char> c = stackalloc char[Characters];
        for (int i = 0; i < Characters; i++) c[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return Group(c);
    }

    /// <summary>The code as stored ("XXXX-XXXX-XXXX") for what a person typed, or null when it cannot be a code.</summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null || typed.Length > 40) return null;
        Span<char> c = stackalloc char[Characters];
        int n = 0;
        foreach (var ch in typed)
        {
            if (ch is '-' or ' ' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2212' or '\t') continue;
            var u = char.ToUpperInvariant(ch) switch { 'O' => '0', 'I' or 'L' => '1', var x => x };
            if (Alphabet.IndexOf(u) < 0 || n == Characters) return null;
            c[n++] = u;
        }
        return n == Characters ? Group(c) : null;
    }

    private static string Group(ReadOnlySpan<char> c) => $"{c[..4]}-{c[4..8]}-{c[8..]}";
}
