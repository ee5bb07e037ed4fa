using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Identity;

namespace Whistle.Verification;

/// <summary>The "Whistle:Verification" settings.</summary>
public sealed class VerificationOptions
{
    /// <summary>Minutes a dispatch may go without any verifier accepting before the next nearest are asked; 0 turns escalation off.</summary>
    public double EscalateAfterMinutes { get; set; } = 5;
    /// <summary>At most this many automatic rounds per sighting; then the dispatcher is told and nobody more is asked.</summary>
    public int EscalateRounds { get; set; } = 2;
}

/// <summary>What escalation does next for one sighting.</summary>
public enum EscalationStep { Ask, RoundsUsedUp }

/// <summary>
/// The escalation rule (issue 12 §6), a plain type: a sighting a dispatcher sent verifiers to, none of whom accepted
/// (or reported) within <c>after</c> of the latest round, gets one more round — as many of the next nearest on-duty
/// verifiers as the latest round asked, never one asked before — until <c>maxRounds</c> are used, then stops.
/// It never starts by itself: only a dispatch a person made escalates, so reports alone cannot page verifiers.
/// </summary>
public static class Escalation
{
    public static (EscalationStep Step, int Count)? Next(Sighting s, IReadOnlyCollection<Assignment> assignments, DateTimeOffset now,
        TimeSpan after, int maxRounds)
    {
        if (after <= TimeSpan.Zero || s.State != SightingState.Verifying || s.EscalationStopped) return null;
        if (assignments.Count == 0) return null; // sent nobody (the dispatcher phoned someone): nothing to escalate
        if (assignments.Any(a => a.State is AssignmentState.Accepted or AssignmentState.Reported)) return null;
        var last = assignments.Max(a => a.SentAt);
        if (now - last < after) return null;
        if (s.Escalations >= maxRounds) return (EscalationStep.RoundsUsedUp, 0);
        return (EscalationStep.Ask, Math.Clamp(assignments.Count(a => a.SentAt == last), 1, DispatchRequest.MaxCount));
    }
}

/// <summary>Told to dispatchers (hub event <see cref="SightingsHub.EscalationEvent"/>): a sighting was escalated, or escalation stopped.</summary>
public sealed record EscalationNotice(Guid SightingId, int Round, List<string> Asked, bool Stopped, bool NobodyLeft, double AfterMinutes);

