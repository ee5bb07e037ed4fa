using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Identity;

/// <summary>
/// An open hub connection of a staff member: who, which login (session), the security stamp and roles it was
/// authorised with, and the handle that closes it.
/// </summary>
public sealed record LiveConnection(string ConnectionId, string UserId, Guid SessionId, string Stamp, string[] Roles, HubCallerContext Context);

/// <summary>What the database says now about a connected login (one row of the sweep's query).</summary>
public sealed record LiveState(Guid SessionId, string UserId, DateTimeOffset? RevokedAt, DateTimeOffset ExpiresAt, string? Stamp, DateTimeOffset? LockoutEnd);

/// <summary>
/// Whether an open connection may stay open, on plain values: the same test every request passes (<see cref="SessionCheck"/>),
/// plus "the roles it was opened with are still the account's" — a connection's groups were chosen for its roles.
/// </summary>
public static class LiveRules
{
    /// <summary>Why the connection must close ("logout", "disabled", "stamp", "role", …), or null if it may stay.</summary>
    public static string? Ends(LiveConnection c, LiveState? now, IReadOnlyCollection<string> rolesNow, DateTimeOffset at)
    {
        if (now is null || now.UserId != c.UserId) return "session";
        if (!SessionRules.IsActive(now.RevokedAt, now.ExpiresAt, at)) return "ended";
        if (StaffRules.IsDisabled(now.LockoutEnd)) return "disabled";
        if (now.Stamp != c.Stamp) return "stamp";
        if (!rolesNow.Order(StringComparer.Ordinal).SequenceEqual(c.Roles.Order(StringComparer.Ordinal), StringComparer.Ordinal)) return "role";
        return null;
    }
}

/// <summary>
/// Every open hub connection of this node, by connection id. Ending a session (logout, an admin, a role change, a
/// password or second-factor reset, disabling) closes its connections here at once; <see cref="LiveSweep"/> re-checks
/// them all against the database every few seconds, which catches what another node changed. A session ended here is
/// remembered for a while, so a client reconnecting before the ending is committed is still refused.
/// </summary>
public sealed class LiveConnections(TimeProvider time, ILogger<LiveConnections> log)
{
    /// <summary>How long an ended session is remembered here (far longer than any commit takes).</summary>
    public static readonly TimeSpan RememberEnded = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, LiveConnection> _open = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _ended = new();

    public int Count => _open.Count;
    public IReadOnlyCollection<LiveConnection> Open => _open.Values.ToList();

    /// <summary>Registers a connection; false (and it is closed) if its login was ended here already.</summary>
    public bool Add(LiveConnection c)
    {
        if (_ended.ContainsKey(c.SessionId))
        {
            c.Context.Abort();
            return false;
        }
        _open[c.ConnectionId] = c;
        // Ended between the check and the add: close it (EndSessions may have run in between).
        if (_ended.ContainsKey(c.SessionId) && _open.TryRemove(c.ConnectionId, out _))
        {
            c.Context.Abort();
            return false;
        }
        return true;
    }

    public void Remove(string connectionId) => _open.TryRemove(connectionId, out _);

    public bool IsEnded(Guid session) => _ended.ContainsKey(session);

    /// <summary>Closes every connection of these logins now, and refuses them from now on.</summary>
    public int EndSessions(IReadOnlyCollection<Guid> sessions, string reason)
    {
        if (sessions.Count == 0) return 0;
        var now = time.GetUtcNow();
        foreach (var s in sessions) _ended[s] = now;
        return Close(c => sessions.Contains(c.SessionId), reason);
    }

    /// <summary>Closes every connection of the account now (its security stamp changed).</summary>
    public int EndUser(string userId, string reason) => Close(c => c.UserId == userId, reason);

    /// <summary>Closes the connections the predicate picks; the client may reconnect, and is authorised anew.</summary>
    public int Close(Func<LiveConnection, bool> which, string reason)
    {
        int closed = 0;
        foreach (var c in _open.Values.Where(which).ToList())
        {
            if (!_open.TryRemove(c.ConnectionId, out _)) continue;
            c.Context.Abort();
            closed++;
        }
        // Counts and reasons only: never who.
        if (closed > 0) log.LogInformation("Closed {Count} live connection(s): {Reason}", closed, reason);
        return closed;
    }

    /// <summary>Forgets ended sessions older than <see cref="RememberEnded"/> (the database remembers them for good).</summary>
    public void Prune()
    {
        var before = time.GetUtcNow() - RememberEnded;
        foreach (var (id, at) in _ended) if (at < before) _ended.TryRemove(id, out _);
    }

