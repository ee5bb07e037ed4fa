using System.Security.Claims;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Platform;

namespace Whistle.Identity;

/// <summary>A passkey (WebAuthn credential) of a staff member: only its public key is kept.</summary>
public class StaffPasskey
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public byte[] CredentialId { get; set; } = [];
    public byte[] PublicKey { get; set; } = [];
    public byte[] UserHandle { get; set; } = [];
    public long SignCount { get; set; }
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <param name="State">What the options call returned, handed back unchanged (the challenge, signed and time-limited by the server).</param>
/// <param name="Response">The browser's PublicKeyCredential as JSON (base64url binary fields).</param>
public sealed record PasskeyFinish(string? State, JsonElement Response, string? Name) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(State is { Length: > 0 and <= 8000 }, "state", "The state the options call returned.");
        p.Require(Response.ValueKind == JsonValueKind.Object && Response.GetRawText().Length <= 64_000, "response", "The browser's credential.");
        p.MaxLength(Name, 64, "name");
    }
}

public sealed record PasskeyView(long Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// Passkeys (WebAuthn, the Fido2 library): a staff member registers one from their account page; it then logs in on its
/// own — a discoverable credential with user verification (the phone's PIN or fingerprint) is two factors in one.
/// The challenge travels as a signed, 5-minute blob (no server-side state, so any instance can finish the ceremony).
/// </summary>
public static class Passkeys
{
    private static string Clean(string? v) => new string((v ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim() is var t && t.Length > 64 ? t[..64] : t;

    public static Task<bool> HasAnyAsync(WhistleDb db, string userId, CancellationToken ct) =>
        db.Passkeys.AnyAsync(k => k.UserId == userId, ct);

    public static void MapPasskeys(RouteGroupBuilder auth, RouteGroupBuilder staff)
    {
        auth.MapPost("/passkey/options", LoginOptions).AllowAnonymous();
        auth.MapPost("/passkey/login", LoginAsync).AllowAnonymous();
        staff.MapPost("/passkeys/options", RegisterOptionsAsync);
        staff.MapPost("/passkeys", RegisterAsync);
        staff.MapDelete("/passkeys/{id:long}", RemoveAsync);
    }

    /// <summary>The relying party: PasskeyDomain/PasskeyOrigins, else PublicBaseUrl's host (localhost for a loopback IP, which WebAuthn cannot use).</summary>
    public static Fido2Configuration Config(WhistleOptions o)
    {
        var origins = new HashSet<string>(o.Accounts.PasskeyOrigins.Select(x => x.TrimEnd('/')), StringComparer.Ordinal);
        var domain = o.Accounts.PasskeyDomain;
        if (Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u))
        {
            if (origins.Count == 0) origins.Add(u.GetLeftPart(UriPartial.Authority));
            if (domain is null && System.Net.IPAddress.TryParse(u.Host, out var ip) && System.Net.IPAddress.IsLoopback(ip))
            {
                domain = "localhost";
                if (o.Accounts.PasskeyOrigins.Length == 0) origins.Add($"{u.Scheme}://localhost:{u.Port}");
            }
            domain ??= u.Host;
        }
        domain ??= "localhost";
        if (origins.Count == 0) origins.Add("http://localhost:5080");
        return new Fido2Configuration { RPID = domain, RPName = "Whistle", Origins = origins, TimestampDriftTolerance = 300_000 };
    }

    private static Fido2 Fido(IOptions<WhistleOptions> o) => new(Config(o.Value));

    private static ITimeLimitedDataProtector Protector(IDataProtectionProvider dp, string purpose) =>
        dp.CreateProtector("Whistle.Passkeys", purpose).ToTimeLimitedDataProtector();

    private static Ok<object> WithState(string optionsJson, string state) =>
        TypedResults.Ok<object>(new { options = JsonDocument.Parse(optionsJson).RootElement, state });

    private static async Task<Ok<object>> RegisterOptionsAsync(ClaimsPrincipal principal, UserManager<StaffUser> users, WhistleDb db,
        IOptions<WhistleOptions> o, IDataProtectionProvider dp, CancellationToken ct)
    {
        var user = (await users.GetUserAsync(principal))!;
        var existing = await db.Passkeys.AsNoTracking().Where(k => k.UserId == user.Id).Select(k => k.CredentialId).ToListAsync(ct);
        var options = Fido(o).RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = System.Text.Encoding.UTF8.GetBytes(user.Id), Name = user.Email ?? user.Id, DisplayName = user.Email ?? user.Id },
            ExcludeCredentials = existing.Select(id => new PublicKeyCredentialDescriptor(id)).ToList(),
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        var json = options.ToJson();
        return WithState(json, Protector(dp, "register:" + user.Id).Protect(json, TimeSpan.FromMinutes(5)));
    }

    private static async Task<Results<Created<PasskeyView>, ProblemHttpResult>> RegisterAsync(PasskeyFinish req, ClaimsPrincipal principal,
        UserManager<StaffUser> users, WhistleDb db, IOptions<WhistleOptions> o, IDataProtectionProvider dp, TimeProvider time, CancellationToken ct)
    {
        var user = (await users.GetUserAsync(principal))!;
        CredentialCreateOptions options;
        AuthenticatorAttestationRawResponse response;
        try
        {
            options = CredentialCreateOptions.FromJson(Protector(dp, "register:" + user.Id).Unprotect(req.State!));
            response = JsonSerializer.Deserialize<AuthenticatorAttestationRawResponse>(req.Response.GetRawText())!;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or ArgumentException or FormatException)
        {
            return TypedResults.Problem(statusCode: 400, title: "Passkey not added", detail: "The request expired or was altered. Try again.");
        }
        RegisteredPublicKeyCredential credential;
        try
        {
            credential = await Fido(o).MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = options,
                IsCredentialIdUniqueToUserCallback = async (args, c) => !await db.Passkeys.AnyAsync(k => k.CredentialId == args.CredentialId, c),
            }, ct);
        }
        catch (Fido2VerificationException)
        {
            return TypedResults.Problem(statusCode: 400, title: "Passkey not added", detail: "The browser's answer did not verify. Try again.");
        }
        var now = time.GetUtcNow();
        var key = new StaffPasskey
        {
            UserId = user.Id, CredentialId = credential.Id, PublicKey = credential.PublicKey, UserHandle = options.User.Id,
            SignCount = credential.SignCount, Name = Clean(req.Name) is { Length: > 0 } n ? n : "Passkey", CreatedAt = now,
        };
        db.Passkeys.Add(key);
        await db.SaveChangesAsync(ct);
        // A passkey counts as the second factor: a session that had to set one up may now do everything.
        if (SessionIssuer.CurrentSession(principal) is { } sid)
            await db.StaffSessions.Where(s => s.Id == sid).ExecuteUpdateAsync(u => u.SetProperty(s => s.MustEnrol, false), ct);
        return TypedResults.Created($"/api/v1/auth/passkeys/{key.Id}", new PasskeyView(key.Id, key.Name, key.CreatedAt, null));
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveAsync(long id, ClaimsPrincipal principal, UserManager<StaffUser> users,
        WhistleDb db, CancellationToken ct)
    {
        var me = AuthApi.UserId(principal);
        var key = await db.Passkeys.FirstOrDefaultAsync(k => k.Id == id && k.UserId == me, ct);
        if (key is null) return TypedResults.NotFound();
        var user = (await users.GetUserAsync(principal))!;
        if (!user.TwoFactorEnabled && await db.Passkeys.CountAsync(k => k.UserId == me, ct) == 1
            && SecondFactorPolicy.Requires(await SecondFactorPolicy.RolesAsync(db, ct), await users.GetRolesAsync(user)))
            return Problem.Conflict("Your role requires a second factor: set up an authenticator app or another passkey first.");
        db.Passkeys.Remove(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>Options for any passkey of this site (no e-mail asked: the answer reveals no account).</summary>
    private static Ok<object> LoginOptions(IOptions<WhistleOptions> o, IDataProtectionProvider dp)
    {
        var options = Fido(o).GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [],
            UserVerification = UserVerificationRequirement.Required,
        });
        var json = options.ToJson();
        return WithState(json, Protector(dp, "login").Protect(json, TimeSpan.FromMinutes(5)));
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> LoginAsync(PasskeyFinish req, HttpContext http, WhistleDb db,
        UserManager<StaffUser> users, SessionIssuer sessions, LoginThrottle throttle, IOptions<WhistleOptions> o, IDataProtectionProvider dp,
        TimeProvider time, CancellationToken ct)
    {
        const string throttleKey = "passkey";
        var source = ClientSource.Prefix(http);
        var wait = await throttle.WaitForAsync(throttleKey, source, ct);
        if (wait > TimeSpan.Zero) return AuthApi.TooMany(http, wait);
        var failed = TypedResults.Problem(statusCode: 401, title: "Login failed", detail: "This passkey was not accepted.");

        AssertionOptions options;
        AuthenticatorAssertionRawResponse response;
        try
        {
            options = AssertionOptions.FromJson(Protector(dp, "login").Unprotect(req.State!));
            response = JsonSerializer.Deserialize<AuthenticatorAssertionRawResponse>(req.Response.GetRawText())!;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or ArgumentException or FormatException)
        {
            await throttle.FailedAsync(throttleKey, source); // counted even when the caller hangs up
            return failed;
        }
        var key = response.RawId is { Length: > 0 } raw ? await db.Passkeys.FirstOrDefaultAsync(k => k.CredentialId == raw, ct) : null;
        var user = key is null ? null : await users.FindByIdAsync(key.UserId);
        if (key is null || user is null || StaffRules.IsDisabled(user.LockoutEnd))
        {
            await throttle.FailedAsync(throttleKey, source); // counted even when the caller hangs up
            return failed;
        }
        try
        {
            var result = await Fido(o).MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = options,
                StoredPublicKey = key.PublicKey,
                StoredSignatureCounter = (uint)key.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (args, c) => Task.FromResult(args.UserHandle.AsSpan().SequenceEqual(key.UserHandle)),
            }, ct);
            key.SignCount = result.SignCount;
        }
        catch (Fido2VerificationException)
        {
            await throttle.FailedAsync(throttleKey, source); // counted even when the caller hangs up
            return failed;
        }
        key.LastUsedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await sessions.StartAsync(user, mustEnrol: false, SessionRules.ClientLabel(http.Request.Headers.UserAgent), ct));
    }
}
