using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Platform;

namespace Whistle.Identity;

/// <param name="Code">The second factor when the account has one: the 6 digits of the authenticator app, or a recovery code.</param>
public sealed record LoginRequest(string? Email, string? Password, string? Code = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Email) && Email.Length <= 256, "email", "Your e-mail address.");
        p.Require(!string.IsNullOrEmpty(Password) && Password.Length <= 256, "password", "Your password.");
        p.MaxLength(Code, 64, "code");
    }
}

public sealed record RefreshRequest(string? RefreshToken) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) =>
        p.Require(RefreshToken is { Length: > 0 and <= 200 }, "refreshToken", "The refresh token from the last login or refresh.");
}

public sealed record CodeRequest(string? Code) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) =>
        p.Require(Code is { Length: > 0 and <= 64 }, "code", "The 6-digit code your authenticator app shows.");
}

public sealed record TotpSetup(string Key, string Uri);
public sealed record RecoveryCodes(string[] Codes);

/// <summary>Login (password, then a second factor where set up), refresh, logout, one's own sessions and second factors.</summary>
public static class AuthApi
{
    public const string WrongLogin = "Wrong e-mail address or password (or the account is disabled).";

    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth").WithTags("Auth").WithValidation().RequireRateLimiting(RateLimits.Login);
        group.MapPost("/login", LoginAsync).AllowAnonymous();
        group.MapPost("/refresh", RefreshAsync).AllowAnonymous();
        var staff = group.MapGroup("").RequireAuthorization(Policies.Staff);
        staff.MapGet("/me", Me);
        staff.MapPost("/logout", LogoutAsync);
        staff.MapGet("/sessions", SessionsAsync);
        staff.MapDelete("/sessions/{sessionId:guid}", EndSessionAsync);
        staff.MapPost("/totp/setup", TotpSetupAsync);
        staff.MapPost("/totp/enable", TotpEnableAsync);
        staff.MapPost("/totp/disable", TotpDisableAsync);
        staff.MapPost("/recovery-codes", NewRecoveryCodesAsync);
        staff.MapGet("/second-factor", SecondFactorStateAsync);
        Passkeys.MapPasskeys(group, staff);
        return group;
    }

    private static Ok<object> Me(ClaimsPrincipal user, HttpContext http) => TypedResults.Ok<object>(new
    {
        id = user.FindFirst(ClaimTypes.NameIdentifier)?.Value,
        email = user.Identity!.Name,
        roles = Roles.All.Where(user.IsInRole).ToArray(),
        sessionId = SessionIssuer.CurrentSession(user),
    });

    /// <summary>
    /// Every failure answers the same (401, one message) after the same work: an unknown e-mail is checked against a
    /// dummy hash of the same cost. Failures slow down their source (<see cref="LoginThrottle"/>); none locks the account.
    /// </summary>
    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> LoginAsync(
        LoginRequest req, HttpContext http, UserManager<StaffUser> users, LoginThrottle throttle, SessionIssuer sessions,
        WhistleDb db, IOptions<PasswordHasherOptions> hashing, CancellationToken ct)
    {
        var email = req.Email!.Trim();
        var source = ClientSource.Prefix(http);
        var wait = await throttle.WaitForAsync(email, source, ct);
        if (wait > TimeSpan.Zero) return TooMany(http, wait);

        var user = await users.FindByEmailAsync(email);
        bool ok;
        if (user is null)
        {
            DummyHash.Verify(users.PasswordHasher, hashing.Value.IterationCount, req.Password!);
            ok = false;
        }
        else ok = await users.CheckPasswordAsync(user, req.Password!) && !StaffRules.IsDisabled(user.LockoutEnd);
        if (!ok || user is null)
        {
            await throttle.FailedAsync(email, source); // counted even when the caller hangs up
            return TypedResults.Problem(statusCode: 401, title: "Login failed", detail: WrongLogin);
        }

        bool hasTotp = user.TwoFactorEnabled && !string.IsNullOrEmpty(await users.GetAuthenticatorKeyAsync(user));
        if (hasTotp)
        {
            if (string.IsNullOrWhiteSpace(req.Code))
                return TypedResults.Problem(statusCode: 401, title: "Second factor needed",
                    detail: "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
                    extensions: new Dictionary<string, object?> { ["secondFactor"] = new[] { "totp", "recovery" } });
            if (!await SecondFactorAsync(users, user, req.Code))
            {
                await throttle.FailedAsync(email, source); // counted even when the caller hangs up
                return TypedResults.Problem(statusCode: 401, title: "Second factor wrong",
                    detail: "That code is not right (or was already used). Codes change every 30 seconds.",
                    extensions: new Dictionary<string, object?> { ["secondFactor"] = new[] { "totp", "recovery" } });
            }
        }
        await throttle.SucceededAsync(email, source, ct);
        var mustEnrol = !hasTotp && !await Passkeys.HasAnyAsync(db, user.Id, ct)
            && SecondFactorPolicy.Requires(await SecondFactorPolicy.RolesAsync(db, ct), await users.GetRolesAsync(user));
        return TypedResults.Ok(await sessions.StartAsync(user, mustEnrol, SessionRules.ClientLabel(http.Request.Headers.UserAgent), ct));
    }

    public static ProblemHttpResult TooMany(HttpContext http, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString();
        return TypedResults.Problem(statusCode: 429, title: "Too many failed logins",
            detail: $"Too many failed logins from your network. Try again in {seconds} seconds.");
    }

    /// <summary>6 digits: the authenticator (RFC 6238, ±1 step); anything else: a recovery code, used up by this login.</summary>
    private static async Task<bool> SecondFactorAsync(UserManager<StaffUser> users, StaffUser user, string code)
    {
        var digits = code.Replace(" ", "").Replace("-", "");
        if (digits.Length == 6 && digits.All(char.IsAsciiDigit))
            return await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, digits);
        return (await users.RedeemTwoFactorRecoveryCodeAsync(user, code.Trim().ToUpperInvariant())).Succeeded;
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> RefreshAsync(RefreshRequest req, SessionIssuer sessions, CancellationToken ct) =>
        await sessions.RefreshAsync(req.RefreshToken, ct) is { } tokens
            ? TypedResults.Ok(tokens)
            : TypedResults.Problem(statusCode: 401, title: "Session ended", detail: "This login has ended. Please log in again.");

    private static async Task<NoContent> LogoutAsync(ClaimsPrincipal user, SessionIssuer sessions, CancellationToken ct)
    {
        if (SessionIssuer.CurrentSession(user) is { } id) await sessions.RevokeAsync(s => s.Id == id, "logout", ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<SessionView>>> SessionsAsync(ClaimsPrincipal user, SessionIssuer sessions, CancellationToken ct) =>
        TypedResults.Ok(await sessions.ListAsync(UserId(user), SessionIssuer.CurrentSession(user), ct));

    private static async Task<Results<NoContent, NotFound>> EndSessionAsync(Guid sessionId, ClaimsPrincipal user, SessionIssuer sessions, CancellationToken ct)
    {
        var me = UserId(user);
        return await sessions.RevokeAsync(s => s.Id == sessionId && s.UserId == me, "logout", ct) > 0 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    /// <summary>A new authenticator key, not yet in force: /totp/enable with a code from it turns it on.</summary>
    private static async Task<Results<Ok<TotpSetup>, ProblemHttpResult>> TotpSetupAsync(ClaimsPrincipal principal, UserManager<StaffUser> users,
        IUserStore<StaffUser> store, CancellationToken ct)
    {
        var user = (await users.GetUserAsync(principal))!;
        if (user.TwoFactorEnabled) return Problem.Conflict("An authenticator app is already set up. Turn it off first to set up another.");
        // Through the store: UserManager.ResetAuthenticatorKeyAsync would change the security stamp and end this very session.
        await ((IUserAuthenticatorKeyStore<StaffUser>)store).SetAuthenticatorKeyAsync(user, users.GenerateNewAuthenticatorKey(), ct);
        await users.UpdateAsync(user);
        var key = (await users.GetAuthenticatorKeyAsync(user))!;
        var label = Uri.EscapeDataString("Whistle:" + (user.Email ?? user.Id));
        return TypedResults.Ok(new TotpSetup(key, $"otpauth://totp/{label}?secret={key}&issuer=Whistle&digits=6&period=30"));
    }

    /// <summary>Turns the authenticator on once a code from it is right; answers the recovery codes, shown this once.</summary>
    private static async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> TotpEnableAsync(CodeRequest req, ClaimsPrincipal principal,
        UserManager<StaffUser> users, WhistleDb db, CancellationToken ct)
    {
        var user = (await users.GetUserAsync(principal))!;
        if (user.TwoFactorEnabled) return Problem.Conflict("An authenticator app is already set up.");
        if (string.IsNullOrEmpty(await users.GetAuthenticatorKeyAsync(user))) return Problem.Conflict("Start with /auth/totp/setup.");
        var code = req.Code!.Replace(" ", "").Replace("-", "");
        if (!await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, code))
            return TypedResults.Problem(statusCode: 400, title: "Code not right", detail: "That code is not right. Check the time on your phone and try the next code.");
        user.TwoFactorEnabled = true; // set directly: SetTwoFactorEnabledAsync would end this session too
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))!.ToArray();
        await users.UpdateAsync(user);
        if (SessionIssuer.CurrentSession(principal) is { } sid)
            await db.Set<StaffSession>().Where(s => s.Id == sid).ExecuteUpdateAsync(u => u.SetProperty(s => s.MustEnrol, false), ct);
        return TypedResults.Ok(new RecoveryCodes(codes));
    }

    /// <summary>Needs a current code (a stolen session alone cannot remove the factor); refused where the role requires one and no passkey remains.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> TotpDisableAsync(CodeRequest req, ClaimsPrincipal principal,
        UserManager<StaffUser> users, IUserStore<StaffUser> store, WhistleDb db, CancellationToken ct)
    {
        var user = (await users.GetUserAsync(principal))!;
        if (!user.TwoFactorEnabled) return Problem.Conflict("No authenticator app is set up.");
        if (!await SecondFactorAsync(users, user, req.Code!))
            return TypedResults.Problem(statusCode: 400, title: "Code not right", detail: "That code is not right.");
        if (!await Passkeys.HasAnyAsync(db, user.Id, ct)
            && SecondFactorPolicy.Requires(await SecondFactorPolicy.RolesAsync(db, ct), await users.GetRolesAsync(user)))
            return Problem.Conflict("Your role requires a second factor: add a passkey before turning the authenticator off.");
        user.TwoFactorEnabled = false;
        await ((IUserAuthenticatorKeyStore<StaffUser>)store).SetAuthenticatorKeyAsync(user, null!, ct);
        await users.UpdateAsync(user);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> NewRecoveryCodesAsync(ClaimsPrincipal principal, UserManager<StaffUser> users)
    {
        var user = (await users.GetUserAsync(principal))!;
        if (!user.TwoFactorEnabled) return Problem.Conflict("Recovery codes come with an authenticator app: set one up first.");
        return TypedResults.Ok(new RecoveryCodes((await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))!.ToArray()));
    }

    /// <summary>What protects one's own account: the authenticator, recovery codes left, passkeys; and whether a factor is still owed.</summary>
    private static async Task<Ok<object>> SecondFactorStateAsync(ClaimsPrincipal principal, UserManager<StaffUser> users, WhistleDb db, CancellationToken ct)
    {
        var user = (await users.GetUserAsync(principal))!;
        var keys = await db.Passkeys.AsNoTracking().Where(k => k.UserId == user.Id).OrderBy(k => k.Id)
            .Select(k => new PasskeyView(k.Id, k.Name, k.CreatedAt, k.LastUsedAt)).ToListAsync(ct);
        var sid = SessionIssuer.CurrentSession(principal);
        var mustEnrol = sid is { } id && await db.StaffSessions.AnyAsync(s => s.Id == id && s.MustEnrol, ct);
        return TypedResults.Ok<object>(new
        {
            totp = user.TwoFactorEnabled,
            recoveryCodesLeft = user.TwoFactorEnabled ? await users.CountRecoveryCodesAsync(user) : 0,
            passkeys = keys,
            required = SecondFactorPolicy.Requires(await SecondFactorPolicy.RolesAsync(db, ct), await users.GetRolesAsync(user)),
            mustEnrol,
        });
    }

    public static string UserId(ClaimsPrincipal user) => user.FindFirst(ClaimTypes.NameIdentifier)!.Value;
}