/// <summary>
/// Runs <see cref="Escalation"/> every 20 seconds (on the app's <see cref="TimeProvider"/>). Safe with several app
/// instances on one database: each round is claimed by a conditional UPDATE of the sighting's round counter (only
/// while it still equals what this instance read, and nobody has accepted) in the same transaction that adds the
/// assignments, so two instances never ask for the same round twice.
/// </summary>
public sealed class Escalator(IServiceScopeFactory scopes, TimeProvider time, IOptions<WhistleOptions> options,
    IHubContext<SightingsHub> hub, DeliverySignal signal, ILogger<Escalator> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(20);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (options.Value.Verification.EscalateAfterMinutes <= 0) return;
        // A pause after each pass, not a PeriodicTimer, which on a test's fake clock replays every 20 s period
        // of a jump (648,000 wake-ups for 150 days); on a real clock the two are the same.
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(Every, time, stop); }
            catch (OperationCanceledException) { break; }
            try { await RunOnceAsync(stop); }
            catch (Exception ex) when (!stop.IsCancellationRequested) { log.LogError(ex, "Escalation pass failed"); }
        }
    }

    /// <summary>One pass: every sighting due escalates (or stops) once. Returns how many rounds this instance claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value.Verification;
        if (o.EscalateAfterMinutes <= 0) return 0;
        var after = TimeSpan.FromMinutes(o.EscalateAfterMinutes);
        var now = time.GetUtcNow();
        List<(Guid Id, int Round, EscalationStep Step, int Count)> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var open = await db.Sightings.AsNoTracking().Where(s => s.State == SightingState.Verifying && !s.EscalationStopped).ToListAsync(ct);
            if (open.Count == 0) return 0;
            var ids = open.Select(s => s.Id).ToList();
            var assignments = (await db.Assignments.AsNoTracking().Where(a => ids.Contains(a.SightingId)).ToListAsync(ct)).ToLookup(a => a.SightingId);
            due = open.Select(s => (s, next: Escalation.Next(s, assignments[s.Id].ToList(), now, after, o.EscalateRounds)))
                .Where(x => x.next is not null)
                .Select(x => (x.s.Id, x.s.Escalations, x.next!.Value.Step, x.next.Value.Count)).ToList();
        }
        int claimed = 0;
        foreach (var d in due)
            if (await EscalateAsync(d.Id, d.Round, d.Step, d.Count, now, o.EscalateAfterMinutes, ct)) claimed++;
        return claimed;
    }

    private async Task<bool> EscalateAsync(Guid id, int round, EscalationStep step, int count, DateTimeOffset now, double minutes, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var dispatch = scope.ServiceProvider.GetRequiredService<DispatchVerifiers>();
        var zones = scope.ServiceProvider.GetRequiredService<ZoneRegistry>();

        var s = await db.Sightings.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return false;
        List<(RosterEntry Verifier, double? Meters)> picked = [];
        if (step == EscalationStep.Ask)
        {
            var roster = await DispatchVerifiers.RosterAsync(scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>(), ct);
            var already = (await db.Assignments.Where(a => a.SightingId == id).Select(a => a.VerifierId).ToListAsync(ct)).ToHashSet();
            picked = Roster.Nearest(roster, s.Location, zones.Current, already, count);
        }
        bool stop = picked.Count == 0;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The claim: only while the round is still the one read, not stopped, still verifying and nobody has accepted.
        var claim = db.Sightings.Where(x => x.Id == id && x.Escalations == round && !x.EscalationStopped && x.State == SightingState.Verifying
            && !db.Assignments.Any(a => a.SightingId == id && (a.State == AssignmentState.Accepted || a.State == AssignmentState.Reported)));
        int won = stop
            ? await claim.ExecuteUpdateAsync(u => u.SetProperty(x => x.EscalationStopped, true), ct)
            : await claim.ExecuteUpdateAsync(u => u.SetProperty(x => x.Escalations, round + 1), ct);
        if (won == 0) return false; // another instance took this round, or the sighting moved on

        s = await db.Sightings.FirstAsync(x => x.Id == id, ct);
        bool nobodyLeft = stop && step == EscalationStep.Ask;
        var sent = await dispatch.AddAssignmentsAsync(s, picked, "system", now, ct);
        var note = stop
            ? nobodyLeft
                ? $"escalation stopped: no answer in {minutes:0.#} min and nobody left on duty to ask"
                : $"escalation stopped: no answer after {round} automatic rounds"
            : $"escalated: no answer in {minutes:0.#} min, asked {string.Join(", ", sent.Select(x => x.Email))}";
        db.SightingTransitions.Add(s.MoveTo(SightingState.Verifying, "system", note, now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        // Counts and ids only: who was asked is the assignments' business.
        log.LogInformation("Sighting {Sighting} escalation round {Round}: {Asked} asked, stopped {Stopped}", id, s.Escalations, sent.Count, stop);
        if (sent.Any(x => x.Messaged)) signal.Poke();

        await SightingsHub.NotifyAsync(hub, db, s);
        try
        {
            await hub.Clients.Group(SightingsHub.Everything).SendAsync(SightingsHub.EscalationEvent,
                new EscalationNotice(id, s.Escalations, sent.Select(x => x.Email).ToList(), stop, nobodyLeft, minutes), ct);
        }
        catch (Exception) { /* the sighting page and queue show it on their next load */ }
        return true;
    }
}

public static class EscalationSetup
{
    public static WebApplicationBuilder AddEscalation(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Escalator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Escalator>());
        return builder;
    }
}
