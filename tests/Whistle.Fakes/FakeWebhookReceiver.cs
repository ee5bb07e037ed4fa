using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whistle.Fakes;

/// <summary>A delivery the receiver verified: Standard Webhooks headers and the raw JSON body.</summary>
public sealed record FakeWebhook(string Path, string Id, long Timestamp, string Body, DateTimeOffset ReceivedAt);

/// <summary>
/// A webhook receiver over real HTTP, as a subscriber's relay bot would run one: it verifies each
/// request's Standard Webhooks signature with its secret (401 when it does not match or the timestamp
/// is more than five minutes off), records what it verified, and answers as told (500/429 for the
/// next requests, or 410 for a hook that is gone).
/// </summary>
public sealed class FakeWebhookReceiver : IAsyncDisposable
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private readonly WebApplication _app;
    private readonly byte[] _key;

    /// <summary>"whsec_" + base64 of 32 random bytes, unless given.</summary>
    public string Secret { get; }
    public string BaseUrl { get; private set; } = "";
    public ConcurrentQueue<FakeWebhook> Received { get; } = new();
    /// <summary>Every request: when, its webhook-id, and the status answered.</summary>
    public ConcurrentQueue<(DateTimeOffset At, string Id, int Status)> Requests { get; } = new();
    /// <summary>Status codes to answer verified requests with, one each, before accepting again (429 says Retry-After: 1).</summary>
    public ConcurrentQueue<int> NextFailures { get; } = new();
    /// <summary>Paths that answer 410 Gone.</summary>
    public ConcurrentDictionary<string, bool> Gone { get; } = new();

    private FakeWebhookReceiver(WebApplication app, string secret)
    {
        _app = app;
        Secret = secret;
        _key = Convert.FromBase64String(secret["whsec_".Length..]);
    }

    public static async Task<FakeWebhookReceiver> StartAsync(string? secret = null, int port = 0)
    {
        var app = FakeHost.Create(port);
        var fake = new FakeWebhookReceiver(app, secret ?? "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        app.MapPost("/{**path}", fake.ReceiveAsync);
        fake.BaseUrl = await FakeHost.StartAsync(app);
        return fake;
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        var at = DateTimeOffset.UtcNow;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = request.Headers["webhook-id"].ToString();
        int status = Verify(id, request.Headers["webhook-timestamp"].ToString(), request.Headers["webhook-signature"].ToString(), body, at, out var timestamp)
            ? Gone.ContainsKey(request.Path) ? 410
            : NextFailures.TryDequeue(out var failure) ? failure
            : 204
            : 401;
        Requests.Enqueue((at, id, status));
        if (status == 204) Received.Enqueue(new FakeWebhook(request.Path, id, timestamp, body, at));
        if (status == 429) request.HttpContext.Response.Headers.RetryAfter = "1";
        return Results.StatusCode(status);
    }

    /// <summary>Standard Webhooks verification: any "v1,&lt;base64 HMAC-SHA256 of id.timestamp.body&gt;" in the header matches, in constant time.</summary>
    private bool Verify(string id, string timestampHeader, string signatures, string body, DateTimeOffset now, out long timestamp)
    {
        if (id.Length == 0 || !long.TryParse(timestampHeader, out timestamp)) { timestamp = 0; return false; }
        if ((now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > Tolerance) return false;
        var expected = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = candidate.Split(',', 2);
            if (parts.Length != 2 || parts[0] != "v1") continue;
            byte[] given;
            try { given = Convert.FromBase64String(parts[1]); }
            catch (FormatException) { continue; }
            if (CryptographicOperations.FixedTimeEquals(given, expected)) return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
