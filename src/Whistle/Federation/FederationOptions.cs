namespace Whistle.Federation;

/// <summary>Whistle:Federation:* — the partner networks whose CAP Atom feeds this one follows.</summary>
public sealed class FederationOptions
{
    public List<PartnerOptions> Partners { get; set; } = [];
    /// <summary>Poll in the background (off: only <see cref="FederationPoller.RunOnceAsync"/> polls).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>The most bytes read of a feed, or of one CAP message fetched from its link; past it the response is dropped.</summary>
    public long MaxFeedBytes { get; set; } = 2 * 1024 * 1024;
    /// <summary>How long one request (headers and body) may take.</summary>
    public double TimeoutSeconds { get; set; } = 15;
    /// <summary>Redirects followed per request (a loop, or more than this, is refused).</summary>
    public int MaxRedirects { get; set; } = 3;
    /// <summary>Entries looked at per feed (the newest by CAP sent time).</summary>
    public int MaxEntries { get; set; } = 200;
    /// <summary>How long a partner alert without <c>expires</c> is shown.</summary>
    public int DefaultExpiryMinutes { get; set; } = 240;
    /// <summary>
    /// How long one poll of one partner may take in all (feed and CAP links): links not fetched in time are left for
    /// the next poll (the feed's validators are not kept, so it is read again). One slow partner delays only itself.
    /// </summary>
    public double PollBudgetSeconds { get; set; } = 60;
    /// <summary>CAP links of one partner fetched at the same time within a poll.</summary>
    public int MaxParallelFetches { get; set; } = 4;
    /// <summary>The most bytes read in one poll of one partner, feed and every CAP link together; past it the rest waits for the next poll.</summary>
    public long MaxPollBytes { get; set; } = 8 * 1024 * 1024;
    /// <summary>The most bytes of one CAP message fetched from its link (a feed may be up to <see cref="MaxFeedBytes"/>).</summary>
    public long MaxMessageBytes { get; set; } = 256 * 1024;
}

public sealed class PartnerOptions
{
    /// <summary>Shown to the public ("From &lt;Name&gt;: …") and the key of the partner's status.</summary>
    public string Name { get; set; } = "";
    public string FeedUrl { get; set; } = "";
    public int PollSeconds { get; set; } = 60;
    /// <summary>
    /// Lets this partner's fetches reach private, loopback and link-local addresses (a partner on the same LAN, or a
    /// drill's local fake). Off: every connection of this partner — feed, CAP links, each redirect hop — must be public.
    /// </summary>
    public bool AllowPrivateNetwork { get; set; }
}
