using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Whistle.Data;
using Whistle.Platform;

namespace Whistle.Identity;

public static class IdentitySetup
{
    /// <summary>Staff accounts with ASP.NET Core Identity; bearer tokens; OWASP-strength hashing; lockout.</summary>
    public static WebApplicationBuilder AddStaffIdentity(this WebApplicationBuilder builder)
    {
        var dataDir = (builder.Configuration.GetSection("Whistle").Get<WhistleOptions>() ?? new()).DataPath;
        builder.Services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "token-keys")))
            .SetApplicationName("Whistle");
        builder.Services.ProtectTokenKeysWithKeyRing();
        builder.Services.AddAuthentication(IdentityConstants.BearerScheme)
            .AddBearerToken(IdentityConstants.BearerScheme, o =>
            {
                // Whistle issues the tokens itself (SessionIssuer) in this handler's format; these are its limits.
                o.BearerTokenExpiration = SessionRules.AccessTokenLifetime;
                o.RefreshTokenExpiration = SessionRules.SessionLifetime;
                // Browsers cannot set headers on a WebSocket: SignalR sends the token as access_token, for hubs only.
                o.Events.OnMessageReceived = ctx =>
                {
                    if (ctx.Request.Path.StartsWithSegments("/hubs") && ctx.Request.Query["access_token"] is [{ Length: > 0 } token])
                        ctx.Token = token;
                    return Task.CompletedTask;
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.All))
            .AddPolicy(Policies.Verify, p => p.RequireRole(Roles.Admin, Roles.Dispatcher, Roles.Verifier))
            .AddPolicy(Policies.Dispatch, p => p.RequireRole(Roles.Admin, Roles.Dispatcher))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.Document, p => p.RequireRole(Roles.Admin, Roles.Documenter));
        builder.Services.AddIdentityCore<StaffUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                // NIST SP 800-63B: length and a list of common passwords (CommonPasswordValidator), no composition rules.
                o.Password.RequiredLength = CommonPasswords.MinLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                // Lockout stays enabled only because disabling an account is a lockout until year 9999. Failed logins
                // never lock (a stranger could lock every dispatcher out): LoginThrottle slows their source instead.
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<WhistleDb>()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddDefaultTokenProviders();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddScoped<SessionIssuer>();
        // OWASP 2023: PBKDF2-HMAC-SHA512 (Identity v3's format) at 210,000 iterations.
        builder.Services.Configure<PasswordHasherOptions>(o => o.IterationCount = 210_000);
        return builder;
    }

    /// <summary>A password that meets every Identity rule, shown once to whoever creates the account.</summary>
    public static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnopqrstuvwxyz", upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", digits = "23456789", symbols = "-_.!@#%";
        const string all = lower + upper + digits + symbols;
        var chars = new List<char>
        {
            lower[RandomNumberGenerator.GetInt32(lower.Length)], upper[RandomNumberGenerator.GetInt32(upper.Length)],
            digits[RandomNumberGenerator.GetInt32(digits.Length)], symbols[RandomNumberGenerator.GetInt32(symbols.Length)],
        };
        while (chars.Count < 20) chars.Add(all[RandomNumberGenerator.GetInt32(all.Length)]);
        return new string(chars.OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).ToArray());
    }

    /// <summary>Creates a staff account with a role; returns the errors Identity gave, if any.</summary>
    public static async Task<IdentityResult> CreateStaffAsync(IServiceProvider services, string email, string role, string password)
    {
        var users = services.GetRequiredService<UserManager<StaffUser>>();
        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var r in Roles.All)
            if (!await roles.RoleExistsAsync(r)) await roles.CreateAsync(new IdentityRole(r));
        var user = new StaffUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        return created.Succeeded ? await users.AddToRoleAsync(user, role) : created;
    }
}
