using Microsoft.Extensions.DependencyInjection;
using Whistle.Federation;

namespace Whistle.Tests.Api;

/// <summary>Issue 14 §4 at the fetcher: CAP links and redirect hops of a public partner go through the same connection rule as its feed.</summary>
public sealed class FederationFetchDirectTests
{
    // §4: a public partner's CAP links (and so each redirect hop, a new connection each) are held to the same rule as its feed.
    [Fact]
    public async Task A_private_partners_links_may_stay_inside_but_a_public_partners_fetch_of_the_same_link_is_refused_before_connecting()
    {
        await using var inside = await PartnerFeeds.StartAsync();
        inside.Serve("/cap/x-1.cap", FederationFetchTests.Cap("x", "x-1"), "application/cap+xml");
        inside.Handle("/hop", ctx => { ctx.Response.Redirect(inside.Url + "/cap/x-1.cap"); return Task.CompletedTask; });
        using var app = FederationFetchTests.App(Db.Sqlite, new() { ["Whistle:Federation:Enabled"] = "false" });
        await using var scope = app.Services.CreateAsyncScope();
        var fetcher = scope.ServiceProvider.GetRequiredService<FeedFetcher>();

        foreach (var link in new[] { inside.Url + "/cap/x-1.cap", inside.Url + "/hop", "http://169.254.169.254/latest/meta-data/iam/", "http://[fe80::1]/", "http://[::1]/" })
        {
            var refused = await Record.ExceptionAsync(() => fetcher.GetAsync(new Uri(link), null, null, default));
            Assert.Equal("address not allowed", refused?.Message);
        }
        Assert.Empty(inside.Requests);

        // The same links for a partner configured private: the redirect is followed by hand and the message read.
        var got = await fetcher.GetAsync(new Uri(inside.Url + "/hop"), null, null, default, allowPrivate: true);
        Assert.Equal("/cap/x-1.cap", got.FinalUri.AbsolutePath);
        Assert.Equal(2, inside.Requests.Count);
    }
}
