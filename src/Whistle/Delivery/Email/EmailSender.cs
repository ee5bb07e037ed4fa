using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Delivery.Email;

/// <summary>
/// E-mail over SMTP (MailKit). Connections are kept open and reused: a small pool of at most
/// Whistle:Email:Concurrency clients (what the relay's e-mail lane runs at once), each reconnected
/// when the server has dropped it. Every alert carries an RFC 8058 one-click unsubscribe link.
/// </summary>
/// <remarks>
/// A message's Message-ID is derived from its outbox row, so a copy sent again after a crash is
/// recognisably the same message. Errors are recorded without the server's text, which may quote
/// the address.
/// </remarks>
public sealed class EmailSender(IOptions<WhistleOptions> options, KeyRing keys, TimeProvider time, IServiceScopeFactory scopes)
    : IAsyncDisposable
{
    /// <summary>A connection idle longer than this is checked with a NOOP before it is used again.</summary>
    private static readonly TimeSpan CheckIdleAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentBag<Pooled> _idle = [];
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Email.Concurrency));
    private string? _network;

    private sealed class Pooled(SmtpClient client)
    {
        public SmtpClient Client { get; } = client;
        public long LastUsed { get; set; }
    }

    public async Task<SendResult> SendAsync(OutgoingMessage m, CancellationToken ct)
    {
        var message = Compose(m, await NetworkNameAsync(ct));
        await _slots.WaitAsync(ct);
        Pooled? pooled = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(SendTimeout);
            pooled = await ConnectedClientAsync(timeout.Token);
            try
            {
                await pooled.Client.SendAsync(message, timeout.Token);
                return SendResult.Sent;
            }
            catch (SmtpCommandException e)
            {
                // The server answered: a 5xx is its final word on this message (550 no such mailbox,
                // 552, 554 …), a 4xx asks to try later (451 local error, 452 out of storage, greylisting).
                int code = (int)e.StatusCode;
                var reason = $"smtp {code} {e.ErrorCode}";
                if (!pooled.Client.IsConnected) Drop(ref pooled);
                return code is >= 500 and < 600 ? SendResult.Reject(reason) : SendResult.Retry(reason);
            }
        }
        catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            Drop(ref pooled);
            return SendResult.Retry(e is OperationCanceledException ? "smtp timed out" : $"smtp unavailable: {e.GetType().Name}");
        }
        catch
        {
            Drop(ref pooled);
            throw;
        }
        finally
        {
            if (pooled is not null)
            {
                pooled.LastUsed = time.GetTimestamp();
                _idle.Add(pooled);
            }
            _slots.Release();
        }
    }

    private static bool IsTransient(Exception e) => e is IOException or SocketException or TimeoutException or OperationCanceledException
        or SmtpProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException or SmtpCommandException
        or MailKit.Security.AuthenticationException or SslHandshakeException;

    private void Drop(ref Pooled? pooled)
    {
        if (pooled is null) return;
        pooled.Client.Dispose();
        pooled = null;
    }

    /// <summary>An idle pooled connection that still answers, else a new one.</summary>
    private async Task<Pooled> ConnectedClientAsync(CancellationToken ct)
    {
        while (_idle.TryTake(out var pooled))
        {
            if (pooled.Client.IsConnected && time.GetElapsedTime(pooled.LastUsed) < CheckIdleAfter) return pooled;
            if (pooled.Client.IsConnected)
            {
                try
                {
                    await pooled.Client.NoOpAsync(ct);
                    return pooled;
                }
                catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested) { }
            }
            pooled.Client.Dispose();
        }
        var smtp = options.Value.Email.Smtp;
        var client = new SmtpClient { Timeout = (int)SendTimeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(smtp.Host!, smtp.Port, Security(smtp.Security), ct);
            if (!string.IsNullOrEmpty(smtp.Username)) await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
            return new Pooled(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static SecureSocketOptions Security(string? setting) => setting?.Trim().ToLowerInvariant() switch
    {
        "starttls" => SecureSocketOptions.StartTls,
        "tls" or "ssl" => SecureSocketOptions.SslOnConnect,
        "none" => SecureSocketOptions.None,
        _ => SecureSocketOptions.Auto,
    };

    /// <summary>The message as it goes out: plain text and HTML (no remote images, nothing that tracks), in the subscriber's language.</summary>
    public MimeMessage Compose(OutgoingMessage m, string network)
    {
        var o = options.Value;
        var from = MailboxAddress.Parse(o.Email.From!);
        var message = new MimeMessage
        {
            Subject = Subject(network, m.Text),
            Date = time.GetUtcNow(),
            // Stable for the outbox row, and unique to this installation (two networks may share a domain).
            MessageId = $"{m.Reference}.{Convert.ToHexStringLower(keys.Hash("message-id"), 0, 6)}@{Domain(from.Address)}",
        };
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(m.Recipient));
        message.Headers.Add("Auto-Submitted", "auto-generated");

        string? unsubscribe = m.Alert is not null && !string.IsNullOrWhiteSpace(o.PublicBaseUrl)
            ? $"{o.PublicBaseUrl.TrimEnd('/')}/api/v1/subscriptions/one-click?token={Uri.EscapeDataString(UnsubscribeToken.For(keys, m.SubscriberId))}"
            : null;
        var text = m.Text.Trim();
        var html = $"<p>{WebUtility.HtmlEncode(text).ReplaceLineEndings("<br>\r\n")}</p>";
        if (unsubscribe is not null)
        {
            // RFC 8058: a mail client may unsubscribe with one POST to this URL, without opening it.
            message.Headers.Add("List-Unsubscribe", $"<{unsubscribe}>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            var label = StopLabel(m.Language);
            text += $"\n\n{label}: {unsubscribe}\n";
            html += $"\r\n<p><a href=\"{WebUtility.HtmlEncode(unsubscribe)}\">{WebUtility.HtmlEncode(label)}</a></p>";
        }
        message.Body = new BodyBuilder
        {
            TextBody = text,
            HtmlBody = $"<!DOCTYPE html>\r\n<html lang=\"{WebUtility.HtmlEncode(m.Language)}\"><head><meta charset=\"utf-8\"></head>\r\n<body>\r\n{html}\r\n</body></html>\r\n",
        }.ToMessageBody();
        // A Content-* header belongs to the body (MimeKit keeps it there; it is written in the message's header block).
        message.Body.Headers.Add(HeaderId.ContentLanguage, m.Language);
        return message;
    }

    /// <summary>"Network: first line of the message", the line cut at a word to about 78 characters.</summary>
    public static string Subject(string network, string text)
    {
        var line = text.Trim().Split('\n', 2)[0].Trim();
        if (line.Length > 78)
        {
            var cut = line.LastIndexOf(' ', 77);
            line = line[..(cut > 40 ? cut : 77)].TrimEnd(' ', ',', '.', ';', ':') + "…";
        }
        return string.IsNullOrWhiteSpace(network) ? line : $"{network}: {line}";
    }

    private static string StopLabel(string language) => language switch
    {
        "es" => "Dejar de recibir estas alertas",
        _ => "Stop these alerts",
    };

    private static string Domain(string address) => address[(address.LastIndexOf('@') + 1)..] is { Length: > 0 } d ? d : "whistle.invalid";

    private async Task<string> NetworkNameAsync(CancellationToken ct)
    {
        if (_network is { } known) return known;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        return _network = await db.Network.AsNoTracking().Select(n => n.Name).FirstOrDefaultAsync(ct) ?? options.Value.Network.Name;
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var pooled))
        {
            try
            {
                if (pooled.Client.IsConnected)
                {
                    using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await pooled.Client.DisconnectAsync(true, quick.Token);
                }
            }
            catch (Exception e) when (IsTransient(e)) { }
            pooled.Client.Dispose();
        }
        _slots.Dispose();
    }
}
