using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>Confirmed subscribers written straight to the database, for tests whose subject is not sign-up.</summary>
public static class Seed
{
    /// <summary>
    /// <paramref name="count"/> subscribers in a ring around a point (each 200 m circle), the first one at the point;
    /// SMS numbers +1612555NNNN from <paramref name="first"/>, or e-mail addresses sNNNN@example.org.
    /// They opt into drills unless <paramref name="drills"/> is false (tests send drills as alerts without a sighting).
    /// </summary>
    public static async Task<List<string>> SubscribersAsync(WhistleApp app, int count, double lat, double lon,
        SubscriberChannel channel = SubscriberChannel.Sms, int first = 1000, string language = "en", bool drills = true)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
        var now = DateTimeOffset.UtcNow;
        var addresses = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var address = channel == SubscriberChannel.Sms ? $"+1612555{first + i:D4}" : $"s{first + i:D4}@example.org";
            addresses.Add(address);
            // Spread along a line eastwards, 10 cm apart: nearest first is the order they were made in.
            db.Subscribers.Add(new Subscriber
            {
                Channel = channel, AddressCipher = keys.Encrypt(address, Purpose.SubscriberAddress),
                AddressHash = keys.Hash(Addresses.LookupKey(channel, address)), Language = language,
                AreaCipher = new SealedCircle(lat, lon + i * 0.00000127, 200).Seal(keys), State = SubscriberState.Confirmed, Drills = drills,
                CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
            });
        }
        await db.SaveChangesAsync();
        return addresses;
    }
}
