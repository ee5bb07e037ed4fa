using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Platform;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

/// <param name="Keys">Web push only: the browser's PushSubscription keys (p256dh, auth), base64url.</param>
/// <param name="Drills">"Also send me drills": the subscriber joins the test audience of drills in their area (default no).</param>
/// <param name="Secret">Webhook only: the signing secret the receiver verifies with, "whsec_" + base64 of 24–64 random bytes (Standard Webhooks).</param>
public sealed record SubscribeRequest(SubscriberChannel? Channel, string? Address, string? Language, int[]? Zones, CircleDto? Circle,
    PushKeys? Keys = null, string? Secret = null, bool? Drills = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var zones = services.GetRequiredService<ZoneRegistry>().Current;
        p.Require(Channel is not null, "channel", "sms, email, webpush or webhook.");
        if (Channel is { } c)
        {
            if (Addresses.Normalize(c, Address, out var error, Addresses.RegionOf(services)) is not { } normalized) p.Add("address", error!);
            else if (c == SubscriberChannel.Sms && services.GetRequiredService<SmsCountries>() is var countries && !countries.Allows(normalized))
                p.Add("address", countries.Refusal);
        }
        if (Channel == SubscriberChannel.Webpush)
        {
            p.Require(Keys?.P256dh is { } pk && PushKeys.Decode(pk) is { Length: 65 } point && point[0] == 4, "keys.p256dh",
                "The subscription's P-256 public key, base64url (65 bytes uncompressed), as PushSubscription.toJSON() gives it.");
            p.Require(Keys?.Auth is { } au && PushKeys.Decode(au) is { Length: 16 }, "keys.auth",
                "The subscription's 16-byte auth secret, base64url.");
        }
        if (Channel == SubscriberChannel.Webhook)
            p.Require(WebhookSecret.IsValid(Secret), "secret", "A signing secret: \"whsec_\" followed by base64 of 24 to 64 random bytes.");
        p.Require(Languages.IsKnown(Language), "language", "en, es, so or hmn.");
        p.Require(Circle is not null || Zones is { Length: > 0 }, "area", "Choose zones, a point with a radius, or both.");
        Circle?.Validate(p, "circle");
        p.Require(Zones is null || Zones.Length <= 100, "zones", "At most 100 zones.");
        foreach (var z in Zones ?? []) p.Require(zones.Exists(z), "zones", $"Unknown zone {z}.");
    }
}

public sealed record ConfirmRequest(string? Address, string? Code, SubscriberChannel? Channel) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Address) && Address.Length <= 2000, "address", "The address the code was sent to.");
        p.Require(Code is { Length: 6 } && Code.All(char.IsAsciiDigit), "code", "The 6-digit code.");
    }
}

/// <param name="Keys">Web push only: the subscription's own keys, the proof that the caller is that browser.</param>
public sealed record UnsubscribeRequest(string? Address, SubscriberChannel? Channel, PushKeys? Keys = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Address) && Address.Length <= 2000, "address", "The address to stop sending to.");
        p.Require(Keys is null || (Keys.P256dh is { Length: > 0 and <= 200 } && Keys.Auth is { Length: > 0 and <= 100 }), "keys",
            "The push subscription's keys (p256dh, auth), as PushSubscription.toJSON() gives them.");
    }
}

/// <summary>
/// The answer to a sign-up or an unsubscribe request, the same for every address, known or not: it names no
/// subscriber (ids would tell who is subscribed and how many are).
/// </summary>
public sealed record SubscriptionAccepted(string Status)
{
    public static readonly SubscriptionAccepted Pending = new("pending");
    /// <summary>A phone number as it was understood, shown back ("+1 612-555-0142"): what the caller typed, never who is subscribed.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? To { get; init; }
}

/// <summary>A browser's push subscription keys, as PushSubscription.toJSON().keys gives them.</summary>
public sealed record PushKeys(string? P256dh, string? Auth)
{
    /// <summary>Whether stored keys (JSON) are the given ones, compared in constant time.</summary>
    public static bool SameAs(string storedJson, PushKeys given)
    {
        var stored = JsonSerializer.Deserialize<PushKeys>(storedJson);
        static byte[] Bytes(string? v) => v is null ? [] : Decode(v) ?? [];
        return stored is not null && Bytes(stored.P256dh) is { Length: > 0 } p && Bytes(stored.Auth) is { Length: > 0 } a
               && CryptographicOperations.FixedTimeEquals(p, Bytes(given.P256dh)) && CryptographicOperations.FixedTimeEquals(a, Bytes(given.Auth));
    }

