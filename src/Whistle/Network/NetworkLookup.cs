using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Network;

/// <summary>The network profile's name and time zone, read where a message or a page needs them.</summary>
public static class NetworkLookup
{
    /// <summary>The network's time zone (UTC when unset or unknown to this machine).</summary>
    public static async Task<TimeZoneInfo> TimeZoneAsync(WhistleDb db, CancellationToken ct)
    {
        var id = await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.TimeZone).FirstOrDefaultAsync(ct) ?? "UTC";
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) ? found : TimeZoneInfo.Utc;
    }

    public static async Task<string> NameAsync(WhistleDb db, string fallback, CancellationToken ct) =>
        await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.Name).FirstOrDefaultAsync(ct) ?? fallback;
}