    /// <summary>The connection as the hub sees it; null when it carries no staff login (then it is refused).</summary>
    public static LiveConnection? Of(HubCallerContext context, string stampClaimType)
    {
        var user = context.User;
        if (user?.Identity?.IsAuthenticated != true) return null;
        var id = user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        var stamp = user.FindFirst(stampClaimType)?.Value;
        if (id is null || stamp is null || SessionIssuer.CurrentSession(user) is not { } session) return null;
        var roles = user.FindAll(ClaimTypes.Role).Select(r => r.Value).ToArray();
        return new LiveConnection(context.ConnectionId, id, session, stamp, roles, context);
    }

    /// <summary>Which of these connections must close, by what the database says now: two queries, whatever their number.</summary>
    public static async Task<List<(LiveConnection Connection, string Reason)>> CheckAsync(WhistleDb db, IReadOnlyCollection<LiveConnection> open,
        DateTimeOffset now, CancellationToken ct)
    {
        if (open.Count == 0) return [];
        var sessions = open.Select(c => c.SessionId).Distinct().ToList();
        var userIds = open.Select(c => c.UserId).Distinct().ToList();
        var states = await (from s in db.Set<StaffSession>().AsNoTracking()
                            join u in db.Users.AsNoTracking() on s.UserId equals u.Id
                            where sessions.Contains(s.Id)
                            select new LiveState(s.Id, s.UserId, s.RevokedAt, s.ExpiresAt, u.SecurityStamp, u.LockoutEnd)).ToListAsync(ct);
        var roles = (await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id
                            where userIds.Contains(ur.UserId) select new { ur.UserId, r.Name }).ToListAsync(ct))
            .ToLookup(x => x.UserId, x => x.Name!);
        var byId = states.ToDictionary(s => s.SessionId);
        var ending = new List<(LiveConnection, string)>();
        foreach (var c in open)
            if (LiveRules.Ends(c, byId.GetValueOrDefault(c.SessionId), roles[c.UserId].ToList(), now) is { } reason)
                ending.Add((c, reason));
        return ending;
    }
}

/// <summary>
/// On every hub: registers each connection in <see cref="LiveConnections"/> and forgets it on disconnect; every
/// client-callable hub method re-checks the connection's login against the database before it runs.
/// </summary>
public sealed class LiveConnectionFilter(LiveConnections live, IOptions<IdentityOptions> identity, TimeProvider time) : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var c = LiveConnections.Of(context.Context, identity.Value.ClaimsIdentity.SecurityStampClaimType);
        if (c is null || !live.Add(c)) throw new HubException("The session has ended.");
        await next(context);
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var c = LiveConnections.Of(invocation.Context, identity.Value.ClaimsIdentity.SecurityStampClaimType);
        var db = invocation.ServiceProvider.GetRequiredService<WhistleDb>();
        if (c is null || live.IsEnded(c.SessionId)
            || (await LiveConnections.CheckAsync(db, [c], time.GetUtcNow(), invocation.Context.ConnectionAborted)).Count > 0)
        {
            if (c is not null) live.Close(x => x.ConnectionId == c.ConnectionId, "checked on a call");
            invocation.Context.Abort();
            throw new HubException("The session has ended.");
        }
        return await next(invocation);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        live.Remove(context.Context.ConnectionId);
        await next(context, exception);
    }
}

/// <summary>
/// Every few seconds (Whistle:Accounts:LiveRecheckSeconds, default 5), checks every open connection of this node
/// against the database and closes those whose login ended, whose account was disabled, whose security stamp or
/// roles changed — whichever node made the change.
/// </summary>
public sealed class LiveSweep(IServiceScopeFactory scopes, LiveConnections live, IOptions<WhistleOptions> options,
    TimeProvider time, ILogger<LiveSweep> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var seconds = Math.Clamp(options.Value.Accounts.LiveRecheckSeconds, 0.2, 60);
        // A pause after each pass, not a PeriodicTimer, which on a test's fake clock replays every period of a jump
        // (2.6 million wake-ups for 150 days at 5 s, ~40 s of CPU); on a real clock the two are the same.
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(seconds), time, stop); }
            catch (OperationCanceledException) { break; }
            try
            {
                await SweepAsync(stop);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                log.LogError(ex, "Live connection check failed; trying again at the next tick");
            }
        }
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        live.Prune();
        var open = live.Open;
        if (open.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        foreach (var group in (await LiveConnections.CheckAsync(db, open, time.GetUtcNow(), ct)).GroupBy(e => e.Reason))
        {
            var ids = group.Select(e => e.Connection.ConnectionId).ToHashSet();
            live.Close(c => ids.Contains(c.ConnectionId), group.Key);
        }
    }
}

public static class LiveSetup
{
    public static WebApplicationBuilder AddLiveConnections(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LiveConnections>();
        builder.Services.AddSingleton<LiveConnectionFilter>();
        // SignalR, with this filter on every hub, is added in one place: Cluster/LiveWiring.cs AddLiveBus.
        builder.Services.AddSingleton<LiveSweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveSweep>());
        return builder;
    }
}