    public static byte[]? Decode(string value)
    {
        try { return Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(value.Trim().TrimEnd('=')); }
        catch (FormatException) { return null; }
    }
}

/// <summary>Standard Webhooks signing secrets: "whsec_" + base64 of the key bytes.</summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";

    public static byte[]? Key(string? secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        try { return Convert.FromBase64String(secret[Prefix.Length..]); }
        catch (FormatException) { return null; }
    }

    public static bool IsValid(string? secret) => Key(secret) is { Length: >= 24 and <= 64 };
}
public sealed record SubscriptionConfirmed(string State);

/// <summary>
/// The token in an e-mail's one-click unsubscribe link: the subscriber id and a keyed MAC of it
/// ("{id}.{base64url(HMAC)}"), so the link needs no state and cannot be made for another subscriber.
/// </summary>
public static class UnsubscribeToken
{
    public static string For(KeyRing keys, long subscriberId) =>
        $"{subscriberId}.{Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(Mac(keys, subscriberId))}";

    /// <summary>The subscriber id the token names, or null when it is not one this server made.</summary>
    public static long? Verify(KeyRing keys, string? token)
    {
        if (token is not { Length: > 2 and < 100 }) return null;
        var dot = token.IndexOf('.');
        if (dot < 1 || !long.TryParse(token.AsSpan(0, dot), System.Globalization.NumberStyles.None, null, out var id)) return null;
        byte[] given;
        try { given = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(token[(dot + 1)..]); }
        catch (FormatException) { return null; }
        return CryptographicOperations.FixedTimeEquals(given, Mac(keys, id)) ? id : null;
    }

    private static byte[] Mac(KeyRing keys, long subscriberId) => keys.Hash($"unsubscribe:{subscriberId}");
}

