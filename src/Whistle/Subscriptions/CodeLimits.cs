using Microsoft.EntityFrameworkCore;
using PhoneNumbers;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

/// <summary>Whistle:Subscriptions:* — how codes are limited, and how long a sign-up may wait for its code.</summary>
public sealed class SubscriptionOptions
{
    /// <summary>A code is good for this long.</summary>
    public double CodeMinutes { get; set; } = 10;
    /// <summary>Codes (to subscribe or to unsubscribe) one address may be sent in a UTC day.</summary>
    public int CodesPerAddressPerDay { get; set; } = 5;
    /// <summary>Wrong codes one address may be given in a UTC day, across every code it was sent; then no code is accepted until the next day.</summary>
    public int WrongCodesPerAddressPerDay { get; set; } = 10;
    /// <summary>Code messages per channel per hour, for the whole network; past it requests get 429 and admins see it.</summary>
    public CodesPerHourOptions CodesPerHour { get; set; } = new();
    /// <summary>A sign-up whose code never came back is deleted this long after it was asked for.</summary>
    public double UnconfirmedHours { get; set; } = 24;

    public TimeSpan CodeLifetime => TimeSpan.FromMinutes(CodeMinutes);
}

public sealed class CodesPerHourOptions
{
    public int Sms { get; set; } = 200;
    public int Email { get; set; } = 1000;
    public int Webpush { get; set; } = 1000;
    public int Webhook { get; set; } = 1000;

    public int For(SubscriberChannel channel) => channel switch
    {
        SubscriberChannel.Sms => Sms,
        SubscriberChannel.Email => Email,
        SubscriberChannel.Webpush => Webpush,
        _ => Webhook,
    };
}

/// <summary>
/// Which phone numbers SMS may go to: those whose country (by libphonenumber, from the country calling code and,
/// where countries share one as +1 does, the number plan) is in Whistle:Sms:AllowedCountries. Asked where a
/// number is accepted (subscribing, staff contacts, a text's sender) and again by the sender, so no path queues
/// a premium or international text.
/// </summary>
public sealed class SmsCountries
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private readonly HashSet<string> _allowed;

    public SmsCountries(string? allowed) =>
        _allowed = (allowed ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => c.ToUpperInvariant()).ToHashSet();

    public IReadOnlyCollection<string> Allowed => _allowed;

    /// <summary>The ISO country of an E.164 number ("001" for international networks such as +882), or null when it is no number.</summary>
    public static string? CountryOf(string e164)
    {
        try
        {
            var number = Util.Parse(e164, null);
            return Util.GetRegionCodeForNumber(number);
        }
        catch (NumberParseException) { return null; }
    }

    public bool Allows(string e164) => CountryOf(e164) is { } country && _allowed.Contains(country);

    public string Refusal => $"Text messages go only to phone numbers in: {string.Join(", ", _allowed.Order())}.";
}

/// <summary>
/// A counter in a time window: codes sent to one address in a day (keyed by its blind index), code messages of a
/// channel in an hour, wrong codes given for an address in a day. Rows go when <see cref="PurgeAfterHour"/> passes.
/// </summary>
public class CodeTally
{
    public byte[] Key { get; set; } = [];
    /// <summary>The window: a UTC day number for an address, a UTC hour number for a channel.</summary>
    public long Window { get; set; }
    public int Sent { get; set; }
    public int Wrong { get; set; }
    /// <summary>Requests refused because the window was full (shown to admins for a channel).</summary>
    public int Refused { get; set; }
    /// <summary>The UTC hour number from which the row may be deleted.</summary>
    public long PurgeAfterHour { get; set; }
}

public enum CodeGrant { Granted, AddressFull, ChannelFull }

/// <summary>
/// The limits on codes: a daily number per address, an hourly number per channel for the whole network, and a
/// daily number of wrong codes per address that re-issuing a code does not reset. Counters are database rows
/// updated with one conditional statement, so concurrent requests (and several processes) cannot overshoot.
/// </summary>
public static class CodeLimits
{
    public static long Day(DateTimeOffset t) => t.ToUnixTimeSeconds() / 86_400;
    public static long Hour(DateTimeOffset t) => t.ToUnixTimeSeconds() / 3_600;

    /// <summary>The key of a channel's hourly counter (a keyed hash, so it can never equal an address's blind index).</summary>
    public static byte[] ChannelKey(KeyRing keys, SubscriberChannel channel) => keys.Hash($"codes-per-hour:{channel}");

