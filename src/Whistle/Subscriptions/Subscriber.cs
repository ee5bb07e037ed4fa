using System.Net.Mail;
using System.Text.RegularExpressions;
using Whistle.Geo;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

public enum SubscriberChannel { Sms, Email, Webpush, Webhook }
public enum SubscriberState { Pending, Confirmed, Unsubscribed }

/// <summary>
/// Someone who asked for alerts: one address on one channel, a language and an area. The address
/// is stored only encrypted, with a keyed hash beside it to find and de-duplicate it.
/// </summary>
public class Subscriber
{
    public long Id { get; set; }
    public SubscriberChannel Channel { get; set; }
    public byte[]? AddressCipher { get; set; }
    public byte[] AddressHash { get; set; } = [];
    /// <summary>
    /// What the channel needs besides the address, encrypted like it: a web push subscription's
    /// keys (<see cref="PushKeys"/> as JSON), a webhook's signing secret.
    /// </summary>
    public byte[]? SecretCipher { get; set; }
    public string Language { get; set; } = "en";
    /// <summary>Zone ids, comma separated.</summary>
    public string Zones { get; set; } = "";
    /// <summary>
    /// The circle (centre and radius, usually "around home"), only ever as a cipher text
    /// (<see cref="SealedCircle"/>, purpose <see cref="Privacy.Purpose.SubscriberArea"/>); null for zones only.
    /// </summary>
    public byte[]? AreaCipher { get; set; }
    /// <summary>Legacy clear circle columns: always null. Only <see cref="SealedCircle.SealLegacyAsync"/> reads them, to seal old rows.</summary>
    public double? CircleLat { get; set; }
    /// <summary>Legacy, always null (see <see cref="CircleLat"/>).</summary>
    public double? CircleLon { get; set; }
    /// <summary>Legacy, always null (see <see cref="CircleLat"/>).</summary>
    public double? CircleRadiusMeters { get; set; }
    public SubscriberState State { get; set; }
    /// <summary>"Also send me drills": the subscriber is in the test audience of drills in their area.</summary>
    public bool Drills { get; set; }
    public byte[]? CodeHash { get; set; }
    public DateTimeOffset? CodeExpiresAt { get; set; }
    public int CodeAttempts { get; set; }
    /// <summary>Requested language and area (JSON), applied when the code is confirmed.</summary>
    public string? Pending { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ConfirmedAt { get; set; }
    /// <summary>Bumped on every change; the targeting index catches up from it.</summary>
    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>The code came back: the requested language and area take effect, the code is spent, alerts may come.</summary>
    public void Confirm(DateTimeOffset now)
    {
        if (Pending is { } pending) System.Text.Json.JsonSerializer.Deserialize<SubscriberPrefs>(pending)!.ApplyTo(this);
        Pending = null;
        CodeHash = null;
        CodeExpiresAt = null;
        State = SubscriberState.Confirmed;
        ConfirmedAt = now;
        ChangedAt = now;
    }

    /// <summary>Wrong tries one code survives (the address's daily count, <see cref="SubscriptionOptions.WrongCodesPerAddressPerDay"/>, spans codes).</summary>
    public const int MaxCodeAttempts = 5;
}

/// <summary>
/// What a subscriber wants: language and area (and a new channel secret, still encrypted). Kept as JSON until confirmed.
/// The circle is kept sealed (<see cref="AreaCipher"/>, base64); Lat/Lon/RadiusMeters are only read from JSON written
/// before circles were sealed and are never written.
/// </summary>
public sealed record SubscriberPrefs(string Language, int[] Zones, double? Lat, double? Lon, double? RadiusMeters, string? SecretCipher = null,
    bool Drills = false, string? AreaCipher = null)
{
    /// <summary>The same wishes with a clear circle sealed.</summary>
    public SubscriberPrefs Sealed(KeyRing keys) => SealedCircle.Of(Lat, Lon, RadiusMeters) is { } c
        ? this with { Lat = null, Lon = null, RadiusMeters = null, AreaCipher = Convert.ToBase64String(c.Seal(keys)) }
        : this with { Lat = null, Lon = null, RadiusMeters = null };

    public void ApplyTo(Subscriber s)
    {
        s.Drills = Drills;
        if (SecretCipher is not null) s.SecretCipher = Convert.FromBase64String(SecretCipher);
        s.Language = Language;
        s.Zones = string.Join(',', Zones.Distinct().Order());
        s.AreaCipher = AreaCipher is null ? null : Convert.FromBase64String(AreaCipher);
        s.CircleLat = s.CircleLon = s.CircleRadiusMeters = null;
    }
}

public static partial class Addresses
{
    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    /// <summary>The canonical form of an address, or null with a reason when it is not one.</summary>
    /// <param name="region">
    /// The country a phone number written without "+country" is read in (Whistle:Network:PhoneRegion, ISO 3166,
    /// default US): "612-555-0142" and "(612) 555-0142" are +16125550142 in the US.
    /// </param>
    public static string? Normalize(SubscriberChannel channel, string? raw, out string? error, string? region = null)
    {
        error = null;
        var a = (raw ?? "").Trim();
        switch (channel)
        {
            case SubscriberChannel.Sms:
                if (Phone(a, region) is { } e164) return e164;
                error = "A phone number such as 612-555-0142, or in international E.164 form such as +16125550142.";
                return null;
            case SubscriberChannel.Email:
                if (a.Length <= 254 && MailAddress.TryCreate(a, out var m) && m.Address == a && a.Contains('.', StringComparison.Ordinal))
                    return a.ToLowerInvariant();
                error = "An e-mail address such as name@example.org.";
                return null;
            default:
                if (a.Length <= 2000 && Uri.TryCreate(a, UriKind.Absolute, out var u)
                    && (u.Scheme == Uri.UriSchemeHttps || (u.Scheme == Uri.UriSchemeHttp && u.IsLoopback)))
                    return u.AbsoluteUri;
                error = "An https:// URL.";
                return null;
        }
    }

