using System.Globalization;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// The network's current public alerts as an Atom feed (RFC 4287) in the CAP feed convention: one entry
/// per CAP message — every alert, update and cancel of each chain that is still current — whose id is the
/// CAP identifier, with a link to the message (<c>application/cap+xml</c>) and the message itself as content.
/// A chain is current while any of its messages' CAP <c>expires</c> is ahead: an alert's window (as updates
/// extend it), and a cancel for a day after it was sent. Drills are never in it (the public page hides them).
/// </summary>
public static class AtomFeed
{
    public const string ContentType = "application/atom+xml";
    public const string Path = "/feeds/alerts.atom";
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private const string Scheme = CapMessage.Namespace + "#";

    /// <summary>The messages of every current chain (newest first) and when the feed last changed.</summary>
    public static async Task<(List<Alert> Messages, DateTimeOffset LastModified)> CurrentAsync(WhistleDb db, DateTimeOffset now, CancellationToken ct)
    {
        var cancelledSince = now - CapMessage.CancelShownFor;
        var live = await db.Alerts.AsNoTracking()
            .Where(a => a.Kind == AlertKind.Alert && !a.Drill && !a.AwaitingApproval && a.ExpiresAt > now)
            .OrderByDescending(a => a.SentAt).Take(500).Select(a => a.Id).ToListAsync(ct);
        var cancelled = await db.Alerts.AsNoTracking()
            .Where(c => c.Kind == AlertKind.Cancel && !c.Drill && c.SentAt > cancelledSince && c.ReferencesId != null)
            .OrderByDescending(c => c.SentAt).Take(500).Select(c => c.ReferencesId!.Value).ToListAsync(ct);
        var roots = live.Concat(cancelled).Distinct().ToList();
        var refs = roots.Select(r => (Guid?)r).ToList();
        var messages = roots.Count == 0 ? [] : await db.Alerts.AsNoTracking()
            .Where(a => !a.Drill && !a.AwaitingApproval && (roots.Contains(a.Id) || refs.Contains(a.ReferencesId)))
            .ToListAsync(ct);
        messages = messages.OrderByDescending(a => a.Seq).ToList();

        // The feed changes when a message is sent and when a chain leaves it: the last of each so far
        // (an expiry that did not remove a chain only makes a poller fetch once more).
        var lastSent = messages.Count == 0 ? (DateTimeOffset?)null : messages.Max(a => a.SentAt);
        var lastExpiry = await db.Alerts.AsNoTracking()
            .Where(a => a.Kind != AlertKind.Cancel && !a.Drill && !a.AwaitingApproval && a.ExpiresAt <= now)
            .OrderByDescending(a => a.ExpiresAt).Select(a => (DateTimeOffset?)a.ExpiresAt).FirstOrDefaultAsync(ct);
        var lastCancelGone = await db.Alerts.AsNoTracking()
            .Where(c => c.Kind == AlertKind.Cancel && !c.Drill && c.SentAt <= cancelledSince)
            .OrderByDescending(c => c.SentAt).Select(c => (DateTimeOffset?)c.SentAt).FirstOrDefaultAsync(ct);
        var created = await db.Network.OrderBy(n => n.Id).Select(n => (DateTimeOffset?)n.CreatedAt).FirstOrDefaultAsync(ct);
        var last = new[] { lastSent, lastExpiry, lastCancelGone + CapMessage.CancelShownFor, created }
            .Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(DateTimeOffset.UnixEpoch).Max();
        return (messages, last);
    }

    /// <summary>The feed document; <paramref name="messages"/> hold whole chains, newest first.</summary>
    public static XDocument Build(IReadOnlyList<Alert> messages, CapContext context, DateTimeOffset updated)
    {
        var self = context.BaseUrl.TrimEnd('/') + Path;
        var feed = new XElement(Atom + "feed",
            new XElement(Atom + "id", self),
            new XElement(Atom + "title", context.SenderName + ": verified alerts"),
            new XElement(Atom + "subtitle", "Current public alerts, updates and cancels as CAP 1.2 messages (en, es, so, hmn)."),
            new XElement(Atom + "updated", Time(updated)),
            new XElement(Atom + "author", new XElement(Atom + "name", context.SenderName)),
            new XElement(Atom + "link", new XAttribute("rel", "self"), new XAttribute("type", ContentType), new XAttribute("href", self)),
            new XElement(Atom + "link", new XAttribute("rel", "alternate"), new XAttribute("type", "text/html"), new XAttribute("href", context.BaseUrl.TrimEnd('/') + "/")),
            new XElement(Atom + "generator", "Whistle"));
        foreach (var m in messages)
        {
            var cap = CapMessage.Element(m, messages, context);
            var english = cap.Elements(cap.Name.Namespace + "info").First();
            string Field(string name) => english.Element(cap.Name.Namespace + name)?.Value ?? "";
            feed.Add(new XElement(Atom + "entry",
                new XElement(Atom + "id", CapMessage.Identifier(m.Id)),
                new XElement(Atom + "title", Field("headline")),
                new XElement(Atom + "updated", Time(m.SentAt)),
                new XElement(Atom + "published", Time(m.SentAt)),
                new XElement(Atom + "author", new XElement(Atom + "name", context.SenderName)),
                new XElement(Atom + "link", new XAttribute("rel", "alternate"), new XAttribute("type", CapMessage.ContentType),
                    new XAttribute("href", CapMessage.CapUrl(context.BaseUrl, m.Id))),
                new XElement(Atom + "category", new XAttribute("scheme", Scheme + "msgType"),
                    new XAttribute("term", cap.Element(cap.Name.Namespace + "msgType")!.Value)),
                new XElement(Atom + "category", new XAttribute("scheme", "urn:whistle:activity"), new XAttribute("term", Names.Of(m.Activity)),
                    new XAttribute("label", Field("event"))),
                new XElement(Atom + "summary", Field("description")),
                new XElement(Atom + "content", new XAttribute("type", "text/xml"), cap)));
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), Platform.Text.XmlSafe(feed));
    }

    /// <summary>RFC 3339, whole seconds, UTC.</summary>
    public static string Time(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);
}
