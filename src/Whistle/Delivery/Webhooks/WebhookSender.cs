using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Whistle.Alerts;
using Whistle.Platform;
using Whistle.Reports;
using Whistle.Subscriptions;

namespace Whistle.Delivery.Webhooks;

/// <summary>What a subscriber's webhook receives: the message in their language and, for an alert, what it is about.</summary>
/// <param name="Type">"alert", "update", "cancel", or "message" for a direct message (a confirmation code, a notice).</param>
/// <param name="Id">The alert's id (absent for a direct message).</param>
/// <param name="References">For an update or cancel, the alert it updates or cancels.</param>
public sealed record WebhookPayload(string Type, Guid? Id, Guid? References, string Language, string Text, string? Place,
    Activity? Activity, bool? Drill, DateTimeOffset? SentAt, DateTimeOffset? ExpiresAt, CancelReason? CancelReason)
{
    /// <summary>The API's JSON style: camelCase names, snake_case enum values; absent fields left out.</summary>
    public static readonly JsonSerializerOptions Format = new(JsonSerializerDefaults.Web)
    {
        Converters = { PlatformSetup.EnumsAsSnakeCase },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static WebhookPayload For(OutgoingMessage m) => m.Alert is { } a
        ? new(a.Kind switch { AlertKind.Update => "update", AlertKind.Cancel => "cancel", _ => "alert" }, a.Id, a.ReferencesId,
            m.Language, m.Text, a.Place, a.Activity, a.Drill, a.SentAt, a.ExpiresAt, a.CancelReason)
        : new("message", null, null, m.Language, m.Text, null, null, null, null, null, null);
}

/// <summary>Standard Webhooks (standardwebhooks.com) symmetric signatures.</summary>
public static class WebhookSignature
{
    /// <summary>"v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key being the bytes after "whsec_".</summary>
    public static string Sign(byte[] key, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
}

/// <summary>
/// Webhooks: a signed JSON POST to the subscriber's own URL (a Signal or Matrix bot, a community
/// relay), per Standard Webhooks — webhook-id is the outbox row (the same on every retry, so the
/// receiver can drop a repeat), webhook-timestamp the time of this attempt.
/// </summary>
public sealed class WebhookSender(HttpClient http, TimeProvider time)
{
    public async Task<SendResult> SendAsync(OutgoingMessage m, CancellationToken ct)
    {
        if (WebhookSecret.Key(m.Secret) is not { } key) return SendResult.Reject("webhook has no valid signing secret");
        var body = JsonSerializer.Serialize(WebhookPayload.For(m), WebhookPayload.Format);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, m.Recipient)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", m.Reference);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(key, m.Reference, timestamp, body));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.IsSuccessStatusCode) return SendResult.Sent;
            int status = (int)response.StatusCode;
            var reason = $"webhook {status}";
            // 410: the receiver says this hook is gone for good: unsubscribe it.
            if (response.StatusCode == HttpStatusCode.Gone) return SendResult.AddressGone(reason);
            if (response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500)
            {
                var after = response.Headers.RetryAfter is { } ra
                    ? ra.Delta ?? (ra.Date is { } at ? at - time.GetUtcNow() : null)
                    : null;
                return SendResult.Retry(reason, after > TimeSpan.Zero ? after : null);
            }
            // Redirects are not followed (a POST must not turn into a GET elsewhere); like other 4xx, final.
            return SendResult.Reject(reason);
        }
        catch (HttpRequestException e) when (SubscriberEndpoints.IsRefused(e))
        {
            return SendResult.Reject("webhook address is on a private network");
        }
        catch (HttpRequestException e)
        {
            return SendResult.Retry($"webhook unreachable: {e.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendResult.Retry("webhook timed out");
        }
    }
}
