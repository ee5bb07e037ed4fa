using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whistle.Fakes;

/// <summary>A browser's push subscription, as PushSubscription.toJSON() gives it to a page (keys base64url).</summary>
public sealed record FakePushSubscription(string Id, string Endpoint, string P256dh, string Auth);

/// <summary>A push the service accepted, decrypted as the subscribed browser would.</summary>
public sealed record FakePush(string SubscriptionId, string Json, string? Topic, string? Urgency, int Ttl, DateTimeOffset ReceivedAt)
{
    public JsonElement Payload => JsonDocument.Parse(Json).RootElement;
}

/// <summary>
/// A local push service (RFC 8030) and the browsers subscribed to it, over real HTTP: checks each
/// push's VAPID signature (RFC 8292) and decrypts its body (RFC 8291) with the subscription's own
/// keys, records it, and answers as told (404/410 for a dropped subscription, 429 or 500).
/// </summary>
public sealed class FakePushService : IAsyncDisposable
{
    private sealed record Browser(ECDiffieHellman Key, byte[] Auth);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Browser> _browsers = new();
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly ConcurrentQueue<int> _nextFailures = new();

    public string BaseUrl { get; private set; } = "";
    /// <summary>The push service's origin, the audience a VAPID token must name.</summary>
    public string Origin { get; private set; } = "";
    /// <summary>When set, the application server key the subscriptions were made with: pushes signed with another key get 403.</summary>
    public string? ExpectedApplicationServerKey { get; set; }
    public ConcurrentQueue<FakePush> Received { get; } = new();
    /// <summary>Every request, accepted or not: when it arrived and the status it got.</summary>
    public ConcurrentQueue<(string SubscriptionId, DateTimeOffset At, int Status, string? Error)> Requests { get; } = new();

    private FakePushService(WebApplication app) => _app = app;

