using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;

namespace Whistle.Federation;

/// <summary>
/// What the public sees of the partners' alerts, built once per change and shared by every request (decision 0033).
/// A request asks the database one cheap question — the partner alerts' change stamp (row count, latest change, hidden
/// count, latest cancellation of a relayed local alert) — and gets the stored document when the stamp, the configured
/// enabled partners and the clock (the first expiry) say nothing changed. The stamp is in the database, so every node
/// sharing it agrees. The document is fair and bounded: each enabled partner's newest
/// <see cref="FederationOptions.PublicPerPartner"/>, then taken round-robin (each partner's newest first) up to
/// <see cref="FederationOptions.PublicMaxBytes"/>; a hidden message, a disabled or removed partner is gone at once.
/// </summary>
public sealed class PublicPartnerAlerts(IOptions<WhistleOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    TimeProvider time, ILogger<PublicPartnerAlerts> log)
{
    /// <summary>One build: the GeoJSON bytes, their strong ETag, the rows in it (newest first) and when it goes stale.</summary>
    public sealed record Snapshot(string Key, byte[] Json, string ETag, IReadOnlyList<PartnerAlert> Rows, DateTimeOffset StaleAt, bool Truncated);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Snapshot? _current;
    private int _builds;

    /// <summary>How many times the document was built (tests and the benchmark: concurrent requests build once).</summary>
    public int Builds => Volatile.Read(ref _builds);

    private FederationOptions O => options.Value.Federation;

    public async Task<Snapshot> GetAsync(WhistleDb db, CancellationToken ct)
    {
        var key = await KeyAsync(db, ct);
        if (Fresh(key) is { } current) return current;
        await _gate.WaitAsync(ct);
        try
        {
            if (Fresh(key) is { } built) return built; // another request built it while this one waited
            var snapshot = await BuildAsync(db, key, ct);
            Interlocked.Increment(ref _builds);
            _current = snapshot;
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Snapshot? Fresh(string key) => _current is { } c && c.Key == key && time.GetUtcNow() < c.StaleAt ? c : null;

    /// <summary>The configured, enabled partners' names: the only ones shown, read from configuration at every request.</summary>
    public IReadOnlyList<string> Enabled => O.Partners.Where(p => p.Enabled && p.Name.Length > 0).Select(p => p.Name).Distinct().ToList();

    private async Task<string> KeyAsync(WhistleDb db, CancellationToken ct)
    {
        var rows = db.PartnerAlerts.AsNoTracking();
        int count = await rows.CountAsync(ct);
        var changed = await rows.MaxAsync(p => (DateTimeOffset?)p.ChangedAt, ct);
        int hidden = await rows.CountAsync(p => p.HiddenAt != null, ct);
        var relayEnded = await db.Alerts.AsNoTracking().Where(a => a.CancelledAt != null && db.PartnerAlerts.Any(p => p.RelayedAlertId == a.Id))
            .MaxAsync(a => a.CancelledAt, ct);
        var o = O;
        return string.Join('|', count, changed?.ToUnixTimeMilliseconds(), hidden, relayEnded?.ToUnixTimeMilliseconds(),
            o.PublicPerPartner, o.PublicMaxBytes, string.Join('\u001f', Enabled));
    }

    private async Task<Snapshot> BuildAsync(WhistleDb db, string key, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = O;
        var perPartner = new List<List<PartnerAlert>>();
        foreach (var name in Enabled)
            perPartner.Add(await FederationImport.Shown(db, now).Where(p => p.Partner == name)
                .OrderByDescending(p => p.Sent).ThenByDescending(p => p.ReceivedAt).Take(Math.Max(0, o.PublicPerPartner)).ToListAsync(ct));

        // Round-robin by rank: every partner's newest, then every partner's second, … until the byte budget is spent.
        var serializer = json.Value.SerializerOptions;
        var kept = new List<(PartnerAlert Row, byte[][] Features)>();
        long size = Encoding.UTF8.GetByteCount(Head) + Encoding.UTF8.GetByteCount(Tail);
        bool truncated = false;
        for (int rank = 0; perPartner.Any(l => l.Count > rank); rank++)
            foreach (var list in perPartner.Where(l => l.Count > rank))
            {
                var row = list[rank];
                var features = FederationApi.Features(row).Select(f => JsonSerializer.SerializeToUtf8Bytes(f, serializer)).ToArray();
                long add = features.Sum(f => (long)f.Length + 1);
                if (size + add > o.PublicMaxBytes) { truncated = true; continue; }
                size += add;
                kept.Add((row, features));
            }
        if (truncated) log.LogWarning("Federation: the public partner alerts reached {Bytes} bytes; older messages left out", o.PublicMaxBytes);

        kept = kept.OrderByDescending(k => k.Row.Sent).ThenByDescending(k => k.Row.ReceivedAt).ToList();
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.UTF8.GetBytes(Head));
        bool first = true;
        foreach (var f in kept.SelectMany(k => k.Features))
        {
            if (!first) buffer.WriteByte((byte)',');
            buffer.Write(f);
            first = false;
        }
        buffer.Write(Encoding.UTF8.GetBytes(Tail));
        var bytes = buffer.ToArray();
        var etag = "\"" + Convert.ToBase64String(SHA256.HashData(bytes), 0, 18).Replace('+', '-').Replace('/', '_') + "\"";

        // Stale when the first shown message expires, or a relayed local alert ends (its partner message shows again).
        var stale = kept.Count > 0 ? kept.Min(k => k.Row.ExpiresAt) : DateTimeOffset.MaxValue;
        var relayEnds = await db.Alerts.AsNoTracking().Where(a => a.CancelledAt == null && a.ExpiresAt > now
                && db.PartnerAlerts.Any(p => p.RelayedAlertId == a.Id && p.State == PartnerAlertState.Active && p.ExpiresAt > now))
            .MinAsync(a => (DateTimeOffset?)a.ExpiresAt, ct);
        if (relayEnds is { } r && r < stale) stale = r;
        return new Snapshot(key, bytes, etag, kept.Select(k => k.Row).ToList(), stale, truncated);
    }

    private const string Head = "{\"type\":\"FeatureCollection\",\"features\":[", Tail = "]}";
}
