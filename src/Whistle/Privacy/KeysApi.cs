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
        var report = store.Destroy(ring, time.GetUtcNow());
        // The security log: who (a staff id, no name or address) and when; never what the keys protected.
        logs.CreateLogger("Whistle.Security").LogWarning("Key ring destroyed by staff {StaffId} on {Date}; {Deleted} key files deleted",
            user.Id, report.Date.ToString("yyyy-MM-dd"), report.Deleted.Count);
        return TypedResults.Ok(new DestroyKeysResult(true, report.Date.ToString("yyyy-MM-dd"), report.OperatorMustWipe));
    }
}

/// <summary>
/// `keys destroy` run from the command line while the server runs: the marker it writes makes this process zero its
/// ring within seconds (the CLI cannot reach another process's memory).
/// </summary>
public sealed class KeyWatch(KeyStore store, KeyRing ring, ILogger<KeyWatch> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        while (!ring.IsDestroyed && await timer.WaitForNextTickAsync(stop))
        {
            if (!store.IsDestroyedOnDisk) continue;
            ring.Destroy();
            log.LogWarning("The keys.destroyed marker appeared: the key ring in memory was zeroed");
        }
    }
}
