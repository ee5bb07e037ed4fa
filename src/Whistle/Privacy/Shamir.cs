using System.Security.Cryptography;

namespace Whistle.Privacy;

/// <summary>
/// Shamir's secret sharing over GF(2^8) (the AES field, x^8+x^4+x^3+x+1), byte by byte: a random polynomial of
/// degree threshold-1 per byte whose constant term is the secret byte; share i holds its values at x = i.
/// Any threshold shares give the polynomial back (Lagrange at 0); fewer are consistent with every secret.
/// </summary>
public static class Shamir
{
    public sealed record Share(byte X, byte[] Y);

    private static readonly byte[] Exp = new byte[510];
    private static readonly byte[] Log = new byte[256];

    static Shamir()
    {
        int v = 1;
        for (int i = 0; i < 255; i++)
        {
            Exp[i] = Exp[i + 255] = (byte)v;
            Log[v] = (byte)i;
            v ^= Times2(v); // multiply by the generator 3 = x + 1
        }
    }

    private static int Times2(int v) { v <<= 1; return (v & 0x100) != 0 ? v ^ 0x11B : v; }

    public static byte Mul(byte a, byte b) => a == 0 || b == 0 ? (byte)0 : Exp[Log[a] + Log[b]];
    public static byte Div(byte a, byte b) => b == 0 ? throw new DivideByZeroException() : a == 0 ? (byte)0 : Exp[Log[a] + 255 - Log[b]];

    public static Share[] Split(ReadOnlySpan<byte> secret, int shares, int threshold)
    {
        if (threshold < 2 || threshold > shares || shares > 255)
            throw new ArgumentException("Need 2 ≤ threshold ≤ shares ≤ 255.");
        var result = new Share[shares];
        for (int x = 1; x <= shares; x++) result[x - 1] = new Share((byte)x, new byte[secret.Length]);
        var coefficients = new byte[threshold];
        for (int i = 0; i < secret.Length; i++)
        {
            coefficients[0] = secret[i];
            RandomNumberGenerator.Fill(coefficients.AsSpan(1));
            foreach (var share in result)
            {
                byte y = 0; // Horner, from the highest coefficient
                for (int c = threshold - 1; c >= 0; c--) y = (byte)(Mul(y, share.X) ^ coefficients[c]);
                share.Y[i] = y;
            }
        }
        CryptographicOperations.ZeroMemory(coefficients);
        return result;
    }

    /// <summary>The secret from exactly these shares (the caller checks there are enough: fewer give a wrong secret, not an error).</summary>
    public static byte[] Combine(IReadOnlyList<Share> shares)
    {
        if (shares.Count == 0) throw new ArgumentException("No shares.");
        if (shares.Select(s => s.X).Distinct().Count() != shares.Count || shares.Any(s => s.X == 0))
            throw new ArgumentException("Each share must be a different one.");
        int length = shares[0].Y.Length;
        if (shares.Any(s => s.Y.Length != length)) throw new ArgumentException("The shares are of different lengths.");
        var secret = new byte[length];
        for (int j = 0; j < shares.Count; j++)
        {
            // Lagrange basis at 0: Π x_m / (x_m - x_j); subtraction is XOR in GF(2^8).
            byte basis = 1;
            for (int m = 0; m < shares.Count; m++)
                if (m != j) basis = Mul(basis, Div(shares[m].X, (byte)(shares[m].X ^ shares[j].X)));
            for (int i = 0; i < length; i++) secret[i] ^= Mul(shares[j].Y[i], basis);
        }
        return secret;
    }
}
