using System.Net;
using Whistle.Privacy;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Tests.Unit;

public class IntakeBudgetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 18, 0, 0, TimeSpan.Zero);
    private static readonly IntakeBudget Budget = new(NetworkPerMinute: 40, AreaPerMinute: 15, Quiet: TimeSpan.FromMinutes(3));

    [Fact]
    public void Within_both_budgets_a_report_reaches_the_queue()
    {
        Assert.Equal(IntakeLane.Queue, Budget.Decide(false, queuedLastMinute: 39, areaLastMinute: 14, null, sourceLastMinute: 29, T0));
    }

    [Fact]
    public void Past_the_area_budget_or_while_the_areas_surge_is_active_a_report_is_held_in_the_area()
    {
        Assert.Equal(IntakeLane.AreaSurge, Budget.Decide(false, 0, 15, null, 0, T0));
        // The surge holds its area until it has been quiet for the whole quiet period, even below the budget.
        Assert.Equal(IntakeLane.AreaSurge, Budget.Decide(false, 0, 0, T0.AddMinutes(-2.9), 0, T0));
        Assert.Equal(IntakeLane.Queue, Budget.Decide(false, 0, 0, T0.AddMinutes(-3), 0, T0));
    }

    [Fact]
    public void Past_the_network_budget_repeat_sources_are_held_and_a_source_heard_for_the_first_time_is_not()
    {
        Assert.Equal(IntakeLane.NetworkSurge, Budget.Decide(false, 40, 0, null, sourceLastMinute: 1, T0));
        Assert.Equal(IntakeLane.Queue, Budget.Decide(false, 400, 0, null, sourceLastMinute: 0, T0));
    }

    [Fact]
    public void A_trusted_reporter_is_never_held()
    {
        Assert.Equal(IntakeLane.Queue, Budget.Decide(true, 10_000, 10_000, T0, 10_000, T0));
    }

    [Fact]
    public void Budgets_of_zero_or_less_in_the_settings_still_let_one_report_a_minute_through()
    {
        var b = IntakeBudget.From(new IntakeOptions { NetworkPerMinute = 0, AreaPerMinute = -5, QuietMinutes = -1 });
        Assert.Equal(IntakeLane.Queue, b.Decide(false, 0, 0, null, 0, T0));
        Assert.Equal(IntakeLane.AreaSurge, b.Decide(false, 0, 1, null, 0, T0));
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:203.0.113.77", "203.0.113.0/24")]
    [InlineData("2001:db8:7:ffff:1:2:3:4", "2001:db8:7::/48")]
    public void A_source_is_its_network_not_its_address(string address, string network)
    {
        Assert.Equal(network, Whistle.Platform.ClientSource.Prefix(IPAddress.Parse(address)));
    }

    [Fact]
    public void Source_hashes_are_keyed_and_never_the_address()
    {
        var keys = KeyRing.CreateNew();
        var a = Sources.Web(IPAddress.Parse("198.51.100.1"), keys);
        Assert.Equal(a, Sources.Web(IPAddress.Parse("198.51.100.254"), keys));
        Assert.NotEqual(a, Sources.Web(IPAddress.Parse("198.51.101.1"), keys));
        Assert.NotEqual(a, Sources.Web(IPAddress.Parse("198.51.100.1"), KeyRing.CreateNew()));
        Assert.NotEqual(Sources.Sms("+16125550100", keys), Sources.Sms("+16125550101", keys));
        Assert.Equal(32, a.Length);
    }

    [Fact]
    public void A_surge_counts_reports_and_distinct_sources_and_is_dismissed_once()
    {
        var r = new Report { Lat = 44.95, Lon = -93.25, ReceivedAt = T0, PlaceText = "Lake St" };
        var area = IntakeArea.Of(r.Lat, r.Lon, 0.02);
        var s = Surge.Start(area, r, T0);
        s.Hold(r, newSource: true);
        s.Hold(new Report { ReceivedAt = T0.AddSeconds(70) }, newSource: false);
        Assert.Equal((2, 1, T0, T0.AddSeconds(70), "Lake St"), (s.ReportCount, s.SourceCount, s.FirstReportAt, s.LastReportAt, s.PlaceText));
        Assert.Equal(s.Id, r.SurgeId);
        Assert.Null(r.SightingId);
        var (lat, lon) = IntakeArea.Centre(area)!.Value;
        Assert.InRange(lat, 44.94, 44.96);
        Assert.InRange(lon, -93.26, -93.24);
        Assert.True(s.Dismiss("d@x", T0));
        Assert.False(s.Dismiss("d@x", T0));
        Assert.Equal(IntakeArea.Unlocated, IntakeArea.Of(null, null, 0.02));
        Assert.Null(IntakeArea.Centre(IntakeArea.Network));
    }

    [Fact]
    public void The_queue_cursor_round_trips_and_refuses_anything_it_did_not_give_out()
    {
        var s = new Sighting { State = SightingState.Verifying, Trusted = true, SourceCount = 7, LastReportAt = T0 };
        var c = QueueCursor.Of(s);
        Assert.Equal(c, QueueCursor.Parse(c.ToString()));
        Assert.Equal(1, c.Rank);
        foreach (var bad in new[] { "", "x", "not-a-cursor", new string('A', 300), Convert.ToBase64String("9|1|1|1|00000000000000000000000000000000"u8.ToArray()),
                     Convert.ToBase64String("0|2|1|1|00000000000000000000000000000000"u8.ToArray()), Convert.ToBase64String("0|1|-1|1|00000000000000000000000000000000"u8.ToArray()) })
            Assert.Null(QueueCursor.Parse(bad));
    }

    [Fact]
    public void A_new_source_counts_once_on_a_sighting_and_a_trusted_report_marks_it()
    {
        var s = Sighting.StartFrom(new Report { Lat = 1, Lon = 1, ObservedAt = T0 }, T0);
        s.Absorb(new Report { Lat = 1, Lon = 1, ObservedAt = T0 }, T0, newSource: false);
        s.Absorb(new Report { Lat = 1, Lon = 1, ObservedAt = T0, TrustedReporterId = 3 }, T0, newSource: true);
        Assert.Equal((3, 2, true), (s.ReportCount, s.SourceCount, s.Trusted));
    }
}
