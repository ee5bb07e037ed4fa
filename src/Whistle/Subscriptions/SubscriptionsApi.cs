using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Platform;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

/// <param name="Keys">Web push only: the browser's PushSubscription keys (p256dh, auth), base64url.</param>
/// <param name="Secret">Webhook only: the signing secret the receiver verifies with, "whsec_" + base64 of 24–64 random bytes (Standard Webhooks).</param>
public sealed record SubscribeRequest(SubscriberChannel? Channel, string? Address, string? Language, int[]? Zones, CircleDto? Circle,
    PushKeys? Keys = null, string? Secret = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var zones = services.GetRequiredService<ZoneRegistry>().Current;
        p.Require(Channel is not null, "channel", "sms, email, webpush or webhook.");
        if (Channel is { } c && Addresses.Normalize(c, Address, out var error) is null) p.Add("address", error!);
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

public sealed record UnsubscribeRequest(string? Address, SubscriberChannel? Channel) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) =>
        p.Require(!string.IsNullOrWhiteSpace(Address) && Address.Length <= 2000, "address", "The address to stop sending to.");
}

public sealed record SubscriptionAccepted(long Id);

/// <summary>A browser's push subscription keys, as PushSubscription.toJSON().keys gives them.</summary>
public sealed record PushKeys(string? P256dh, string? Auth)
{
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
public sealed record SubscriptionConfirmed(long Id, string State);

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
        // RFC 8058 one-click unsubscribe from an e-mail's List-Unsubscribe header: a mail client POSTs
        // "List-Unsubscribe=One-Click" with no cookie or token of ours; a GET (a link scanner, or a
        // person following the link in the body) only shows a button that POSTs the same form. Not rate
        // limited: a big mail provider posts many subscribers' clicks from one address, and a token
        // cannot be guessed.
        group.MapPost("/one-click", OneClickAsync).DisableAntiforgery().DisableRateLimiting().ExcludeFromDescription();
        group.MapGet("/one-click", OneClickPage).DisableRateLimiting().ExcludeFromDescription();
        return group;
    }

    /// <summary>
    /// Starts (or changes) a subscription: nothing is sent to the address but a code until the code
    /// comes back. The answer is the same whether or not the address was known.
    /// </summary>
    private static async Task<Accepted<SubscriptionAccepted>> SubscribeAsync(
        SubscribeRequest req, WhistleDb db, KeyRing keys, TimeProvider time, DeliverySignal signal, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var channel = req.Channel!.Value;
        var address = Addresses.Normalize(channel, req.Address, out _)!;
        var hash = keys.Hash(Addresses.LookupKey(channel, address));
        var sub = await db.Subscribers.FirstOrDefaultAsync(s => s.AddressHash == hash, ct);
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
        var prefs = new SubscriberPrefs(req.Language!, req.Zones ?? [], req.Circle?.Lat, req.Circle?.Lon, req.Circle?.RadiusMeters,
            secretCipher is null ? null : Convert.ToBase64String(secretCipher));
        sub.Pending = JsonSerializer.Serialize(prefs);
        // At most one code a minute to an address, so the form cannot be used to flood someone's phone.
        bool sendCode = sub.CodeExpiresAt is not { } exp || exp - Subscriber.CodeLifetime < now.AddMinutes(-1);
        string? code = null;
        if (sendCode)
        {
            code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
            sub.CodeExpiresAt = now + Subscriber.CodeLifetime;
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
        return TypedResults.Accepted((string?)null, new SubscriptionAccepted(sub.Id));
    }

    private static async Task<Results<Ok<SubscriptionConfirmed>, ProblemHttpResult>> ConfirmAsync(
        ConfirmRequest req, WhistleDb db, KeyRing keys, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var sub = await FindAsync(db, keys, req.Address!, req.Channel, ct);
        var invalid = TypedResults.Problem(statusCode: 400, title: "Code not accepted",
            detail: "That code is wrong or has expired. Ask for a new one by subscribing again.");
        if (sub?.CodeHash is null || sub.CodeExpiresAt < now || sub.CodeAttempts >= Subscriber.MaxCodeAttempts)
            return invalid;
        if (!CryptographicOperations.FixedTimeEquals(sub.CodeHash, CodeHash(keys, sub.Id, req.Code!)))
        {
            sub.CodeAttempts++;
            await db.SaveChangesAsync(ct);
            return invalid;
        }
        sub.Confirm(now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new SubscriptionConfirmed(sub.Id, "confirmed"));
    }

    /// <summary>Stops at once, like an SMS STOP, and says so once on the same channel.</summary>
    private static async Task<Accepted> UnsubscribeAsync(
        UnsubscribeRequest req, WhistleDb db, KeyRing keys, TimeProvider time, DeliverySignal signal, CancellationToken ct)
    {
        var sub = await FindAsync(db, keys, req.Address!, req.Channel, ct);
        if (sub is not null) await StopAsync(db, sub, time.GetUtcNow(), signal, ct);
        return TypedResults.Accepted((string?)null);
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

    private static async Task<Subscriber?> FindAsync(WhistleDb db, KeyRing keys, string address, SubscriberChannel? channel, CancellationToken ct)
    {
        foreach (var c in channel is { } only ? [only] : Addresses.Guess(address))
        {
            if (Addresses.Normalize(c, address, out _) is not { } normalized) continue;
            var hash = keys.Hash(Addresses.LookupKey(c, normalized));
            if (await db.Subscribers.FirstOrDefaultAsync(s => s.AddressHash == hash, ct) is { } sub) return sub;
        }
        return null;
    }

    public static byte[] CodeHash(KeyRing keys, long subscriberId, string code) => keys.Hash($"code:{subscriberId}:{code}");

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
