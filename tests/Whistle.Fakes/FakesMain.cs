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
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        var printed = 0;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { break; }
            foreach (var sms in twilio.Received.Skip(printed)) { Console.WriteLine($"SMS to {sms.To}: {sms.Body}"); printed++; }
        }
    }
}
