using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Identity;

/// <summary>What a login or a refresh hands out. accessToken lives ≤ 15 minutes; refreshToken is single-use.</summary>
/// <param name="MustEnrol">A second factor is required for this role and not set up: until it is, only /auth/* answers.</param>
public sealed record TokenResponse(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken, Guid SessionId, bool MustEnrol);

public sealed record SessionView(Guid Id, string Client, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, bool Current);

/// <summary>Starts, refreshes and ends staff sessions. Access tokens are the bearer handler's own format, carrying the session id.</summary>
public sealed class SessionIssuer(WhistleDb db, UserManager<StaffUser> users, IUserClaimsPrincipalFactory<StaffUser> principals,
    IOptionsMonitor<BearerTokenOptions> bearer, LiveConnections live, TimeProvider time, Cluster.LiveBus bus)
{
    public async Task<TokenResponse> StartAsync(StaffUser user, bool mustEnrol, string client, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var session = new StaffSession
        {
            Id = Guid.CreateVersion7(), UserId = user.Id, CreatedAt = now, LastUsedAt = now, ExpiresAt = now + SessionRules.SessionLifetime,
            Stamp = await users.GetSecurityStampAsync(user), MustEnrol = mustEnrol, Client = client,
        };
        var (refresh, hash) = SessionRules.NewRefresh(session.Id);
        session.RefreshHash = hash;
        db.Add(session);
        await db.SaveChangesAsync(ct);
        return await TokensAsync(user, session, refresh);
    }

    /// <summary>Exchanges a refresh token for new tokens, once. A token already exchanged ends the session (someone copied it).</summary>
    public async Task<TokenResponse?> RefreshAsync(string? token, CancellationToken ct)
    {
        if (!SessionRules.TryParseRefresh(token, out var id, out var hash)) return null;
        var now = time.GetUtcNow();
        var session = await db.Set<StaffSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (session is null || !SessionRules.IsActive(session.RevokedAt, session.ExpiresAt, now)) return null;
        switch (SessionRules.Check(hash, session.RefreshHash, session.PreviousRefreshHash))
        {
            case RefreshCheck.Unknown: return null;
            case RefreshCheck.Reused:
                await RevokeAsync(s => s.Id == id, "reuse", ct);
                return null;
        }
        var user = await users.FindByIdAsync(session.UserId);
        if (user is null || StaffRules.IsDisabled(user.LockoutEnd) || user.SecurityStamp != session.Stamp)
        {
            await RevokeAsync(s => s.Id == id, "security", ct);
            return null;
        }
        var (refresh, next) = SessionRules.NewRefresh(id);
        var old = session.RefreshHash;
        var rotated = await db.Set<StaffSession>().Where(s => s.Id == id && s.RefreshHash == old && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RefreshHash, next).SetProperty(s => s.PreviousRefreshHash, old).SetProperty(s => s.LastUsedAt, now), ct);
        if (rotated == 0)
        {
            // Two exchanges of the same token at once: one of them is not the owner.
            await RevokeAsync(s => s.Id == id, "reuse", ct);
            return null;
        }
        return await TokensAsync(user, session, refresh);
    }

    /// <summary>
    /// Ends sessions now: every request with their access tokens is refused from the next one on, and their open live
    /// connections (hubs) on this node close at once (other nodes' at once through the live bus when Redis is configured,
    /// else within <see cref="LiveSweep"/>'s interval).
    /// </summary>
    public async Task<int> RevokeAsync(System.Linq.Expressions.Expression<Func<StaffSession, bool>> which, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var ids = await db.Set<StaffSession>().Where(which).Where(s => s.RevokedAt == null).Select(s => s.Id).ToListAsync(ct);
        if (ids.Count == 0) return 0;
        var ended = await db.Set<StaffSession>().Where(s => ids.Contains(s.Id) && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, reason), ct);
        live.EndSessions(ids, reason);
        // Other nodes check their open connections now rather than at their next sweep (ids stay in the database).
        if (bus.Clustered) await bus.PublishAsync(Cluster.LiveBus.Topics.StaffChanged);
        return ended;
    }

    /// <summary>A role change, password reset, disable or second-factor reset: a new security stamp, every session and live connection ends.</summary>
    public async Task EndAllAsync(StaffUser user, string reason, CancellationToken ct)
    {
        await users.UpdateSecurityStampAsync(user);
        await RevokeAsync(s => s.UserId == user.Id, reason, ct);
        live.EndUser(user.Id, reason);
    }

    public async Task<List<SessionView>> ListAsync(string userId, Guid? current, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rows = await db.Set<StaffSession>().AsNoTracking().Where(s => s.UserId == userId && s.RevokedAt == null).ToListAsync(ct);
        return rows.Where(s => s.ExpiresAt > now).OrderByDescending(s => s.LastUsedAt)
            .Select(s => new SessionView(s.Id, s.Client, s.CreatedAt, s.LastUsedAt, s.ExpiresAt, s.Id == current)).ToList();
    }

    private async Task<TokenResponse> TokensAsync(StaffUser user, StaffSession session, string refresh)
    {
        var principal = await principals.CreateAsync(user);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(SessionRules.SessionClaim, session.Id.ToString("N")));
        var now = time.GetUtcNow();
        var expires = now + SessionRules.AccessTokenLifetime;
        if (expires > session.ExpiresAt) expires = session.ExpiresAt;
        var ticket = new AuthenticationTicket(principal, new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = expires }, IdentityConstants.BearerScheme);
        var access = bearer.Get(IdentityConstants.BearerScheme).BearerTokenProtector.Protect(ticket);
        return new TokenResponse("Bearer", access, (long)(expires - now).TotalSeconds, refresh, session.Id, session.MustEnrol);
    }

    public static Guid? CurrentSession(ClaimsPrincipal user) =>
        Guid.TryParseExact(user.FindFirst(SessionRules.SessionClaim)?.Value, "N", out var id) ? id : null;
}

