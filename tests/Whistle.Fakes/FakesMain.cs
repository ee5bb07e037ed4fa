namespace Whistle.Fakes;

/// <summary>
/// Runs the local fakes on fixed loopback ports for a demo or a drill, and prints the settings that
/// point Whistle at them. Stop with Ctrl+C.
/// </summary>
public static class FakesMain
{
    public static async Task Main(string[] args)
    {
        int basePort = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 5090;
        await using var twilio = await FakeTwilio.StartAsync(basePort);
        Console.WriteLine($"""
            Fake Twilio: {twilio.BaseUrl}
              Whistle__Sms__Twilio__BaseUrl={twilio.BaseUrl}
              Whistle__Sms__Twilio__AccountSid={FakeTwilio.AccountSid}
              Whistle__Sms__Twilio__AuthToken={FakeTwilio.AuthToken}
              Whistle__Sms__Twilio__From=+15005550006
            """);
        await using var smtp = await FakeSmtp.StartAsync(basePort + 1);
        await using var hooks = await FakeWebhookReceiver.StartAsync(port: basePort + 2);
        Console.WriteLine($"""
            Fake SMTP: {smtp.Host}:{smtp.Port}
              Whistle__Email__Smtp__Host={smtp.Host}
              Whistle__Email__Smtp__Port={smtp.Port}
              Whistle__Email__Smtp__Security=none
              Whistle__Email__From=alerts@whistle.test
            Fake webhook receiver: subscribe with address {hooks.BaseUrl}/hook and secret {hooks.Secret}
            """);
        await using var push = await FakePushService.StartAsync(basePort + 3);
        var browser = push.NewSubscription();
        Console.WriteLine($$"""
            Fake push service: a browser subscription to try (the service decrypts what it receives):
              {"channel":"webpush","address":"{{browser.Endpoint}}","keys":{"p256dh":"{{browser.P256dh}}","auth":"{{browser.Auth}}"},"language":"en","zones":[1]}
            """);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; try { stop.Cancel(); } catch (ObjectDisposedException) { } };
        int printed = 0, mails = 0, posts = 0, pushes = 0;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { break; }
            foreach (var sms in twilio.Received.Skip(printed)) { Console.WriteLine($"SMS to {sms.To}: {sms.Body}"); printed++; }
            foreach (var mail in smtp.Received.Skip(mails)) { Console.WriteLine($"E-mail to {string.Join(", ", mail.To)}: {mail.Subject}"); mails++; }
            foreach (var hook in hooks.Received.Skip(posts)) { Console.WriteLine($"Webhook {hook.Path}: {hook.Body}"); posts++; }
            foreach (var pushed in push.Received.Skip(pushes)) { Console.WriteLine($"Push (topic {pushed.Topic}, urgency {pushed.Urgency}, TTL {pushed.Ttl}): {pushed.Json}"); pushes++; }
        }
    }
}