    /// <summary>Takes one code from the address's day and the channel's hour, or says which is full (and takes nothing from the channel then).</summary>
    public static async Task<CodeGrant> TakeAsync(WhistleDb db, KeyRing keys, SubscriptionOptions o, SubscriberChannel channel,
        byte[] addressHash, DateTimeOffset now, CancellationToken ct)
    {
        long day = Day(now), hour = Hour(now);
        if (!await IncrementAsync(db, addressHash, day, (day + 1) * 24, o.CodesPerAddressPerDay, ct)) return CodeGrant.AddressFull;
        var channelKey = ChannelKey(keys, channel);
        if (await IncrementAsync(db, channelKey, hour, hour + 7 * 24, o.CodesPerHour.For(channel), ct)) return CodeGrant.Granted;
        await db.CodeTallies.Where(t => t.Key == channelKey && t.Window == hour)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Refused, t => t.Refused + 1), ct);
        return CodeGrant.ChannelFull;
    }

    /// <summary>Whether the address may still try a code today.</summary>
    public static async Task<bool> MayTryAsync(WhistleDb db, SubscriptionOptions o, byte[] addressHash, DateTimeOffset now, CancellationToken ct)
    {
        long day = Day(now);
        var wrong = await db.CodeTallies.Where(t => t.Key == addressHash && t.Window == day).Select(t => (int?)t.Wrong).FirstOrDefaultAsync(ct);
        return (wrong ?? 0) < o.WrongCodesPerAddressPerDay;
    }

    /// <summary>Counts a wrong code against the address's day.</summary>
    public static async Task WrongAsync(WhistleDb db, byte[] addressHash, DateTimeOffset now, CancellationToken ct)
    {
        long day = Day(now);
        await EnsureAsync(db, addressHash, day, (day + 1) * 24, ct);
        await db.CodeTallies.Where(t => t.Key == addressHash && t.Window == day)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Wrong, t => t.Wrong + 1), ct);
    }

    private static async Task<bool> IncrementAsync(WhistleDb db, byte[] key, long window, long purgeAfter, int cap, CancellationToken ct)
    {
        await EnsureAsync(db, key, window, purgeAfter, ct);
        return await db.CodeTallies.Where(t => t.Key == key && t.Window == window && t.Sent < cap)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Sent, t => t.Sent + 1), ct) == 1;
    }

    /// <summary>The row exists afterwards; a concurrent insert of the same row is not an error (ON CONFLICT DO NOTHING, in SQLite and PostgreSQL).</summary>
    private static Task EnsureAsync(WhistleDb db, byte[] key, long window, long purgeAfter, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "CodeTallies" ("Key", "Window", "Sent", "Wrong", "Refused", "PurgeAfterHour") VALUES ({key}, {window}, 0, 0, 0, {purgeAfter}) ON CONFLICT DO NOTHING""", ct);

    /// <summary>Deletes the counters whose time is up (an address's counters the day after).</summary>
    public static Task<int> PurgeAsync(WhistleDb db, DateTimeOffset now, CancellationToken ct)
    {
        long hour = Hour(now);
        return db.CodeTallies.Where(t => t.PurgeAfterHour <= hour).ExecuteDeleteAsync(ct);
    }
}

/// <summary>One channel's code messages: this hour against its cap, and what was refused in the last day.</summary>
public sealed record ChannelCodeLimit(string Channel, int PerHour, int SentThisHour, int RefusedLast24Hours, DateTimeOffset? LastRefusedHour);

public static class CodeLimitsApi
{
    /// <summary><c>GET /admin/code-limits</c> (admins): whether the network-wide hourly code caps were hit.</summary>
    public static RouteGroupBuilder MapCodeLimits(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/code-limits").WithTags("Subscriptions").RequireAuthorization(Identity.Policies.Admin);
        group.MapGet("/", GetAsync);
        return group;
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<ChannelCodeLimit[]>> GetAsync(
        WhistleDb db, KeyRing keys, TimeProvider time, Microsoft.Extensions.Options.IOptions<WhistleOptions> options, CancellationToken ct)
    {
        long hour = CodeLimits.Hour(time.GetUtcNow());
        var o = options.Value.Subscriptions;
        var result = new List<ChannelCodeLimit>();
        foreach (var channel in Enum.GetValues<SubscriberChannel>())
        {
            var key = CodeLimits.ChannelKey(keys, channel);
            var rows = await db.CodeTallies.AsNoTracking().Where(t => t.Key == key && t.Window > hour - 24).ToListAsync(ct);
            var last = rows.Where(r => r.Refused > 0).Select(r => (long?)r.Window).Max();
            result.Add(new(Verification.Names.Of(channel), o.CodesPerHour.For(channel), rows.Where(r => r.Window == hour).Sum(r => r.Sent),
                rows.Sum(r => r.Refused), last is { } h ? DateTimeOffset.FromUnixTimeSeconds(h * 3600) : null));
        }
        return TypedResults.Ok(result.ToArray());
    }
}
