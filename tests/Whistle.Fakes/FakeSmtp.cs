using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Whistle.Fakes;

/// <summary>One message as the fake SMTP server received it, parsed.</summary>
/// <param name="Headers">Each header's first value, by name (case-insensitive).</param>
public sealed record FakeMail(string From, IReadOnlyList<string> To, string Subject, string MessageId,
    IReadOnlyDictionary<string, string> Headers, string? Text, string? Html, string ContentType, DateTimeOffset ReceivedAt)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// A real SMTP server (the SmtpServer library) on 127.0.0.1 and a free port: it records every message it
/// accepts, parsed with MimeKit, and refuses a recipient at RCPT TO as told — for good (550) or for
/// now (451, a number of times) — as a mail server does.
/// </summary>
public sealed class FakeSmtp : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public ConcurrentQueue<FakeMail> Received { get; } = new();
    /// <summary>Every RCPT TO answered: when, to whom, with what code (250 accepted).</summary>
    public ConcurrentQueue<(DateTimeOffset At, string To, int Code)> Recipients { get; } = new();
    /// <summary>Recipients refused for good with 550 (mailbox unavailable).</summary>
    public ConcurrentDictionary<string, bool> Unknown { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Recipients refused with 451 (try again later), the given number of times, then accepted.</summary>
    public ConcurrentDictionary<string, int> Deferred { get; } = new(StringComparer.OrdinalIgnoreCase);

    private int _sessions;
    /// <summary>SMTP sessions (connections) opened since the server started listening (the start-up probe not counted).</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    public IEnumerable<FakeMail> To(string address) => Received.Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase));

    public static async Task<FakeSmtp> StartAsync(int port = 0)
    {
        for (int attempt = 0; ; attempt++)
        {
            var fake = new FakeSmtp { Port = port != 0 ? port : FreePort() };
            var options = new SmtpServerOptionsBuilder()
                .ServerName("fake-smtp.test")
                .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, fake.Port)))
                .Build();
            var services = new ServiceProvider();
            services.Add(new Store(fake));
            services.Add(new Filter(fake));
            var server = new SmtpServer.SmtpServer(options, services);
            fake._running = server.StartAsync(fake._stop.Token);
            if (await fake.ListeningAsync())
            {
                server.SessionCreated += (_, _) => Interlocked.Increment(ref fake._sessions);
                return fake;
            }
            await fake.DisposeAsync();
            if (port != 0 || attempt >= 4) throw new InvalidOperationException($"The fake SMTP server could not listen on port {fake.Port}.");
        }
    }

    private async Task<bool> ListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline && !_running.IsCompleted)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }
        return false;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class Filter(FakeSmtp fake) : MailboxFilter
    {
        public override Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken ct)
        {
            var address = to.AsAddress();
            int code = fake.Unknown.ContainsKey(address) ? 550 : TakeDeferral(address) ? 451 : 250;
            fake.Recipients.Enqueue((DateTimeOffset.UtcNow, address, code));
            return code switch
            {
                550 => throw new SmtpResponseException(new SmtpResponse((SmtpReplyCode)550, "5.1.1 Mailbox unavailable")),
                451 => throw new SmtpResponseException(new SmtpResponse((SmtpReplyCode)451, "4.3.0 Try again later")),
                _ => Task.FromResult(true),
            };
        }

        private bool TakeDeferral(string address)
        {
            while (fake.Deferred.TryGetValue(address, out var left) && left > 0)
                if (fake.Deferred.TryUpdate(address, left - 1, left)) return true;
            return false;
        }
    }

    private sealed class Store(FakeSmtp fake) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, ct);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            // MimeKit keeps the top-level Content-* headers with the body; on the wire they are all one block.
            foreach (var h in message.Headers.Concat(message.Body?.Headers ?? [])) headers.TryAdd(h.Field, h.Value.Trim());
            fake.Received.Enqueue(new FakeMail(transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList(),
                message.Subject ?? "", message.MessageId ?? "", headers, message.TextBody, message.HtmlBody,
                message.Body?.ContentType.MimeType ?? "", DateTimeOffset.UtcNow));
            return SmtpResponse.Ok;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or SocketException) { }
        _stop.Dispose();
    }
}
