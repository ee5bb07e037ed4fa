namespace Whistle.Platform;

/// <summary>
/// Free text from outside, made safe to store and to send on: trimmed, without control characters (PostgreSQL refuses
/// NUL outright — a 500 the fuzz run found — and the rest end up in SMS and pages), newlines and tabs kept where
/// the text may have lines. Nothing left is null.
/// </summary>
public static class PlainText
{
    public static string? Clean(string? s, bool multiline = false)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        var kept = s.Any(char.IsControl)
            ? new string(s.Where(c => !char.IsControl(c) || (multiline && c is '\n' or '\t')).ToArray())
            : s;
        kept = kept.Trim();
        return kept.Length == 0 ? null : kept;
    }
}
