using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Identity;

/// <summary>
/// Where dispatches reach a staff member. The outbox only sends to subscribers, so a contact is a subscriber
/// row: confirmed, with no zones and no circle (targeting never picks it), its address encrypted like every
/// other. An address that is already a subscriber is reused (a verifier who also subscribed as a resident
/// keeps their alerts). A row that only served as a staff contact is unsubscribed when no one uses it any
/// more, and Housekeeping wipes its address after the retention period.
/// </summary>
public static class StaffContact
{
    /// <summary>A row that receives no alerts and has no sign-up in progress: it exists for staff messages only.</summary>
    public static bool IsStaffOnly(Subscriber s) =>
        s.Zones.Length == 0 && s.AreaCipher is null && s.CircleLat is null && s.CircleRadiusMeters is null && s.Pending is null;

    /// <summary>Enough to recognise an address, never the address: "…0123" for a phone, "d…@example.org" for e-mail.</summary>
    public static string Hint(SubscriberChannel channel, string address) => channel switch
    {
        SubscriberChannel.Sms => "…" + address[^Math.Min(4, address.Length)..],
        SubscriberChannel.Email when address.IndexOf('@') is > 0 and var at => address[0] + "…" + address[at..],
        _ => "…",
    };

    /// <summary>The subscriber row for the address, made or reused, confirmed; saved, so it has its id.</summary>
    public static async Task<Subscriber> AttachAsync(WhistleDb db, KeyRing keys, SubscriberChannel channel, string normalized,
        string language, DateTimeOffset now, CancellationToken ct)
    {
        var hash = keys.Hash(Addresses.LookupKey(channel, normalized));
        var sub = await db.Subscribers.FirstOrDefaultAsync(s => s.AddressHash == hash, ct);
        if (sub is null)
        {
            sub = new Subscriber { Channel = channel, AddressHash = hash, CreatedAt = now, Language = language };
            db.Subscribers.Add(sub);
        }
        if (sub.State != SubscriberState.Confirmed)
        {
            // An address that had unsubscribed (or never confirmed) must not start receiving alerts for an old
            // area because staff use it: it becomes a staff-only row. A sign-up in progress (Pending) still
            // applies when its code comes back.
            sub.Zones = "";
            sub.AreaCipher = null;
            sub.CircleLat = sub.CircleLon = sub.CircleRadiusMeters = null;
            sub.State = SubscriberState.Confirmed;
            sub.ConfirmedAt = now;
        }
        if (IsStaffOnly(sub)) sub.Language = language;
        sub.AddressCipher ??= keys.Encrypt(normalized, Purpose.SubscriberAddress);
        sub.ChangedAt = now;
        await db.SaveChangesAsync(ct);
        return sub;
    }

    /// <summary>
    /// The staff member no longer uses the row: when it was a staff-only row and no other staff member uses it,
    /// it is unsubscribed (silently: it never subscribed to anything). Saved with the caller's next save.
    /// </summary>
    public static async Task ReleaseAsync(WhistleDb db, long subscriberId, string userId, DateTimeOffset now, CancellationToken ct)
    {
        if (await db.Users.AnyAsync(u => u.Id != userId && u.ContactSubscriberId == subscriberId, ct)) return;
        var sub = await db.Subscribers.FirstOrDefaultAsync(s => s.Id == subscriberId, ct);
        if (sub is null || sub.State == SubscriberState.Unsubscribed || !IsStaffOnly(sub)) return;
        sub.State = SubscriberState.Unsubscribed;
        sub.CodeHash = null;
        sub.ChangedAt = now;
    }

    /// <summary>A staff-only row follows its user's language.</summary>
    public static async Task FollowLanguageAsync(WhistleDb db, long subscriberId, string language, DateTimeOffset now, CancellationToken ct)
    {
        var sub = await db.Subscribers.FirstOrDefaultAsync(s => s.Id == subscriberId, ct);
        if (sub is null || !IsStaffOnly(sub) || sub.Language == language) return;
        sub.Language = language;
        sub.ChangedAt = now;
    }
}