    public static async Task<FakePushService> StartAsync(int port = 0)
    {
        var app = FakeHost.Create(port);
        var fake = new FakePushService(app);
        app.MapPost("/push/{id}", fake.PushAsync);
        fake.BaseUrl = await FakeHost.StartAsync(app);
        fake.Origin = new Uri(fake.BaseUrl).GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);
        return fake;
    }

    /// <summary>What pushManager.subscribe() makes in a browser: an endpoint, a fresh P-256 key pair and a 16-byte auth secret.</summary>
    public FakePushSubscription NewSubscription()
    {
        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        _browsers[id] = new Browser(key, auth);
        var q = key.ExportParameters(false).Q;
        return new FakePushSubscription(id, $"{BaseUrl}/push/{id}", Base64Url.EncodeToString([0x04, .. q.X!, .. q.Y!]), Base64Url.EncodeToString(auth));
    }

    /// <summary>From now on answer every push to the subscription with this status (404 or 410: the browser dropped it).</summary>
    public void Answer(string subscriptionId, int status) => _answers[subscriptionId] = status;

    /// <summary>Answer the next <paramref name="count"/> pushes (to any subscription) with 429 (and Retry-After: 1) or 500.</summary>
    public void FailNext(int status, int count = 1)
    {
        for (int i = 0; i < count; i++) _nextFailures.Enqueue(status);
    }

    public IEnumerable<FakePush> To(FakePushSubscription sub) => Received.Where(p => p.SubscriptionId == sub.Id);

    private async Task<IResult> PushAsync(string id, HttpRequest request)
    {
        var at = DateTimeOffset.UtcNow;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        IResult Refuse(int status, string error)
        {
            Requests.Enqueue((id, at, status, error));
            return Results.Problem(statusCode: status, title: error);
        }

        if (!_browsers.TryGetValue(id, out var browser)) return Refuse(404, "no such subscription");
        if (_answers.TryGetValue(id, out var answer)) return Refuse(answer, "subscription expired or unsubscribed");
        if (_nextFailures.TryDequeue(out var failure))
        {
            if (failure == 429) request.HttpContext.Response.Headers.RetryAfter = "1";
            return Refuse(failure, failure == 429 ? "too many requests" : "internal error");
        }
        if (CheckVapid(request.Headers.Authorization.ToString(), at) is { } refused) return Refuse(refused.Status, refused.Error);
        if (request.Headers.ContentEncoding.ToString() != "aes128gcm") return Refuse(415, "Content-Encoding must be aes128gcm");
        if (!int.TryParse(request.Headers["TTL"].ToString(), out var ttl) || ttl < 0) return Refuse(400, "TTL header missing or invalid");
        var topic = request.Headers["Topic"].FirstOrDefault();
        if (topic is not null && (topic.Length > 32 || !topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            return Refuse(400, "Topic must be at most 32 characters of URL-safe base64");
        var urgency = request.Headers["Urgency"].FirstOrDefault();
        if (urgency is not null and not ("very-low" or "low" or "normal" or "high")) return Refuse(400, "unknown Urgency");
        var body = buffer.ToArray();
        if (body.Length > 4096) return Refuse(413, "payload too large");

        string json;
        try
        {
            json = Encoding.UTF8.GetString(WebPushDecryption.Decrypt(body, browser.Key, browser.Auth));
            using var _ = JsonDocument.Parse(json);
        }
        catch (Exception e) when (e is CryptographicException or JsonException or ArgumentException)
        {
            return Refuse(400, $"the browser could not read the message: {e.Message}");
        }
        Requests.Enqueue((id, at, 201, null));
        Received.Enqueue(new FakePush(id, json, topic, urgency, ttl, at));
        request.HttpContext.Response.Headers.Location = $"{BaseUrl}/message/{Guid.NewGuid():N}";
        return Results.StatusCode(201);
    }

    /// <summary>RFC 8292: "vapid t=&lt;JWT&gt;, k=&lt;key&gt;", an ES256 JWT valid under k, for this origin, not expired, at most 24 h ahead, with a contact.</summary>
    private (int Status, string Error)? CheckVapid(string authorization, DateTimeOffset now)
    {
        if (!authorization.StartsWith("vapid ", StringComparison.OrdinalIgnoreCase)) return (401, "VAPID authorization required");
        var parameters = authorization[6..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].ToLowerInvariant(), p => p[1]);
        if (!parameters.TryGetValue("t", out var token) || !parameters.TryGetValue("k", out var k)) return (401, "t and k are required");
        try
        {
            var point = Base64Url.DecodeFromChars(k);
            if (point is not { Length: 65 } || point[0] != 0x04) return (401, "k is not an uncompressed P-256 point");
            var parts = token.Split('.');
            if (parts.Length != 3) return (401, "t is not a JWT");
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            if (header.RootElement.GetProperty("alg").GetString() != "ES256") return (401, "JWT alg must be ES256");
            using var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..] },
            });
            if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]),
                    HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return (401, "JWT signature does not verify under k");
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var c = claims.RootElement;
            if (!c.TryGetProperty("aud", out var aud) || aud.GetString() != Origin) return (401, $"aud must be {Origin}");
            if (!c.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number) return (401, "exp is required");
            var expires = DateTimeOffset.FromUnixTimeSeconds(exp.GetInt64());
            if (expires <= now) return (401, "token expired");
            if (expires > now.AddHours(24)) return (401, "exp more than 24 hours ahead");
            if (!c.TryGetProperty("sub", out var sub) || string.IsNullOrWhiteSpace(sub.GetString())) return (401, "sub is required");
            if (ExpectedApplicationServerKey is { } expected && k != expected)
                return (403, "not the application server key this subscription was made with");
            return null;
        }
        catch (Exception e) when (e is FormatException or JsonException or CryptographicException or KeyNotFoundException or InvalidOperationException)
        {
            return (401, $"malformed VAPID credentials: {e.GetType().Name}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var b in _browsers.Values) b.Key.Dispose();
    }
}