/// <summary>An unknown e-mail costs what a real one costs: the same PBKDF2 verification, against a hash of nothing anyone knows.</summary>
public static class DummyHash
{
    /// <summary>One dummy hash per iteration count, so it always costs what the hasher in use costs (tests run hosts with different counts side by side).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Hashes = new();

    public static void Verify(IPasswordHasher<StaffUser> hasher, int iterations, string password)
    {
        var hash = Hashes.GetOrAdd(iterations, _ => hasher.HashPassword(new StaffUser(), Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))));
        hasher.VerifyHashedPassword(new StaffUser(), hash, password);
    }
}

/// <summary>Which roles must have a second factor. Default: admin and dispatcher, except on a --demo network (no one).</summary>
public static class SecondFactorPolicy
{
    public static readonly string[] Default = [Roles.Admin, Roles.Dispatcher];

    public static string[] Effective(string? configured, bool demo) =>
        configured is null ? (demo ? [] : Default) : configured.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(Roles.All.Contains).ToArray();

    public static bool Requires(string[] required, IEnumerable<string> userRoles) => userRoles.Any(required.Contains);

    public static async Task<string[]> RolesAsync(WhistleDb db, CancellationToken ct)
    {
        var p = await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => new { n.SecondFactorRoles, n.Demo }).FirstOrDefaultAsync(ct);
        return Effective(p?.SecondFactorRoles, p?.Demo ?? false);
    }
}