/// <summary>
/// Every authenticated request is checked against its session and account — one indexed look-up: a token whose
/// session was ended (logout, an admin, role change, password reset), whose account was disabled or deleted, or whose
/// security stamp is no longer the account's, authenticates no one (401). A session that must first set up a second
/// factor reaches only /api/v1/auth/*. Runs between authentication and authorization.
/// </summary>
public static class SessionCheck
{
    public static IApplicationBuilder UseSessionCheck(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (ctx.User.Identity?.IsAuthenticated == true)
        {
            var userId = ctx.User.FindFirst(ClaimTypes.NameIdentifier)?.Value;
            var stampType = ctx.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
            var stamp = ctx.User.FindFirst(stampType)?.Value;
            var sid = SessionIssuer.CurrentSession(ctx.User);
            var db = ctx.RequestServices.GetRequiredService<WhistleDb>();
            var now = ctx.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            var row = sid is { } id
                ? await (from s in db.Set<StaffSession>().AsNoTracking()
                         join u in db.Users.AsNoTracking() on s.UserId equals u.Id
                         where s.Id == id
                         select new { s.UserId, s.RevokedAt, s.ExpiresAt, s.MustEnrol, u.SecurityStamp, u.LockoutEnd }).FirstOrDefaultAsync(ctx.RequestAborted)
                : null;
            if (row is null || row.UserId != userId || row.SecurityStamp != stamp || StaffRules.IsDisabled(row.LockoutEnd)
                || !SessionRules.IsActive(row.RevokedAt, row.ExpiresAt, now))
            {
                ctx.User = new ClaimsPrincipal(new ClaimsIdentity());
                ctx.Features.Set<IAuthenticateResultFeature>(new Refused(AuthenticateResult.Fail("The session has ended.")));
            }
            else if (row.MustEnrol && !ctx.Request.Path.StartsWithSegments("/api/v1/auth"))
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                await ctx.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
                {
                    HttpContext = ctx,
                    // "code" is for the console's script: the title is in the reader's language
                    ProblemDetails = { Status = 403, Title = "Second factor required", Detail = "Your role needs a second factor: set up an authenticator app or a passkey first.",
                        Extensions = { ["code"] = "second_factor_required" } },
                });
                return;
            }
        }
        await next(ctx);
    });

    private sealed class Refused(AuthenticateResult result) : IAuthenticateResultFeature
    {
        public AuthenticateResult? AuthenticateResult { get; set; } = result;
    }
}
