using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Delivery;

/// <summary>One message on its way out: already in the recipient's language, address (and secret) decrypted.</summary>
/// <param name="Reference">Names the outbox row, for a provider's status callback to find it again.</param>
/// <param name="Alert">The alert it carries (null for a direct message such as a confirmation code).</param>
/// <param name="Secret">The channel's secret for this subscriber, decrypted: web push keys as JSON, a webhook's signing secret.</param>
public sealed record OutgoingMessage(string Reference, Alerts.Alert? Alert, long SubscriberId, SubscriberChannel Channel,
    string Recipient, string Language, string Text, string? Secret = null)
{
    public Guid? AlertId => Alert?.Id;
}

/// <param name="RetryAfter">How long the provider asked us to wait (HTTP Retry-After), if it said.</param>
/// <param name="Gone">The address no longer exists (a push subscription the browser dropped: 404/410): unsubscribe it.</param>
public readonly record struct SendResult(bool Ok, bool Permanent, string? Error, TimeSpan? RetryAfter = null, bool Gone = false)
{
    public static readonly SendResult Sent = new(true, false, null);
    public static SendResult Retry(string error, TimeSpan? after = null) => new(false, false, error, after);
    public static SendResult Reject(string error) => new(false, true, error);
    public static SendResult AddressGone(string error) => new(false, true, error, null, true);
}

/// <summary>The channel seam: SMS, e-mail, web push and webhooks plug in here.</summary>
public interface IMessageSender
{
    Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct);
}

/// <summary>
/// The development sink: appends each message as one JSON line to &lt;data dir&gt;/dev-outbox.jsonl
/// (alertId, recipient, channel, language, text) instead of sending it anywhere.
/// </summary>
public sealed class DevOutboxSender(IOptions<WhistleOptions> options) : IMessageSender, IDisposable
{
    private static readonly JsonSerializerOptions LineFormat = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileStream? _file;

    public string FilePath { get; } = options.Value.Delivery.DevOutboxPath is { Length: > 0 } path
        ? Path.GetFullPath(path) : Path.Combine(options.Value.DataPath, "dev-outbox.jsonl");

    public async Task<SendResult> SendAsync(OutgoingMessage m, CancellationToken ct)
    {
        var line = JsonSerializer.Serialize(new
        {
            alertId = m.AlertId,
            recipient = m.Recipient,
            channel = Names.Of(m.Channel),
            language = m.Language,
            text = m.Text,
        }, LineFormat) + "\n";
        await _gate.WaitAsync(ct);
        try
        {
            _file ??= new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            await _file.WriteAsync(Encoding.UTF8.GetBytes(line), ct);
            await _file.FlushAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
        return SendResult.Sent;
    }

    public void Dispose() => _file?.Dispose();
}
