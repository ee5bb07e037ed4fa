using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §6. Seen: a full-width ＳＴＯＰ and a Cyrillic look-alike SТОР were filed as reports (the number stayed
/// subscribed), and a START sent during a burst was stored as report text (the number stayed unsubscribed). Each over
/// the Twilio-signed webhook, on SQLite and PostgreSQL.
/// </summary>
public abstract class SmsKeywordAttackTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : SmsInboundAppBase
{
    private static string Code(string? reply) => Regex.Match(reply ?? "", @"\b\d{6}\b").Value;

    private async Task<string> SubscribedAsync()
    {
        var number = SmsInboundApp.NewNumber();
        var code = Code(await app.TextAsync(number, "JOIN Powderhorn"));
        Assert.Contains("Powderhorn Park", await app.TextAsync(number, code));
        Assert.Equal(SubscriberState.Confirmed, (await app.SubscriberAsync(number))!.State);
        return number;
    }

    private Task<int> ReportsAsync() => app.DbAsync((db, _) => db.Reports.CountAsync());

    private Task<string?> ReportTextAsync(string number) => app.DbAsync(async (db, keys) =>
    {
        var hash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, number));
        var conv = await db.SmsConversations.AsNoTracking().SingleAsync(c => c.NumberHash == hash);
        if (conv.ReportId is not { } id) return null;
        var report = await db.Reports.AsNoTracking().SingleAsync(r => r.Id == id);
        return report.Text;
    });

    [Theory]
    [InlineData("ＳＴＯＰ")]                  // full-width
    [InlineData("ｓｔｏｐ")]                  // full-width, lower case
    [InlineData("S\u0422\u041E\u0420")]      // Cyrillic Т, О, Р
    [InlineData("\u0405\u0422\u041E\u0420")] // Cyrillic Ѕ too: not one Latin letter
    [InlineData("Stop.")]
    [InlineData(" stop ")]
    [InlineData("S\u200BTOP")]               // a zero-width space inside
    [InlineData("\u200E\uFEFFstop\u2060")]   // direction mark, BOM, word joiner around it
    [InlineData("ꜱᴛᴏᴘ")]                     // Latin small capitals
    [InlineData("𝐒𝐓𝐎𝐏")]                     // mathematical bold
    [InlineData("ＵＮＳＵＢＳＣＲＩＢＥ")]
    [InlineData("P\u0410R\u0410R")]          // Spanish PARAR with Cyrillic А
    [InlineData("J\u041E\u041EJI")]          // Somali JOOJI with Cyrillic О
    public async Task A_look_alike_STOP_unsubscribes_and_files_no_report(string body)
    {
        var number = await SubscribedAsync();
        var before = await ReportsAsync();
        var reply = await app.TextAsync(number, body);
        Assert.Equal(SubscriberState.Unsubscribed, (await app.SubscriberAsync(number))!.State);
        Assert.Contains("START", reply);
        Assert.Equal(before, await ReportsAsync());
    }

    [Theory]
    [InlineData("STOPPED at the corner of Lake and 14th")]
    [InlineData("stop sign at Cedar, two vans")]
    [InlineData("\u0421\u0422\u041E\u041F")] // СТОП: a Russian word, not a keyword
    public async Task A_text_that_merely_contains_keyword_letters_stays_a_report(string body)
    {
        var number = await SubscribedAsync();
        var before = await ReportsAsync();
        await app.TextAsync(number, body);
        Assert.Equal(SubscriberState.Confirmed, (await app.SubscriberAsync(number))!.State);
        Assert.Equal(before + 1, await ReportsAsync());
    }

    [Fact]
    public async Task START_during_a_burst_resubscribes_and_STOP_past_the_limit_is_honoured()
    {
        var number = await SubscribedAsync();                      // 2 texts this minute
        Assert.Contains("START", await app.TextAsync(number, "STOP")); // 3
        Assert.Equal(SubscriberState.Unsubscribed, (await app.SubscriberAsync(number))!.State);
        for (int i = 1; i <= 10; i++) await app.TextAsync(number, $"vans on Bloomington, message {i}"); // 13: past the limit of 10

        var resumed = await app.TextAsync(number, "ＳＴＡＲＴ");
        Assert.Contains("Powderhorn Park", resumed);
        Assert.Equal(SubscriberState.Confirmed, (await app.SubscriberAsync(number))!.State);
        var text = await ReportTextAsync(number);
        Assert.Contains("message 10", text);
        Assert.DoesNotContain("START", text);
        Assert.DoesNotContain("ＳＴＡＲＴ", text);

        // HELP past the limit is answered, not kept as report text either.
        Assert.NotNull(await app.TextAsync(number, "help"));
        Assert.DoesNotContain("help", (await ReportTextAsync(number))!, StringComparison.OrdinalIgnoreCase);

        // STOP (even a look-alike) past the limit.
        Assert.Contains("START", await app.TextAsync(number, "S\u0422\u041E\u0420"));
        Assert.Equal(SubscriberState.Unsubscribed, (await app.SubscriberAsync(number))!.State);
        // Reports are still held in the burst, as before: kept, marked, not answered.
        Assert.Null(await app.TextAsync(number, "one more about the vans"));
        Assert.Contains("[held: rate limited] one more about the vans", await ReportTextAsync(number));
    }
}

public sealed class SqliteSmsKeywordAttackTests(SmsInboundApp app) : SmsKeywordAttackTests<SmsInboundApp>(app);

public sealed class PostgresSmsKeywordAttackTests(SmsInboundPostgresApp app) : SmsKeywordAttackTests<SmsInboundPostgresApp>(app);
