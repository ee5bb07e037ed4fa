using Whistle.Alerts;
using Whistle.Network;

namespace Whistle.Tests.Unit;

/// <summary>Issue 12 §4, one clock: times in the network's zone, named, in the reader's language, no more precise than known.</summary>
public class ClockTests
{
    private static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    // Seen: the alert said 8:55 AM while the console (in the browser's zone) said 02:55 PM. 14:55 UTC is 8:55 in Chicago in winter.
    private static readonly DateTimeOffset Winter = new(2026, 12, 1, 14, 55, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Summer = new(2026, 7, 1, 13, 55, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("en", "8:55 AM CST")]
    [InlineData("es", "08:55 CST")]
    [InlineData("so", "08:55 CST")]
    [InlineData("hmn", "08:55 CST")]
    public void A_time_of_day_is_in_the_network_zone_named_and_in_the_reader_s_language(string lang, string expected) =>
        Assert.Equal(expected, Clock.TimeOfDay(Winter, Chicago, lang));

    [Fact]
    public void Daylight_saving_is_named_as_such_and_a_zone_without_a_common_name_shows_its_offset()
    {
        Assert.Equal("8:55 AM CDT", Clock.TimeOfDay(Summer, Chicago, "en"));
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        Assert.Equal("11:55 PM UTC+09:00", Clock.TimeOfDay(Winter, tokyo, "en"));
        Assert.Equal("2:55 PM UTC", Clock.TimeOfDay(Winter, TimeZoneInfo.Utc, "en"));
    }

    [Fact]
    public void Message_times_stay_in_the_GSM_alphabet_so_an_SMS_does_not_double_in_size()
    {
        foreach (var lang in Languages.All)
            Assert.Equal("gsm7", Delivery.Sms.SmsSize.Of(Clock.TimeOfDay(Winter, Chicago, lang)).Encoding);
    }

    [Fact]
    public void A_date_known_only_to_the_day_is_stored_as_that_local_day_and_shown_without_a_time()
    {
        // The demo's article gives March 15, 2024 and no time of day.
        var said = new DateTimeOffset(2024, 3, 15, 10, 0, 0, TimeSpan.Zero);
        var stored = Clock.Truncate(said, TimePrecision.Day, Chicago);
        Assert.Equal(new DateTimeOffset(2024, 3, 15, 5, 0, 0, TimeSpan.Zero), stored); // midnight in Minneapolis, UTC-5
        Assert.Equal("March 15, 2024", Clock.Format(stored, TimePrecision.Day, Chicago, "en"));
        Assert.Equal("15 de marzo de 2024", Clock.Format(stored, TimePrecision.Day, Chicago, "es"));
        Assert.Equal("March 2024", Clock.Format(stored, TimePrecision.Month, Chicago, "en"));
        Assert.Equal("2024-03-15", Clock.Iso(stored, TimePrecision.Day, Chicago));
        Assert.Equal("2024-03", Clock.Iso(stored, TimePrecision.Month, Chicago));
        Assert.DoesNotContain("5:00", Clock.Format(stored, TimePrecision.Day, Chicago, "en"));
        Assert.Equal("March 15, 2024, 12:00 AM CDT", Clock.Format(stored, TimePrecision.Minute, Chicago, "en"));
    }

    [Fact]
    public void CAP_times_carry_the_network_offset_and_UTC_is_minus_zero()
    {
        Assert.Equal("2026-12-01T08:55:00-06:00", CapMessage.Time(Winter, Chicago));
        Assert.Equal("2026-07-01T08:55:00-05:00", CapMessage.Time(Summer, Chicago));
        Assert.Equal("2026-12-01T14:55:00-00:00", CapMessage.Time(Winter, TimeZoneInfo.Utc));
        Assert.Equal("2026-12-01T23:55:00+09:00", CapMessage.Time(Winter, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo")));
        // The XSD's pattern for CAP dateTime.
        Assert.Matches(@"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d$", CapMessage.Time(Winter, Chicago));
    }
}
