using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Incidents;

public static class IncidentsSetup
{
    public static WebApplicationBuilder AddIncidents(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new EvidenceStore(Path.Combine(sp.GetRequiredService<IOptions<WhistleOptions>>().Value.DataPath, "evidence"),
            () => sp.GetRequiredService<Privacy.KeyRing>()));
        builder.Services.AddScoped<CustodyLog>();
        return builder;
    }
}

/// <summary>Appends to an incident's custody log, in the caller's unit of work (saved with the change it records).</summary>
public sealed class CustodyLog(WhistleDb db, TimeProvider time, Privacy.KeyRing keys, CustodyPins pins)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Hex SHA-256 of a record's JSON (what the record said when the action happened).</summary>
    public static string HashRecord<T>(T record) => CustodyChain.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, Json))));

    /// <summary>
    /// Adds the next link (not yet saved: the caller's SaveChanges writes it with the change it records). The
    /// unique (incident, seq) index refuses a second writer's link n; that caller's save fails and can be retried.
    /// </summary>
    public Task<CustodyEntry> AppendAsync(Guid incidentId, string action, string actor, string objectType, string objectId, string objectHash, CancellationToken ct) =>
        AppendAsync(incidentId, action, actor, objectType, objectId, objectHash, null, ct);

    /// <summary>Records a record as it is now: its canonical hash and its field digests (a v2 entry).</summary>
    public Task<CustodyEntry> AppendAsync(Guid incidentId, string action, string actor, RecordForm record, CancellationToken ct) =>
        AppendAsync(incidentId, action, actor, record.Type == "claim_evidence" ? "claim" : record.Type, record.Id, record.Hash, record.Fields, ct);

    private async Task<CustodyEntry> AppendAsync(Guid incidentId, string action, string actor, string objectType, string objectId, string objectHash,
        string? fields, CancellationToken ct)
    {
        var pending = db.ChangeTracker.Entries<CustodyEntry>().Where(e => e.State == EntityState.Added && e.Entity.IncidentId == incidentId)
            .Select(e => e.Entity).OrderByDescending(e => e.Seq).FirstOrDefault();
        var last = pending ?? await db.Custody.AsNoTracking().Where(c => c.IncidentId == incidentId).OrderByDescending(c => c.Seq).FirstOrDefaultAsync(ct);
        var next = CustodyChain.Next(last, incidentId, action, actor, time.GetUtcNow(), objectType, objectId, objectHash, fields);
        db.Custody.Add(next);
        return next;
    }

    public async Task<CustodyVerdict> VerifyAsync(Guid incidentId, EvidenceStore files, CancellationToken ct)
    {
        var entries = await db.Custody.AsNoTracking().Where(c => c.IncidentId == incidentId).OrderBy(c => c.Seq).ToListAsync(ct);
        var verdict = CustodyChain.Verify(entries, e => files.HashOnDisk(e.ObjectHash), await RecordsAsync(incidentId, ct));
        // Decision 0031: a chain rewritten consistently still differs from the heads pinned before.
        return verdict.Intact ? await pins.CheckAsync(incidentId, entries, ct) ?? verdict : verdict;
    }

    /// <summary>Every record of the incident as it is now, in its canonical form.</summary>
    public async Task<List<RecordForm>> RecordsAsync(Guid incidentId, CancellationToken ct)
    {
        var forms = new List<RecordForm>();
        if (await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == incidentId, ct) is { } incident) forms.Add(IncidentRecords.Form(incident, keys));
        foreach (var t in await db.Timeline.AsNoTracking().Where(x => x.IncidentId == incidentId).ToListAsync(ct)) forms.Add(IncidentRecords.Form(t, keys));
        foreach (var w in await db.Witnesses.AsNoTracking().Where(x => x.IncidentId == incidentId).ToListAsync(ct)) forms.Add(IncidentRecords.Form(w, keys));
        foreach (var c in await db.Claims.AsNoTracking().Include(x => x.Evidence).Where(x => x.IncidentId == incidentId).ToListAsync(ct))
        {
            forms.Add(IncidentRecords.Form(c, keys));
            forms.AddRange(c.Evidence.Select(l => IncidentRecords.Form(l, keys)));
        }
        foreach (var f in await db.FollowUps.AsNoTracking().Where(x => x.IncidentId == incidentId).ToListAsync(ct)) forms.Add(IncidentRecords.Form(f, keys));
        foreach (var e in await db.Evidence.AsNoTracking().Where(x => x.IncidentId == incidentId).ToListAsync(ct)) forms.Add(IncidentRecords.Form(e, keys));
        return forms;
    }
}
