using Microsoft.EntityFrameworkCore;
using Whistle.Alerts;
using Whistle.Data;

namespace Whistle.Federation;

/// <summary>
/// Applies a partner's CAP messages to the partner alerts: a message already held (same partner, sender and
/// identifier) is skipped; an Update supersedes what it references, a Cancel ends it; references resolve
/// only among the same partner's messages, so one partner can never end, replace or pre-empt another's alerts
/// (decision 0033). Each partner has budgets — senders it speaks for, clock skew, expiry, active messages,
/// polygons and vertices — and a message past one is refused with the reason.
/// </summary>
public static class FederationImport
{
    public enum Outcome { Imported, Duplicate, Ignored }

    /// <summary>The row a message becomes (not yet added), from the rules alone: no database.</summary>
    public static PartnerAlert ToRow(string partner, CapMessage m, DateTimeOffset now, int defaultExpiryMinutes) =>
        ToRow(partner, m, now, new FederationOptions { DefaultExpiryMinutes = defaultExpiryMinutes });

    /// <summary>
    /// The row a message becomes, within the rules that need no database: the sent time at most
    /// <see cref="FederationOptions.MaxFutureSkewMinutes"/> ahead (else refused), the expiry clamped to
    /// <see cref="FederationOptions.MaxExpiryMinutes"/> from now, polygons counted and simplified, vertices counted.
    /// </summary>
    public static PartnerAlert ToRow(string partner, CapMessage m, DateTimeOffset now, FederationOptions o)
    {
        if (m.Sent > now.AddMinutes(o.MaxFutureSkewMinutes))
            throw new FeedRejected($"sent more than {o.MaxFutureSkewMinutes} minutes in the future");
        var infos = m.Infos.GroupBy(i => i.Language).Select(g => g.First()).ToList();
        var areas = m.Areas;
        int polygons = areas.Sum(a => a.Polygons.Count);
        if (polygons > o.MaxPolygonsPerMessage)
            throw new FeedRejected($"{polygons} polygons in one message (at most {o.MaxPolygonsPerMessage})");
        var area = new PartnerArea(areas.SelectMany(a => a.Circles).ToList(), areas.SelectMany(a => a.Polygons).ToList())
            .Simplified(o.SimplifyMeters, o.MaxRingVertices);
        if (area.Vertices > o.MaxVerticesPerMessage)
            throw new FeedRejected($"{area.Vertices} vertices in one message after simplification (at most {o.MaxVerticesPerMessage})");
        var latest = now.AddMinutes(o.MaxExpiryMinutes);
        var expires = m.Expires ?? m.Sent.AddMinutes(o.DefaultExpiryMinutes);
        return new PartnerAlert
        {
            Partner = partner,
            Identifier = m.Identifier,
            Sender = m.Sender,
            Sent = m.Sent,
            MsgType = m.MsgType,
            Status = m.Status,
            Scope = m.Scope,
            References = string.Join(' ', m.References.Select(r => $"{r.Sender},{r.Identifier},{r.Sent:yyyy-MM-ddTHH:mm:sszzz}")),
            ExpiresAt = expires < latest ? expires : latest,
            Headlines = infos.Where(i => (i.Headline ?? i.Event).Length > 0).ToDictionary(i => i.Language, i => i.Headline ?? i.Event),
            Descriptions = infos.Where(i => i.Description is not null || i.Instruction is not null)
                .ToDictionary(i => i.Language, i => string.Join("\n", new[] { i.Description, i.Instruction }.Where(t => t is not null))),
            AreaDesc = string.Join("; ", areas.Select(a => a.Description).Where(d => d.Length > 0).Distinct()) is { Length: > 0 } d
                ? d[..Math.Min(d.Length, Cap.MaxAreaDesc)] : "",
            Area = area,
            Vertices = area.Vertices,
            State = m.MsgType == "Cancel" ? PartnerAlertState.Cancelled : PartnerAlertState.Active,
            ReceivedAt = now,
            ChangedAt = now,
        };
    }

    /// <summary>A sender the partner is not configured to speak for is refused (an empty list: any sender).</summary>
    public static void CheckSender(PartnerOptions partner, CapMessage m)
    {
        if (partner.Senders.Count > 0 && !partner.Senders.Contains(m.Sender, StringComparer.OrdinalIgnoreCase))
            throw new FeedRejected($"sender '{Cap.Short(m.Sender)}' is not one this partner is configured to speak for");
        foreach (var r in m.References)
            if (partner.Senders.Count > 0 && !partner.Senders.Contains(r.Sender, StringComparer.OrdinalIgnoreCase))
                throw new FeedRejected($"a reference names sender '{Cap.Short(r.Sender)}', not one this partner speaks for");
    }

