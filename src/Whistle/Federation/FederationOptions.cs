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

    // Issue 14 §1–§2 (decision 0033): what one partner may hold and show, whatever it sends.
    /// <summary>A partner's <c>sent</c> may be this far ahead of our clock (clock skew); further is refused.</summary>
    public int MaxFutureSkewMinutes { get; set; } = 5;
    /// <summary>The longest a partner alert is shown after it arrives: a later <c>expires</c> is clamped to it.</summary>
    public int MaxExpiryMinutes { get; set; } = 1440;
    /// <summary>Active (current) messages kept per partner; a new alert past it is refused.</summary>
    public int MaxActivePerPartner { get; set; } = 50;
    /// <summary>Polygons per message (after the first info with shapes is chosen).</summary>
    public int MaxPolygonsPerMessage { get; set; } = 10;
    /// <summary>The most vertices one ring keeps after simplification (a map needs no more).</summary>
    public int MaxRingVertices { get; set; } = 500;
    /// <summary>Vertices per message after simplification; past it the message is refused.</summary>
    public int MaxVerticesPerMessage { get; set; } = 2000;
    /// <summary>Vertices of all a partner's active messages together; a new message past it is refused.</summary>
    public int MaxVerticesPerPartner { get; set; } = 10000;
    /// <summary>Polygons are simplified on import to this tolerance (metres): finer than a street, coarser than a survey.</summary>
    public double SimplifyMeters { get; set; } = 25;
    /// <summary>Messages per partner in the public outputs (its newest); one partner never starves another.</summary>
    public int PublicPerPartner { get; set; } = 25;
    /// <summary>The public GeoJSON's most bytes; past it, partners lose their oldest messages in turn.</summary>
    public int PublicMaxBytes { get; set; } = 1024 * 1024;
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

    // Issue 14 §2 (decision 0033).
    /// <summary>Off: not polled, and its messages are withdrawn from every public output at once.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>The CAP senders this partner speaks for; a message from another sender is refused. Empty: any sender
    /// (the public sees only the partner's name in any case).</summary>
    public List<string> Senders { get; set; } = [];
    /// <summary>
    /// Lets this partner's fetches reach private, loopback and link-local addresses (a partner on the same LAN, or a
    /// drill's local fake). Off: every connection of this partner — feed, CAP links, each redirect hop — must be public.
    /// </summary>
    public bool AllowPrivateNetwork { get; set; }
}
