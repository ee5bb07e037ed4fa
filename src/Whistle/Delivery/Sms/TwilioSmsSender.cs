using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Delivery.Sms;

/// <summary>
/// SMS through Twilio's REST Messages API (or anything that speaks it: the base URL is configurable,
/// so drills and tests point it at a local fake). Each message asks for a status callback naming its
/// outbox row, which <see cref="TwilioHooks"/> accepts only with a valid signature.
/// </summary>
public sealed class TwilioSmsSender(HttpClient http, SenderPool senders, IOptions<WhistleOptions> options)
{
    public async Task<SendResult> SendAsync(OutgoingMessage m, CancellationToken ct)
    {
        var o = options.Value;
        var t = o.Sms.Twilio;
        var from = await senders.AcquireAsync(ct, SmsSize.Of(m.Text).Segments);
        var request = new HttpRequestMessage(HttpMethod.Post,
            $"{t.BaseUrl!.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(t.AccountSid!)}/Messages.json")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["To"] = m.Recipient,
                ["From"] = from,
                ["Body"] = m.Text,
                ["StatusCallback"] = $"{o.PublicBaseUrl!.TrimEnd('/')}/hooks/twilio/status?ref={Uri.EscapeDataString(m.Reference)}",
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.ASCII.GetBytes($"{t.AccountSid}:{t.AuthToken}")));
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return SendResult.Sent;
            int code = 0;
            try { code = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("code").GetInt32(); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
            var reason = $"twilio {(int)response.StatusCode}{(code > 0 ? $" error {code}" : "")}";
            // Busy, down or misconfigured (bad credentials) is worth another try; a refused message
            // (invalid number 21211, opted out 21610, …) is not.
            var after = response.Headers.RetryAfter is { } ra
                ? ra.Delta ?? (ra.Date is { } at ? at - DateTimeOffset.UtcNow : null)
                : null;
            // 21610: the recipient replied STOP to the carrier; they are unsubscribed here too.
            if (code == 21610) return SendResult.AddressGone(reason + " (recipient opted out)");
            return response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                   || (int)response.StatusCode >= 500
                ? SendResult.Retry(reason, after)
                : SendResult.Reject(reason);
        }
        catch (HttpRequestException e)
        {
            return SendResult.Retry($"twilio unreachable: {e.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendResult.Retry("twilio timed out");
        }
    }
}
