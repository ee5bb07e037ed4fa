using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Reports;

/// <summary>
/// Filing a report reads what is already filed (the sightings nearby, the sources heard, the budget) and then writes:
/// two nodes filing at the same moment over one PostgreSQL database would each miss the other's uncommitted reports and
/// start a sighting each for one raid. Every filing transaction on PostgreSQL therefore first takes one transaction-scoped
/// advisory lock, so filings across nodes (each node's writer batch, an SMS report) take turns; a batch holds it for a few
/// milliseconds. SQLite needs none: one node, whose writer is already alone and whose SMS filing waits for SQLite's write lock.
/// </summary>
public static class IntakeLock
{
    public static readonly long Key = BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData("whistle-intake-filing"u8));

    /// <summary>Takes the lock inside the current transaction (PostgreSQL only; released at commit or rollback).</summary>
    public static async Task TakeAsync(WhistleDb db, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql() || db.Database.CurrentTransaction is null) return;
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Key})", ct);
    }
}
