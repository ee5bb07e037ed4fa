using System.Globalization;
using System.Text;

namespace Whistle.Verification;

/// <summary>
/// Where a page of the queue ended: the last row's sort key (state rank, trusted, sources, last report, id).
/// The next page is every row after it in the same order, so new rows never shift a page under the reader.
/// Another filter (who may see what) composes with <see cref="After"/> as one more Where before it.
/// </summary>
public sealed record QueueCursor(int Rank, bool Trusted, int Sources, long LastTicks, Guid Id)
{
    /// <summary>What needs a human first: new, verifying, confirmed, then the closed states.</summary>
    public static int RankOf(SightingState s) => s switch
    {
        SightingState.New => 0,
        SightingState.Verifying => 1,
        SightingState.Confirmed => 2,
        _ => 3,
    };

    public static QueueCursor Of(Sighting s) => new(RankOf(s.State), s.Trusted, s.SourceCount, s.LastReportAt.UtcTicks, s.Id);

    public override string ToString() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{Rank}|{(Trusted ? 1 : 0)}|{Sources}|{LastTicks}|{Id:N}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static QueueCursor? Parse(string cursor)
    {
        if (cursor.Length > 200) return null;
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('|');
            if (parts.Length != 5) return null;
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rank) || rank > 3) return null;
            if (parts[1] is not ("0" or "1")) return null;
            if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sources)) return null;
            if (!long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks > DateTimeOffset.MaxValue.UtcTicks) return null;
            if (!Guid.TryParseExact(parts[4], "N", out var id)) return null;
            return new QueueCursor(rank, parts[1] == "1", sources, ticks, id);
        }
        catch (FormatException) { return null; }
    }

    /// <summary>The rows after the cursor (all of them for none), in queue order.</summary>
    public static IOrderedQueryable<Sighting> After(IQueryable<Sighting> q, QueueCursor? c)
    {
        if (c is not null)
        {
            var (rank, trusted, sources, last, id) = (c.Rank, c.Trusted, c.Sources, new DateTimeOffset(c.LastTicks, TimeSpan.Zero), c.Id);
            q = q.Where(x =>
                (x.State == SightingState.New ? 0 : x.State == SightingState.Verifying ? 1 : x.State == SightingState.Confirmed ? 2 : 3) > rank
                || ((x.State == SightingState.New ? 0 : x.State == SightingState.Verifying ? 1 : x.State == SightingState.Confirmed ? 2 : 3) == rank
                    && ((trusted && !x.Trusted)
                        || (x.Trusted == trusted
                            && (x.SourceCount < sources
                                || (x.SourceCount == sources
                                    && (x.LastReportAt < last
                                        || (x.LastReportAt == last && x.Id.CompareTo(id) > 0))))))));
        }
        return q.OrderBy(x => x.State == SightingState.New ? 0 : x.State == SightingState.Verifying ? 1 : x.State == SightingState.Confirmed ? 2 : 3)
            .ThenByDescending(x => x.Trusted).ThenByDescending(x => x.SourceCount).ThenByDescending(x => x.LastReportAt).ThenBy(x => x.Id);
    }
}
