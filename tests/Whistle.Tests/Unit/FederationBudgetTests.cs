using System.Xml.Linq;
using Whistle.Federation;
using Whistle.Tests.Api;

namespace Whistle.Tests.Unit;

/// <summary>The per-message rules of a partner's budget (issue 14 §1–§2, decision 0033), without a host.</summary>
public sealed class FederationBudgetTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    private static readonly FederationOptions O = new();

    private static CapMessage Parse(string xml) => Cap.Parse(XElement.Parse(xml), Now);

    [Fact]
    public void A_detailed_2000_point_ring_is_simplified_to_what_a_map_needs_and_a_saw_tooth_one_to_the_ring_cap()
    {
        var smooth = Cap.Polygon(FederationStore.Ring(44.95, -93.26, 2000, 1, zigzag: 0));
        var simpler = PartnerArea.Simplify(smooth, O.SimplifyMeters, O.MaxRingVertices);
        Assert.InRange(simpler.Length, 4, 100);
        Assert.Equal(simpler[0], simpler[^1]);
        var saw = PartnerArea.Simplify(Cap.Polygon(FederationStore.Ring(44.95, -93.26, 2000, 1)), O.SimplifyMeters, O.MaxRingVertices);
        Assert.InRange(saw.Length, 4, O.MaxRingVertices);
    }

    [Fact]
    public void Too_many_polygons_or_vertices_in_one_message_are_refused_with_the_reason()
    {
        var m = Parse(FederationStore.PolygonFlood("p-1", "s@example.org", Now.AddMinutes(-1), polygons: 11, points: 20));
        Assert.Contains("11 polygons", Assert.Throws<FeedRejected>(() => FederationImport.ToRow("P", m, Now, O)).Reason);
        var big = Parse(FederationStore.PolygonFlood("p-2", "s@example.org", Now.AddMinutes(-1), polygons: 5, points: 2000));
        Assert.Contains("vertices in one message", Assert.Throws<FeedRejected>(() => FederationImport.ToRow("P", big, Now, O)).Reason);
    }

    [Fact]
    public void Sent_past_the_clock_skew_is_refused_and_a_far_expiry_is_clamped()
    {
        var future = Parse(CapFixtures.Message("f-1", "s", Now.AddMinutes(30), infos: [CapFixtures.En("x")]));
        Assert.Contains("in the future", Assert.Throws<FeedRejected>(() => FederationImport.ToRow("P", future, Now, O)).Reason);
        var skewed = Parse(CapFixtures.Message("f-2", "s", Now.AddMinutes(2), infos: [CapFixtures.En("x")]));
        Assert.Equal(Now.AddMinutes(2), FederationImport.ToRow("P", skewed, Now, O).Sent);
        var forever = Parse(CapFixtures.Message("f-3", "s", Now, expires: new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero), infos: [CapFixtures.En("x")]));
        Assert.Equal(Now.AddMinutes(O.MaxExpiryMinutes), FederationImport.ToRow("P", forever, Now, O).ExpiresAt);
    }

    [Fact]
    public void A_partner_configured_with_senders_speaks_only_for_them()
    {
        var m = Parse(CapFixtures.Message("s-1", "alerts@other.example.org", Now, infos: [CapFixtures.En("x")]));
        var strict = new PartnerOptions { Name = "A", Senders = ["alerts@a.example.org"] };
        Assert.Contains("not one this partner", Assert.Throws<FeedRejected>(() => FederationImport.CheckSender(strict, m)).Reason);
        FederationImport.CheckSender(new PartnerOptions { Name = "B" }, m); // no list: any sender, shown under B's name
        FederationImport.CheckSender(new PartnerOptions { Name = "C", Senders = ["ALERTS@other.example.org"] }, m);
    }
}
