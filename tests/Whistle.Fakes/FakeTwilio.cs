using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Security.Cryptography;

namespace Whistle.Fakes;

public sealed record FakeSms(string Sid, string To, string From, string Body, string StatusCallback, DateTimeOffset ReceivedAt);

/// <summary>
/// A local stand-in for Twilio's Messages API over real HTTP: checks the account's Basic credentials,
/// records each message, answers as told (429, 500, an invalid number), and sends signed status
/// callbacks when the test asks — as Twilio does, to the StatusCallback URL of the message.
/// </summary>
public sealed class FakeTwilio : IAsyncDisposable
{
    public const string AccountSid = "ACfake00000000000000000000000000";
    public const string AuthToken = "fake-twilio-auth-token";
    private readonly WebApplication _app;
    private readonly HttpClient _callbacks = new();

    public ConcurrentQueue<FakeSms> Received { get; } = new();
    /// <summary>When each request arrived, accepted or not.</summary>
    public ConcurrentQueue<(DateTimeOffset At, string To, int Status)> Requests { get; } = new();
    /// <summary>Status codes to answer with, one request each, before accepting again.</summary>
    public ConcurrentQueue<int> NextFailures { get; } = new();
    public ConcurrentDictionary<string, bool> InvalidNumbers { get; } = new();
    /// <summary>How many of the next requests to hold without answering until the caller gives up (a timeout).</summary>
    public int HangNext;
    /// <summary>False for a benchmark: count messages and keep the first thousand's arrival times, not every message.</summary>
    public bool KeepMessages { get; set; } = true;
    private long _accepted;
    public long Accepted => Interlocked.Read(ref _accepted);
    /// <summary>Arrival time of the first 1,000 accepted messages.</summary>
    public ConcurrentQueue<DateTimeOffset> FirstThousand { get; } = new();
    public const string SignatureHeader = "X-Twilio-Signature";
    public string BaseUrl { get; private set; } = "";

    private FakeTwilio(WebApplication app) => _app = app;

    public static async Task<FakeTwilio> StartAsync(int port = 0)
    {
        var app = FakeHost.Create(port);
        var fake = new FakeTwilio(app);
        app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", fake.CreateMessageAsync);
        fake.BaseUrl = await FakeHost.StartAsync(app);
        return fake;
    }

    private async Task<IResult> CreateMessageAsync(string sid, HttpRequest request)
    {
        var at = DateTimeOffset.UtcNow;
        var expected = "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes($"{AccountSid}:{AuthToken}"));
        if (sid != AccountSid || request.Headers.Authorization != expected)
            return Results.Json(new { code = 20003, message = "Authenticate", status = 401 }, statusCode: 401);
        var form = await request.ReadFormAsync();
        if (Interlocked.Decrement(ref HangNext) >= 0)
        {
            Requests.Enqueue((at, form["To"].ToString(), 0));
            await Task.Delay(Timeout.Infinite, request.HttpContext.RequestAborted).ContinueWith(_ => { });
            return Results.Empty;
        }
        Interlocked.CompareExchange(ref HangNext, 0, -1);
        if (NextFailures.TryDequeue(out var failure))
        {
            Requests.Enqueue((at, form["To"].ToString(), failure));
            if (failure == 429) request.HttpContext.Response.Headers.RetryAfter = "1";
            return Results.Json(new { code = failure == 429 ? 20429 : 20500, message = "try later", status = failure }, statusCode: failure);
        }
        if (!KeepMessages)
        {
            if (Interlocked.Increment(ref _accepted) <= 1000) FirstThousand.Enqueue(at);
            return Results.Json(new { sid = "SM" + Guid.NewGuid().ToString("N"), status = "queued" }, statusCode: 201);
        }
        Requests.Enqueue((at, form["To"].ToString(), InvalidNumbers.ContainsKey(form["To"].ToString()) ? 400 : 201));
        if (InvalidNumbers.ContainsKey(form["To"].ToString()))
            return Results.Json(new { code = 21211, message = "The 'To' number is not a valid phone number.", status = 400 }, statusCode: 400);
        var sms = new FakeSms("SM" + Guid.NewGuid().ToString("N"), form["To"]!, form["From"]!, form["Body"]!, form["StatusCallback"]!, DateTimeOffset.UtcNow);
        Received.Enqueue(sms);
        if (Interlocked.Increment(ref _accepted) <= 1000) FirstThousand.Enqueue(at);
        return Results.Json(new { sid = sms.Sid, status = "queued", to = sms.To, from = sms.From, body = sms.Body }, statusCode: 201);
    }

    /// <summary>The Whistle settings (Whistle:Sms:Twilio:*) that point SMS at this fake.</summary>
    public Dictionary<string, string?> Settings(string from = "+16125550100", double? perSecond = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Whistle:Sms:Twilio:BaseUrl"] = BaseUrl,
            ["Whistle:Sms:Twilio:AccountSid"] = AccountSid,
            ["Whistle:Sms:Twilio:AuthToken"] = AuthToken,
            ["Whistle:Sms:Twilio:From"] = from,
        };
        if (perSecond is { } rate) settings["Whistle:Sms:Twilio:MessagesPerSecond"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    /// <summary>Posts a status callback for the message, signed with the auth token (or with another, to forge one).</summary>
    public async Task<HttpResponseMessage> SendStatusAsync(FakeSms sms, string status, string signingToken = AuthToken, string? errorCode = null)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = sms.Sid, ["MessageStatus"] = status, ["To"] = sms.To, ["From"] = sms.From, ["AccountSid"] = AccountSid,
        };
        if (errorCode is not null) form["ErrorCode"] = errorCode;
        var request = new HttpRequestMessage(HttpMethod.Post, sms.StatusCallback) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(SignatureHeader, Sign(signingToken, sms.StatusCallback, form));
        return await _callbacks.SendAsync(request);
    }

    /// <summary>Twilio's webhook signature: Base64(HMAC-SHA1(auth token, URL + each POST field's name and value, sorted by name)).</summary>
    public static string Sign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal)) data.Append(key).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    public async ValueTask DisposeAsync()
    {
        _callbacks.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