    private static readonly PhoneNumbers.PhoneNumberUtil Util = PhoneNumbers.PhoneNumberUtil.GetInstance();

    /// <summary>
    /// A phone number as people write it — national ("612-555-0142", "(612) 555-0142", "1 612 555 0142") in the
    /// network's country, or international ("+1 612 555 0142") — in E.164 (+16125550142), or null when it is none.
    /// Parsed by libphonenumber; only digits, spaces and + ( ) - . / are accepted, at most 32 characters.
    /// </summary>
    public static string? Phone(string? raw, string? region = null)
    {
        var a = (raw ?? "").Trim();
        if (a.Length is 0 or > 32 || !a.All(c => char.IsAsciiDigit(c) || c is '+' or ' ' or '(' or ')' or '-' or '.' or '/')) return null;
        var compact = new string(a.Where(c => c == '+' || char.IsAsciiDigit(c)).ToArray());
        try
        {
            var n = Util.Parse(a, string.IsNullOrWhiteSpace(region) ? DefaultRegion : region.Trim().ToUpperInvariant());
            if (Util.IsPossibleNumber(n) && Util.Format(n, PhoneNumbers.PhoneNumberFormat.E164) is var e164 && E164().IsMatch(e164))
                return e164;
        }
        catch (PhoneNumbers.NumberParseException) { }
        // An E.164 number libphonenumber does not know (a new range) is still taken as written, as before.
        return compact.StartsWith('+') && E164().IsMatch(compact) ? compact : null;
    }

    public const string DefaultRegion = "US";

    /// <summary>The network's phone region (Whistle:Network:PhoneRegion).</summary>
    public static string RegionOf(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Data.WhistleOptions>>().Value.Network.PhoneRegion;

    /// <summary>How a number is shown back to the person who typed it: "+1 612-555-0142".</summary>
    public static string ShowPhone(string e164)
    {
        try { return Util.Format(Util.Parse(e164, null), PhoneNumbers.PhoneNumberFormat.INTERNATIONAL); }
        catch (PhoneNumbers.NumberParseException) { return e164; }
    }

    /// <summary>The string hashed for look-ups: channel and canonical address.</summary>
    public static string LookupKey(SubscriberChannel channel, string normalized) => $"{channel}:{normalized}";

    /// <summary>Which channels an address could belong to, for calls that give the address alone.</summary>
    public static IEnumerable<SubscriberChannel> Guess(string address) =>
        address.Trim().StartsWith('+') ? [SubscriberChannel.Sms]
        : address.Contains('@') && !address.Contains("://") ? [SubscriberChannel.Email]
        : address.Contains("://") ? [SubscriberChannel.Webpush, SubscriberChannel.Webhook]
        : [SubscriberChannel.Sms];
}
