using CsCheck;
using Whistle.Geo;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Tests.Unit;

public class SightingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 18, 0, 0, TimeSpan.Zero);
    private static readonly GeoPoint P = new(44.9485, -93.2555);

    private static Report At(GeoPoint p, DateTimeOffset t, Activity a = Activity.Checkpoint) =>
        new() { Lat = p.Lat, Lon = p.Lon, ObservedAt = t, ReceivedAt = t, Activity = a };

    [Fact]
    public void Picking_with_the_cheap_latitude_test_first_picks_exactly_what_the_distance_alone_picks()
    {
        // Issue 16 §3: the rule skips the great-circle distance for sightings further apart in latitude alone. Random
        // sightings and reports over a city, at the pole-ward edge of the test and across the antimeridian, several
        // distances: the pick is the nearest joinable one, as before, and ties keep the first.
        var states = new[] { SightingState.New, SightingState.Verifying, SightingState.Confirmed, SightingState.Resolved };
        (from lat0 in Gen.Double[-80, 80]
         from lon0 in Gen.Double[-180, 180]
         from spread in Gen.Double[0.001, 0.05]
         from distance in Gen.Double[50, 3000]
         from count in Gen.Int[0, 40]
         from points in Gen.Select(Gen.Double[-1, 1], Gen.Double[-1, 1], Gen.Int[0, 3], Gen.Int[-40, 40]).Array[count]
         from report in Gen.Select(Gen.Double[-1, 1], Gen.Double[-1, 1])
         select (lat0, lon0, spread, distance, points, report)).Sample(c =>
        {
            var rule = new ClusterRule(c.distance);
            var sightings = c.points.Select(p => new Sighting
            {
                Id = Guid.NewGuid(), State = states[p.Item3], Lat = c.lat0 + p.Item1 * c.spread, Lon = Wrap(c.lon0 + p.Item2 * c.spread),
                FirstReportAt = T0.AddMinutes(p.Item4), LastReportAt = T0.AddMinutes(p.Item4 + 5),
            }).ToList();
            if (sightings.Count > 2) (sightings[^1].Lat, sightings[^1].Lon) = (sightings[0].Lat, sightings[0].Lon); // a tie
            var r = At(new GeoPoint(c.lat0 + c.report.Item1 * c.spread, Wrap(c.lon0 + c.report.Item2 * c.spread)), T0);
            var naive = sightings.Where(s => s.IsOpen && r.ObservedAt >= s.FirstReportAt - rule.TimeWindow && r.ObservedAt <= s.LastReportAt + rule.TimeWindow
                                             && s.Location!.Value.DistanceTo(r.Location!.Value) <= c.distance)
                .OrderBy(s => s.Location!.Value.DistanceTo(r.Location!.Value)).FirstOrDefault();
            Assert.Same(naive, rule.Pick(sightings, r));
        }, iter: 2000);

        static double Wrap(double lon) => lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon;
    }

    public static TheoryData<SightingState, SightingState, bool> Moves()
    {
        var data = new TheoryData<SightingState, SightingState, bool>();
        var allowed = new HashSet<(SightingState, SightingState)>
        {
            (SightingState.New, SightingState.Verifying), (SightingState.Verifying, SightingState.Verifying),
            (SightingState.New, SightingState.Confirmed), (SightingState.New, SightingState.FalseAlarm), (SightingState.New, SightingState.Unconfirmed),
            (SightingState.Verifying, SightingState.Confirmed), (SightingState.Verifying, SightingState.FalseAlarm), (SightingState.Verifying, SightingState.Unconfirmed),
            (SightingState.Confirmed, SightingState.Resolved), (SightingState.Confirmed, SightingState.FalseAlarm),
        };
        foreach (var from in Enum.GetValues<SightingState>())
            foreach (var to in Enum.GetValues<SightingState>())
                data.Add(from, to, allowed.Contains((from, to)));
        return data;
    }

    [Theory]
    [MemberData(nameof(Moves))]
    public void Every_pair_of_states_is_allowed_or_refused_as_the_rules_say(SightingState from, SightingState to, bool allowed)
    {
        var s = new Sighting { State = from };
        if (allowed)
        {
            var t = s.MoveTo(to, "dispatcher@x", "note", T0);
            Assert.Equal(to, s.State);
            Assert.Equal((from, to, "dispatcher@x", "note", T0), (t.From, t.To, t.Actor, t.Note, t.At));
            Assert.Single(s.Transitions);
        }
        else
        {
            var ex = Assert.Throws<InvalidTransitionException>(() => s.MoveTo(to, "x", null, T0));
            Assert.Equal(from, s.State);
            Assert.Empty(s.Transitions);
            Assert.Contains(Names.Of(from), ex.Message);
        }
    }

    [Fact]
    public void Reports_within_500_m_and_30_min_join_one_sighting_whose_place_is_their_mean()
    {
        var rule = new ClusterRule();
        var s = Sighting.StartFrom(At(P, T0), T0);
        var near = At(P.Offset(400, 90), T0.AddMinutes(20));
        Assert.True(rule.Joins(s, near));
        s.Absorb(near, T0);
        Assert.Equal(2, s.ReportCount);
        Assert.InRange(s.Location!.Value.DistanceTo(P.Offset(200, 90)), 0, 1);
        Assert.Equal(T0.AddMinutes(20), s.LastReportAt);
    }

    [Theory]
    [InlineData(499, 0, true)]
    [InlineData(501, 0, false)]
    [InlineData(100, 29, true)]
    [InlineData(100, 31, false)]
    [InlineData(100, -29, true)]
    [InlineData(100, -31, false)]
    public void The_distance_and_time_window_are_the_edges(double meters, double minutes, bool joins)
    {
        var s = Sighting.StartFrom(At(P, T0), T0);
        Assert.Equal(joins, new ClusterRule().Joins(s, At(P.Offset(meters, 0), T0.AddMinutes(minutes))));
    }

    [Fact]
    public void Closed_sightings_and_reports_without_a_point_never_join()
    {
        var rule = new ClusterRule(500, TimeSpan.FromMinutes(30));
        foreach (var closed in new[] { SightingState.FalseAlarm, SightingState.Unconfirmed, SightingState.Resolved })
        {
            var s = Sighting.StartFrom(At(P, T0), T0);
            s.State = closed;
            Assert.False(rule.Joins(s, At(P, T0)));
        }
        var open = Sighting.StartFrom(At(P, T0), T0);
        Assert.False(rule.Joins(open, new Report { PlaceText = "near the school", ObservedAt = T0 }));
    }

    [Fact]
    public void A_report_joins_the_nearest_of_several_open_sightings()
    {
        var far = Sighting.StartFrom(At(P.Offset(450, 0), T0), T0);
        var close = Sighting.StartFrom(At(P.Offset(100, 180), T0), T0);
        Assert.Same(close, new ClusterRule().Pick([far, close], At(P, T0)));
    }

    [Fact]
    public void The_distance_rule_is_configurable()
    {
        var s = Sighting.StartFrom(At(P, T0), T0);
        Assert.True(new ClusterRule(1000, TimeSpan.FromMinutes(5)).Joins(s, At(P.Offset(900, 0), T0.AddMinutes(4))));
        Assert.False(new ClusterRule(1000, TimeSpan.FromMinutes(5)).Joins(s, At(P.Offset(900, 0), T0.AddMinutes(6))));
    }
}