public static class SubscriptionsApi
{
    public static RouteGroupBuilder MapSubscriptions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/subscriptions").WithTags("Subscriptions").WithValidation()
            .RequireRateLimiting(RateLimits.Subscriptions).AllowAnonymous();
        group.MapPost("/", SubscribeAsync);
        group.MapPost("/confirm", ConfirmAsync);
        group.MapPost("/unsubscribe", UnsubscribeAsync);
        group.MapPost("/unsubscribe/confirm", UnsubscribeConfirmAsync);
        // RFC 8058 one-click unsubscribe from an e-mail's List-Unsubscribe header: a mail client POSTs
        // "List-Unsubscribe=One-Click" with no cookie or token of ours; a GET (a link scanner, or a
        // person following the link in the body) only shows a button that POSTs the same form. Not rate
        // limited: a big mail provider posts many subscribers' clicks from one address, and a token
        // cannot be guessed.
        group.MapPost("/one-click", OneClickAsync).DisableAntiforgery().DisableRateLimiting().ExcludeFromDescription();
        group.MapGet("/one-click", OneClickPage).DisableRateLimiting().ExcludeFromDescription();
        routes.MapCodeLimits();
        return group;
    }

    /// <summary>
    /// Starts (or changes) a subscription: nothing is sent to the address but a code until the code
    /// comes back. The answer is the same whether or not the address was known.
    /// </summary>
    private static async Task<Results<Accepted<SubscriptionAccepted>, ProblemHttpResult>> SubscribeAsync(
        SubscribeRequest req, WhistleDb db, KeyRing keys, TimeProvider time, DeliverySignal signal, IOptions<WhistleOptions> options,
        CancellationToken ct)
    {
        var o = options.Value.Subscriptions;
        var now = time.GetUtcNow();
        var channel = req.Channel!.Value;
        var address = Addresses.Normalize(channel, req.Address, out _, options.Value.Network.PhoneRegion)!;
        var hash = keys.Hash(Addresses.LookupKey(channel, address));
        var sub = await db.Subscribers.FirstOrDefaultAsync(s => s.AddressHash == hash, ct);
        // At most one code a minute to an address (a repeat within the minute changes the request, sends nothing),
        // and at most so many a day and so many a channel an hour: the form cannot flood a phone or a bill.
        bool sendCode = sub?.CodeExpiresAt is not { } exp || exp - o.CodeLifetime < now.AddMinutes(-1);
        if (sendCode && await CodeLimits.TakeAsync(db, keys, o, channel, hash, now, ct) is var grant && grant != CodeGrant.Granted)
            return TooManyCodes(grant);
        if (sub is null)
        {
            sub = new Subscriber { Channel = channel, AddressHash = hash, State = SubscriberState.Pending, CreatedAt = now, Language = req.Language! };
            db.Subscribers.Add(sub);
        }
        if (sub.State == SubscriberState.Unsubscribed) sub.State = SubscriberState.Pending;
        sub.AddressCipher ??= keys.Encrypt(address, Purpose.SubscriberAddress);
        // The channel's secret (push keys, webhook secret) takes effect now for a new address, and for
        // a confirmed one only when the code comes back, like the rest of the change.
        var secret = channel switch
        {
            SubscriberChannel.Webpush => JsonSerializer.Serialize(req.Keys),
            SubscriberChannel.Webhook => req.Secret,
            _ => null,
        };
        byte[]? secretCipher = secret is null ? null : keys.Encrypt(secret, Purpose.SubscriberSecret);
        if (sub.State != SubscriberState.Confirmed) sub.SecretCipher = secretCipher;
        // The circle is sealed before it is stored anywhere, the pending change included.
        var prefs = new SubscriberPrefs(req.Language!, req.Zones ?? [], null, null, null,
            secretCipher is null ? null : Convert.ToBase64String(secretCipher), req.Drills == true,
            SealedCircle.Of(req.Circle?.Lat, req.Circle?.Lon, req.Circle?.RadiusMeters) is { } circle ? Convert.ToBase64String(circle.Seal(keys)) : null);
        sub.Pending = JsonSerializer.Serialize(prefs);
        string? code = null;
        if (sendCode)
        {
            code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
            sub.CodeExpiresAt = now + o.CodeLifetime;
            sub.CodeAttempts = 0;
        }
        sub.ChangedAt = now;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        if (code is not null)
        {
            sub.CodeHash = CodeHash(keys, sub.Id, code);
            await EnqueueDirectAsync(db, sub, "confirm.code", req.Language!, now, ct, ("code", code));
        }
        await tx.CommitAsync(ct);
        signal.Poke();
        return TypedResults.Accepted((string?)null, SubscriptionAccepted.Pending with
        {
            To = channel == SubscriberChannel.Sms ? Addresses.ShowPhone(address) : null,
        });
    }

    public static ProblemHttpResult TooManyCodes(CodeGrant grant) => TypedResults.Problem(statusCode: 429, title: "Too many codes",
        detail: grant == CodeGrant.AddressFull
            ? "This address has been sent as many codes as it may be today. Try again tomorrow."
            : "Too many codes are being sent right now. Try again in an hour.");

    private static ProblemHttpResult CodeNotAccepted(string again) => TypedResults.Problem(statusCode: 400, title: "Code not accepted",
        detail: $"That code is wrong or has expired. {again}");

    /// <summary>
    /// Whether the code given for the address is the live one of the kind (subscribe or unsubscribe). A wrong
    /// code counts against the code (5 tries) and against the address's day (across re-issued codes), and an
    /// address past its day's wrong codes has no code accepted until the next day.
    /// </summary>
    private static async Task<bool> CheckCodeAsync(WhistleDb db, KeyRing keys, SubscriptionOptions o, Subscriber? sub, byte[] addressHash,
        string code, Func<long, byte[]> expected, DateTimeOffset now, CancellationToken ct)
    {
        if (!await CodeLimits.MayTryAsync(db, o, addressHash, now, ct)) return false;
        if (sub?.CodeHash is { } live && sub.CodeExpiresAt >= now && sub.CodeAttempts < Subscriber.MaxCodeAttempts
            && CryptographicOperations.FixedTimeEquals(live, expected(sub.Id)))
            return true;
        if (sub?.CodeHash is not null)
        {
            sub.CodeAttempts++;
            await db.SaveChangesAsync(ct);
        }
        await CodeLimits.WrongAsync(db, addressHash, now, ct);
        return false;
    }

    private static async Task<Results<Ok<SubscriptionConfirmed>, ProblemHttpResult>> ConfirmAsync(
        ConfirmRequest req, WhistleDb db, KeyRing keys, TimeProvider time, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (sub, hash, _, _) = await FindAsync(db, keys, req.Address!, req.Channel, options.Value.Network.PhoneRegion, ct);
        if (hash is null || !await CheckCodeAsync(db, keys, options.Value.Subscriptions, sub, hash, req.Code!,
                id => CodeHash(keys, id, req.Code!), now, ct))
            return CodeNotAccepted("Ask for a new one by subscribing again.");
        sub!.Confirm(now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new SubscriptionConfirmed("confirmed"));
    }

    /// <summary>
    /// Asks to stop. Only the owner of the address may: an SMS STOP, the e-mail's one-click link, a web push
    /// subscription's own keys (stops at once), or the code this sends to the address, typed back at
    /// <c>/unsubscribe/confirm</c>. The answer is the same for every address, known or not.
    /// </summary>
    private static async Task<Results<Accepted<SubscriptionAccepted>, ProblemHttpResult>> UnsubscribeAsync(
        UnsubscribeRequest req, WhistleDb db, KeyRing keys, TimeProvider time, DeliverySignal signal, SmsCountries countries,
        IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var o = options.Value.Subscriptions;
        var now = time.GetUtcNow();
        var accepted = TypedResults.Accepted((string?)null, SubscriptionAccepted.Pending);
        var (sub, hash, channel, address) = await FindAsync(db, keys, req.Address!, req.Channel, options.Value.Network.PhoneRegion, ct);
        if (hash is null) return accepted;
        if (req.Keys is { } given || channel == SubscriberChannel.Webpush)
        {
            // A browser cannot read a code: its subscription's keys are its proof.
            if (req.Keys is not null && sub is { Channel: SubscriberChannel.Webpush, SecretCipher: { } cipher }
                && PushKeys.SameAs(keys.Decrypt(cipher, Purpose.SubscriberSecret), req.Keys))
                await StopAsync(db, sub, now, signal, ct);
            return accepted;
        }
        if (channel == SubscriberChannel.Sms && !countries.Allows(address!)) return accepted;
        // Counted for every address, so a known one costs the same as an unknown one and the answer is the same.
        if (await CodeLimits.TakeAsync(db, keys, o, channel, hash, now, ct) is var grant && grant != CodeGrant.Granted)
            return TooManyCodes(grant);
        if (sub is null || sub.State == SubscriberState.Unsubscribed) return accepted;
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        sub.CodeHash = UnsubscribeCodeHash(keys, sub.Id, code);
        sub.CodeExpiresAt = now + o.CodeLifetime;
        sub.CodeAttempts = 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await EnqueueDirectAsync(db, sub, "unsubscribe.code", sub.Language, now, ct, ("code", code));
        await tx.CommitAsync(ct);
        signal.Poke();
        return accepted;
    }

    /// <summary>The code sent by <c>/unsubscribe</c> came back: stops, and says so once on the same channel.</summary>
    private static async Task<Results<Ok<SubscriptionConfirmed>, ProblemHttpResult>> UnsubscribeConfirmAsync(
        ConfirmRequest req, WhistleDb db, KeyRing keys, TimeProvider time, DeliverySignal signal, IOptions<WhistleOptions> options,
        CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (sub, hash, _, _) = await FindAsync(db, keys, req.Address!, req.Channel, options.Value.Network.PhoneRegion, ct);
        if (hash is null || !await CheckCodeAsync(db, keys, options.Value.Subscriptions, sub, hash, req.Code!,
                id => UnsubscribeCodeHash(keys, id, req.Code!), now, ct))
            return CodeNotAccepted("Ask for a new one on the unsubscribe page.");
        sub!.CodeExpiresAt = null;
        await StopAsync(db, sub, now, signal, ct);
        return TypedResults.Ok(new SubscriptionConfirmed("unsubscribed"));
    }

    private static async Task StopAsync(WhistleDb db, Subscriber sub, DateTimeOffset now, DeliverySignal signal, CancellationToken ct)
    {
        if (sub.State == SubscriberState.Unsubscribed) return;
        bool wasConfirmed = sub.State == SubscriberState.Confirmed;
        sub.State = SubscriberState.Unsubscribed;
        sub.Pending = null;
        sub.CodeHash = null;
        sub.ChangedAt = now;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        if (wasConfirmed) await EnqueueDirectAsync(db, sub, "unsubscribed", sub.Language, now, ct);
        await tx.CommitAsync(ct);
        signal.Poke();
    }

    private static ProblemHttpResult BadToken() => TypedResults.Problem(statusCode: 400, title: "Unsubscribe link not valid",
        detail: "This unsubscribe link is damaged or was not made by this server. Use the link in the most recent alert.");

    /// <summary>Stops the subscriber the token names at once (idempotent), as RFC 8058 asks.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> OneClickAsync(
        string? token, WhistleDb db, KeyRing keys, TimeProvider time, DeliverySignal signal, CancellationToken ct)
    {
        if (UnsubscribeToken.Verify(keys, token) is not { } id) return BadToken();
        if (await db.Subscribers.FirstOrDefaultAsync(s => s.Id == id, ct) is { } sub)
            await StopAsync(db, sub, time.GetUtcNow(), signal, ct);
        return TypedResults.Content(Page("Unsubscribed", "<p>You will not receive alerts any more.</p>"), "text/html; charset=utf-8");
    }

    /// <summary>A GET changes nothing (link scanners follow links): it offers a button that POSTs the one-click form.</summary>
    private static Results<ContentHttpResult, ProblemHttpResult> OneClickPage(string? token, KeyRing keys)
    {
        if (UnsubscribeToken.Verify(keys, token) is null) return BadToken();
        var action = System.Net.WebUtility.HtmlEncode("?token=" + Uri.EscapeDataString(token!));
        return TypedResults.Content(Page("Unsubscribe", $"""
            <form method="post" action="{action}">
              <input type="hidden" name="List-Unsubscribe" value="One-Click">
              <button type="submit">Stop sending me alerts</button>
            </form>
            """), "text/html; charset=utf-8");
    }

    private static string Page(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>{title}</title></head>
        <body><h1>{title}</h1>
        {body}
        </body></html>
        """;

    /// <summary>
    /// The subscriber at the address, and the address's blind index, channel and canonical form (of the first
    /// channel it could belong to when none was found; a null hash when it is no address at all).
    /// </summary>
    private static async Task<(Subscriber? Sub, byte[]? Hash, SubscriberChannel Channel, string? Address)> FindAsync(
        WhistleDb db, KeyRing keys, string address, SubscriberChannel? channel, string region, CancellationToken ct)
    {
        (Subscriber?, byte[]?, SubscriberChannel, string?) first = (null, null, SubscriberChannel.Sms, null);
        foreach (var c in channel is { } only ? [only] : Addresses.Guess(address))
        {
            if (Addresses.Normalize(c, address, out _, region) is not { } normalized) continue;
            var hash = keys.Hash(Addresses.LookupKey(c, normalized));
            if (await db.Subscribers.FirstOrDefaultAsync(s => s.AddressHash == hash, ct) is { } sub) return (sub, hash, c, normalized);
            if (first.Item2 is null) first = (null, hash, c, normalized);
        }
        return first;
    }

    public static byte[] CodeHash(KeyRing keys, long subscriberId, string code) => keys.Hash($"code:{subscriberId}:{code}");

    /// <summary>An unsubscribe code is hashed apart from a sign-up code, so neither is accepted for the other.</summary>
    public static byte[] UnsubscribeCodeHash(KeyRing keys, long subscriberId, string code) => keys.Hash($"unsubscribe-code:{subscriberId}:{code}");

    /// <summary>A message that is not an alert (a code, a notice), in the outbox in the caller's transaction.</summary>
    public static async Task EnqueueDirectAsync(WhistleDb db, Subscriber sub, string templateKey, string language,
        DateTimeOffset now, CancellationToken ct, params (string Key, string Value)[] values)
    {
        var templates = TemplateSet.From(await db.Templates.AsNoTracking().Where(t => t.Key == templateKey).ToListAsync(ct));
        var text = TemplateSet.Fill(templates.Get(language, templateKey), values.ToDictionary(v => v.Key, v => v.Value));
        db.Messages.Add(new DirectMessage
        {
            SubscriberId = sub.Id,
            Channel = sub.Channel,
            State = DeliveryState.Pending,
            NextAttemptAt = now,
            Body = text,
        });
        await db.SaveChangesAsync(ct);
    }
}
