using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Privacy;

/// <summary>Start-up checks of the files that hold keys and personal data, and the key ring opened before the first request.</summary>
public static class KeyRingSetup
{
    public const string DestroyedType = "https://whistle.example/problems/keys-destroyed";

    /// <summary>Refuses (<see cref="StartupRefusal"/>) over files others can read; opens the ring now so a passphrase is asked for now.</summary>
    public static void CheckAtStartup(WebApplication app)
    {
        var store = app.Services.GetRequiredService<KeyStore>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Whistle.Keys");
        var refusals = store.CheckPermissions(tightened => log.LogWarning("{What}", tightened));
        if (refusals.Count > 0) throw new StartupRefusal(string.Join(Environment.NewLine, refusals));
        var ring = app.Services.GetRequiredService<KeyRing>();
        KeyWatch.CheckCluster(app.Services, store, ring, log);
        if (ring.IsDestroyed)
            log.LogWarning("The key ring was destroyed ({Marker}): public pages run; everything that needs the keys answers 503 until an admin runs `keys new --after-destroy` or `keys restore`", store.MarkerFile);
        else
            log.LogInformation("Key ring loaded from {Source}", store.Source);
    }

    /// <summary>The 503 every keyed operation answers after a destroy (the exception handler writes it).</summary>
    public static bool IsKeysDestroyed(Exception? e)
    {
        for (; e is not null; e = e.InnerException) if (e is KeysDestroyedException) return true;
        return false;
    }
}

public sealed record KeyStatus(string Source, bool Destroyed, string? NetworkName);

/// <summary>The admin's typed confirmation: the network's name exactly, and their password (a stolen session alone cannot shred).</summary>
public sealed record DestroyKeysRequest(string? Confirmation, string? Password) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Confirmation) && Confirmation.Length <= 200, "confirmation", "Type the network's name to confirm.");
        p.Require(!string.IsNullOrEmpty(Password) && Password.Length <= 256, "password", "Enter your password to confirm.");
    }
}

public sealed record DestroyKeysResult(bool Destroyed, string Date, List<string> OperatorMustWipe);

public static class KeysApi
{
    public static RouteGroupBuilder MapKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/keys").WithTags("Keys").WithValidation().RequireAuthorization(Policies.Admin);
        group.MapGet("/", StatusAsync);
        group.MapPost("/destroy", DestroyAsync).RequireRateLimiting(RateLimits.Login);
        return group;
    }

    private static async Task<Ok<KeyStatus>> StatusAsync(KeyStore store, KeyRing ring, WhistleDb db, CancellationToken ct) =>
        TypedResults.Ok(new KeyStatus(ring.IsDestroyed ? "destroyed" : store.Source, ring.IsDestroyed,
            await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.Name).FirstOrDefaultAsync(ct)));

    private static async Task<Results<Ok<DestroyKeysResult>, ValidationProblem>> DestroyAsync(DestroyKeysRequest req, ClaimsPrincipal principal,
        UserManager<StaffUser> users, KeyStore store, KeyRing ring, WhistleDb db, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        var name = await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.Name).FirstOrDefaultAsync(ct) ?? "";
        if (!string.Equals(req.Confirmation!.Trim(), name.Trim(), StringComparison.Ordinal))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["confirmation"] = ["That is not the network's name. Type it exactly to confirm."] },
                title: "The request has invalid fields");
        var user = await users.GetUserAsync(principal);
        if (user is null || !await users.CheckPasswordAsync(user, req.Password!))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = ["That password is not right."] },
                title: "The request has invalid fields");
        // The ring's id first (a zeroed ring has none), then the destroy here, then in the database for every other node.
        var ringId = ring.IsDestroyed ? null : DestroyedRings.IdOf(ring);
        var report = store.Destroy(ring, time.GetUtcNow());
        if (ringId is not null)
        {
            try { await DestroyedRings.RecordAsync(db, ringId, report.Date, CancellationToken.None); }
            catch (System.Data.Common.DbException)
            {
                report.OperatorMustWipe.Insert(0, "The database did not answer: other nodes of this network may still hold the keys. Run `keys destroy --yes` on each, or stop them.");
            }
        }
        // The security log: who (a staff id, no name or address) and when; never what the keys protected.
        logs.CreateLogger("Whistle.Security").LogWarning("Key ring destroyed by staff {StaffId} on {Date}; {Deleted} key files deleted",
            user.Id, report.Date.ToString("yyyy-MM-dd"), report.Deleted.Count);
        return TypedResults.Ok(new DestroyKeysResult(true, report.Date.ToString("yyyy-MM-dd"), report.OperatorMustWipe));
    }
}

/// <summary>
/// Watches for a destroy made elsewhere, every two seconds: `keys destroy` run from the command line (the marker file
/// in this data dir — the CLI cannot reach another process's memory) and a destroy on another node of the cluster (a
/// row in the database, <see cref="DestroyedRings"/>). Either zeroes this ring within seconds; a marker seen here is
/// written to the database too, so a command-line destroy on one node reaches every node.
/// </summary>
public sealed class KeyWatch(KeyStore store, KeyRing ring, IServiceScopeFactory scopes, TimeProvider time, ILogger<KeyWatch> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (ring.IsDestroyed) return;
        string ringId;
        try { ringId = DestroyedRings.IdOf(ring); }
        catch (KeysDestroyedException) { return; }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        while (!ring.IsDestroyed && await timer.WaitForNextTickAsync(stop))
        {
            if (store.IsDestroyedOnDisk)
            {
                ring.Destroy();
                log.LogWarning("The keys.destroyed marker appeared: the key ring in memory was zeroed");
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await DestroyedRings.RecordAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), ringId,
                        DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), stop);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    log.LogWarning("The destroy could not be written to the database ({Error}): other nodes keep their keys until told", e.GetType().Name);
                }
                return;
            }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                if (!await DestroyedRings.IsDestroyedAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), ringId, stop)) continue;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                continue; // the database is away: asked again in two seconds
            }
            store.Destroy(ring, time.GetUtcNow());
            log.LogWarning("Another node destroyed the key ring: this node's ring was zeroed and its key files shredded");
        }
    }

    /// <summary>At start-up: a ring another node destroyed while this one was down is destroyed here before the first request.</summary>
    public static void CheckCluster(IServiceProvider services, KeyStore store, KeyRing ring, ILogger log)
    {
        if (ring.IsDestroyed) return;
        try
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            if (!DestroyedRings.IsDestroyedAsync(db, DestroyedRings.IdOf(ring)).GetAwaiter().GetResult()) return;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            log.LogWarning("Could not ask the database whether the key ring was destroyed ({Error}); asked again every two seconds", e.GetType().Name);
            return;
        }
        store.Destroy(ring, services.GetRequiredService<TimeProvider>().GetUtcNow());
        log.LogWarning("This key ring was destroyed on another node while this one was down: it was zeroed here too, and its key files shredded");
    }
}
