using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Subscriptions;

namespace Whistle.Delivery.Push;

/// <summary>What a subscriber's service worker receives, decrypted: enough to show a notification and open the alert.</summary>
/// <param name="Kind">alert, update, cancel, or message (a confirmation code or notice).</param>
/// <param name="RootAlertId">The original alert an update or cancel refers to (its notification tag).</param>
public sealed record PushPayload(string Title, string Body, string Kind, Guid? AlertId, Guid? RootAlertId, string? Url, DateTimeOffset? ExpiresAt);

/// <summary>
/// Web push: one POST per subscription to the push service's endpoint (RFC 8030), the payload
/// encrypted to the browser (RFC 8291, aes128gcm) and signed with this server's VAPID key (RFC 8292).
/// An update or cancel carries its alert's Topic, so it replaces the original if that is still
/// waiting on the push service for a phone that was off.
/// </summary>
public sealed class WebPushSender(HttpClient http, VapidKeys vapid, TimeProvider time, IOptions<WhistleOptions> options)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    /// <summary>How long a cancel waits on the push service: people who saw the alert should learn it is over.</summary>
    public static readonly TimeSpan CancelTtl = TimeSpan.FromHours(12);
    public static readonly TimeSpan MessageTtl = TimeSpan.FromHours(24);
    public const string DefaultSubject = "mailto:admin@localhost";

    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<SendResult> SendAsync(OutgoingMessage m, CancellationToken ct)
    {
        if (!Uri.TryCreate(m.Recipient, UriKind.Absolute, out var endpoint)) return SendResult.Reject("push endpoint is not a URL");
        if (ReadKeys(m.Secret) is not var (p256dh, auth)) return SendResult.Reject("push subscription keys missing or malformed");
        var o = options.Value;
        var now = time.GetUtcNow();
        byte[] body;
        try
        {
            body = WebPushEncryption.Encrypt(Payload(m, o.PublicBaseUrl), p256dh, auth);
        }
        catch (CryptographicException)
        {
            return SendResult.Reject("push subscription key is not a usable P-256 key");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentEncoding.Add("aes128gcm");
        request.Headers.Add("TTL", ((long)Ttl(m.Alert, now).TotalSeconds).ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Urgency", m.Alert is null ? "normal" : "high");
        if (m.Alert is { } alert) request.Headers.Add("Topic", Topic(alert));
        request.Headers.Authorization = new AuthenticationHeaderValue("vapid",
            vapid.Credentials(endpoint.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped), Subject(o), now));
        try
        {
            using var response = await http.SendAsync(request, ct);
            int code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode) return SendResult.Sent; // 201 Created (or 202 for a receipt)
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                return SendResult.AddressGone($"push service: {code} gone");
            var reason = $"push service {code}";
            if (response.StatusCode == HttpStatusCode.TooManyRequests || code >= 500)
            {
                var after = response.Headers.RetryAfter is { } ra
                    ? ra.Delta ?? (ra.Date is { } at ? at - time.GetUtcNow() : null)
                    : null;
                return SendResult.Retry(reason, after is { } a && a > TimeSpan.Zero ? a : null);
            }
            // 400 malformed, 401/403 VAPID refused (the subscription was made with another key), 413 too large.
            return SendResult.Reject(reason);
        }
        catch (HttpRequestException e) when (SubscriberEndpoints.IsRefused(e))
        {
            return SendResult.Reject("push endpoint is on a private network");
        }
        catch (HttpRequestException e)
        {
            return SendResult.Retry($"push service unreachable: {e.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendResult.Retry("push service timed out");
        }
    }

    /// <summary>RFC 8030 Topic: the root alert's 16 bytes, base64url (22 characters), shared by its updates and cancel.</summary>
    public static string Topic(Alert alert) => Base64Url.EncodeToString((alert.ReferencesId ?? alert.Id).ToByteArray(bigEndian: true));

    /// <summary>
    /// How long the push service may hold the message for a phone that is off: an alert or update no
    /// longer than it is in force, a cancel 12 hours, anything else 24 hours.
    /// </summary>
    public static TimeSpan Ttl(Alert? alert, DateTimeOffset now) => alert switch
    {
        null => MessageTtl,
        { Kind: AlertKind.Cancel } => CancelTtl,
        _ => TimeSpan.FromSeconds(Math.Max(0, Math.Floor((alert.ExpiresAt - now).TotalSeconds))),
    };

    public static string Subject(WhistleOptions o) =>
        !string.IsNullOrWhiteSpace(o.Push.Subject) ? o.Push.Subject
        : !string.IsNullOrWhiteSpace(o.PublicBaseUrl) ? o.PublicBaseUrl
        : DefaultSubject;

    /// <summary>The payload as UTF-8 JSON, the body shortened (with an ellipsis) until it fits one record.</summary>
    public static byte[] Payload(OutgoingMessage m, string? publicBaseUrl, int limit = WebPushEncryption.MaxPlaintext)
    {
        var alert = m.Alert;
        var root = alert is null ? (Guid?)null : alert.ReferencesId ?? alert.Id;
        var kind = alert?.Kind switch
        {
            null => "message",
            AlertKind.Update => "update",
            AlertKind.Cancel => "cancel",
            _ => "alert",
        };
        var url = root is { } r && !string.IsNullOrWhiteSpace(publicBaseUrl) ? $"{publicBaseUrl.TrimEnd('/')}/#alert-{r}" : null;
        byte[] Serialize(string text) => JsonSerializer.SerializeToUtf8Bytes(
            new PushPayload(Title(kind, m.Language), text, kind, alert?.Id, root, url, alert?.ExpiresAt), PayloadJson);
        var whole = Serialize(m.Text);
        if (whole.Length <= limit) return whole;
        // The longest run of whole characters that fits with an ellipsis (JSON escapes make bytes per character vary).
        var starts = StringInfo.ParseCombiningCharacters(m.Text);
        int lo = 0, hi = starts.Length - 1; // characters kept: lo fits (or nothing does), more than hi does not
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (Serialize(Cut(mid)).Length <= limit) lo = mid;
            else hi = mid - 1;
        }
        return Serialize(Cut(lo));

        string Cut(int characters) => characters == 0 ? "…" : m.Text[..starts[characters]].TrimEnd() + "…";
    }

    private static string Title(string kind, string language) => (kind, language) switch
    {
        ("alert", "es") => "Alerta",
        ("update", "es") => "Alerta actualizada",
        ("cancel", "es") => "Alerta terminada",
        ("alert", _) => "Alert",
        ("update", _) => "Alert update",
        ("cancel", _) => "Alert ended",
        _ => "Whistle",
    };

    private static (byte[] P256dh, byte[] Auth)? ReadKeys(string? secret)
    {
        if (string.IsNullOrEmpty(secret)) return null;
        try
        {
            var keys = JsonSerializer.Deserialize<PushKeys>(secret);
            return keys is { P256dh: { } pk, Auth: { } au } && PushKeys.Decode(pk) is { } p && PushKeys.Decode(au) is { } a ? (p, a) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