    public static async Task<Outcome> ApplyAsync(WhistleDb db, PublishAlert publish, PartnerOptions partnerOptions, CapMessage m,
        DateTimeOffset now, FederationOptions o, CancellationToken ct)
    {
        var partner = partnerOptions.Name;
        if (m.MsgType is not ("Alert" or "Update" or "Cancel")) return Outcome.Ignored; // Ack, Error: nothing to show
        CheckSender(partnerOptions, m);
        if (m.MsgType != "Cancel" && m.Areas.Count == 0)
            throw new FeedRejected("no circle or polygon in any area (geocodes alone cannot be placed)");
        if (await db.PartnerAlerts.AnyAsync(a => a.Partner == partner && a.Sender == m.Sender && a.Identifier == m.Identifier, ct))
            return Outcome.Duplicate;

        var row = ToRow(partner, m, now, o);
        row.ChainId = row.Id;
        var referenced = new List<PartnerAlert>();
        foreach (var r in m.References)
            referenced.AddRange(await db.PartnerAlerts
                .Where(a => a.Partner == partner && a.Sender == r.Sender && a.Identifier == r.Identifier).ToListAsync(ct));
        if (row.State == PartnerAlertState.Active && !(referenced.Count > 0 && referenced.All(a => a.State == PartnerAlertState.Cancelled)))
        {
            // The partner's budget: what it holds active now, less what this message replaces, plus this message.
            var replaced = referenced.Where(a => a.State == PartnerAlertState.Active && a.ExpiresAt > now).Select(a => a.Id).ToList();
            var held = db.PartnerAlerts.Where(a => a.Partner == partner && a.State == PartnerAlertState.Active && a.ExpiresAt > now
                && !replaced.Contains(a.Id));
            int count = await held.CountAsync(ct);
            if (count + 1 > o.MaxActivePerPartner)
                throw new FeedRejected($"the partner already has {count} active messages (at most {o.MaxActivePerPartner})");
            int vertices = count == 0 ? 0 : await held.SumAsync(a => a.Vertices, ct);
            if (vertices + row.Vertices > o.MaxVerticesPerPartner)
                throw new FeedRejected($"the partner's active messages would hold {vertices + row.Vertices} vertices (at most {o.MaxVerticesPerPartner})");
        }
        Guid? relayToCancel = null;
        if (referenced.Count > 0)
        {
            row.ChainId = referenced.OrderBy(a => a.Sent).First().ChainId;
            // An update never brings back a chain the partner already cancelled.
            if (referenced.All(a => a.State == PartnerAlertState.Cancelled)) row.State = PartnerAlertState.Cancelled;
            var relayed = referenced.FirstOrDefault(a => a.RelayedAlertId is not null);
            foreach (var earlier in referenced.Where(a => a.State == PartnerAlertState.Active))
            {
                earlier.State = m.MsgType == "Cancel" ? PartnerAlertState.Cancelled : PartnerAlertState.Superseded;
                earlier.ChangedAt = now;
            }
            if (relayed is not null)
            {
                // The chain was relayed: the newest row carries the relay and the flag the dispatcher sees.
                (row.RelayedAlertId, row.RelayedBy, row.RelayedAt, row.ChangedSinceRelay) =
                    (relayed.RelayedAlertId, relayed.RelayedBy, relayed.RelayedAt, true);
                relayed.ChangedSinceRelay = true;
                if (m.MsgType == "Cancel") relayToCancel = relayed.RelayedAlertId;
            }
        }
        db.PartnerAlerts.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            if (await IsHeldAsync(db, row, referenced, m, ct)) return Outcome.Duplicate; // another node imported it first
            throw;
        }

        // The partner ended what this network relayed: its local alert ends too (an all-clear to those it reached).
        if (relayToCancel is { } localId && await db.Alerts.FirstOrDefaultAsync(a => a.Id == localId, ct) is { } local
            && local.Kind == AlertKind.Alert && local.CancelledAt is null && local.ExpiresAt > now)
            await publish.FollowUpAsync(local, AlertKind.Cancel, CancelReason.AllClear, $"federation:{partner}", ct);
        return Outcome.Imported;
    }

    private static async Task<bool> IsHeldAsync(WhistleDb db, PartnerAlert row, List<PartnerAlert> referenced, CapMessage m, CancellationToken ct)
    {
        db.Entry(row).State = EntityState.Detached;
        foreach (var earlier in referenced) await db.Entry(earlier).ReloadAsync(ct);
        return await db.PartnerAlerts.AnyAsync(a => a.Partner == row.Partner && a.Sender == m.Sender && a.Identifier == m.Identifier, ct);
    }

    /// <summary>
    /// The rows the public sees: active, Actual, Public, unexpired, not hidden by a dispatcher, and not shown already as
    /// this network's own relay. Callers also keep only configured, enabled partners (<see cref="PublicPartnerAlerts"/>).
    /// </summary>
    public static IQueryable<PartnerAlert> Shown(WhistleDb db, DateTimeOffset now) =>
        db.PartnerAlerts.AsNoTracking().Where(p => p.State == PartnerAlertState.Active && p.Status == "Actual" && p.Scope == "Public"
            && p.ExpiresAt > now && p.HiddenAt == null
            && !db.Alerts.Any(a => a.Id == p.RelayedAlertId && a.CancelledAt == null && a.ExpiresAt > now));
}
