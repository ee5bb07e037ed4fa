using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Whistle.Data;
using Whistle.Platform;

namespace Whistle.Identity;

public sealed record LoginRequest(string? Email, string? Password) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Email) && Email.Length <= 256, "email", "Your e-mail address.");
        p.Require(!string.IsNullOrEmpty(Password) && Password.Length <= 256, "password", "Your password.");
    }
}

public static class IdentitySetup
{
    /// <summary>Staff accounts with ASP.NET Core Identity; bearer tokens; OWASP-strength hashing; lockout.</summary>
    public static WebApplicationBuilder AddStaffIdentity(this WebApplicationBuilder builder)
    {
        var dataDir = (builder.Configuration.GetSection("Whistle").Get<WhistleOptions>() ?? new()).DataPath;
        builder.Services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "token-keys")))
            .SetApplicationName("Whistle");
        builder.Services.AddAuthentication(IdentityConstants.BearerScheme)
            .AddBearerToken(IdentityConstants.BearerScheme, o =>
            {
                o.BearerTokenExpiration = TimeSpan.FromHours(12);
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
                o.Password.RequiredLength = 12;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<WhistleDb>()
            .AddSignInManager();
        // OWASP 2023: PBKDF2-HMAC-SHA512 (Identity v3's format) at 210,000 iterations.
        builder.Services.Configure<PasswordHasherOptions>(o => o.IterationCount = 210_000);
        return builder;
    }

    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth").WithTags("Auth").WithValidation().RequireRateLimiting(RateLimits.Login);
        group.MapPost("/login", LoginAsync).AllowAnonymous();
        group.MapGet("/me", (System.Security.Claims.ClaimsPrincipal user) => TypedResults.Ok(new
        {
            id = user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            email = user.Identity!.Name,
            roles = Roles.All.Where(user.IsInRole).ToArray(),
        })).RequireAuthorization(Policies.Staff);
        return group;
    }

    /// <summary>Email and password in; the bearer token handler writes {tokenType, accessToken, expiresIn, refreshToken}.</summary>
    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> LoginAsync(
        LoginRequest req, SignInManager<StaffUser> signIn)
    {
        signIn.AuthenticationScheme = IdentityConstants.BearerScheme;
        var user = await signIn.UserManager.FindByEmailAsync(req.Email!);
        var result = user is null
            ? Microsoft.AspNetCore.Identity.SignInResult.Failed
            : await signIn.PasswordSignInAsync(user, req.Password!, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded) return TypedResults.Empty;
        return TypedResults.Problem(statusCode: 401, title: "Login failed",
            detail: result.IsLockedOut ? "Too many failed attempts: this account is locked for 15 minutes." : "Wrong e-mail address or password.");
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
