using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Whistle.Data;
using Whistle.Geo;

namespace Whistle.Alerts;

/// <summary>Whistle:Cap:* — how the network signs its CAP messages.</summary>
public sealed class CapOptions
{
    /// <summary>CAP's sender (no spaces, commas, &lt; or &amp;); default <c>whistle@&lt;host of PublicBaseUrl&gt;</c>.</summary>
    public string? Sender { get; set; }

    public static bool IsValidSender(string s) =>
        s.Length > 0 && !s.Any(c => char.IsWhiteSpace(c) || c is ',' or '<' or '&');
}

/// <summary>
/// Public, anonymous: each alert, update and cancel as CAP 1.2 (<c>GET /api/v1/alerts/{id}.cap</c>) and the
/// current ones as an Atom feed (<c>GET /feeds/alerts.atom</c>), with ETag / Last-Modified and 304s for pollers.
/// Drills are not public: 404, and never in the feed.
/// </summary>
public static class CapApi
{
    public static WebApplication MapCap(this WebApplication app)
    {
        var o = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value;
        if (o.Cap.Sender is { } s && !CapOptions.IsValidSender(s))
            throw new InvalidOperationException("Whistle:Cap:Sender must not contain spaces, commas, '<' or '&' (CAP 1.2).");

        var group = app.MapGroup("").AllowAnonymous().WithTags("CAP");
        // A complex segment with a guid constraint: never matches the dispatcher's /api/v1/alerts/{id:guid}.
        group.MapGet("/api/v1/alerts/{id:guid}.cap", MessageAsync)
            .Produces(StatusCodes.Status200OK, contentType: CapMessage.ContentType).Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet(AtomFeed.Path, FeedAsync)
            .Produces(StatusCodes.Status200OK, contentType: AtomFeed.ContentType).Produces(StatusCodes.Status304NotModified);
        return app;
    }

    private static async Task<IResult> MessageAsync(Guid id, HttpContext http, WhistleDb db, ZoneRegistry zones,
        IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var message = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id && !a.Drill && !a.AwaitingApproval, ct);
        if (message is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No public alert has this id.");
        var root = CapMessage.RootId(message);
        var chain = await db.Alerts.AsNoTracking().Where(a => (a.Id == root || a.ReferencesId == root) && !a.AwaitingApproval).ToListAsync(ct);
        var context = await ContextAsync(db, zones, options.Value, ct);
        var body = Bytes(CapMessage.Build(message, chain, context));
        // An original changes when an update changes its place or window: the chain's last message dates it.
        return Conditional(http, body, CapMessage.ContentType + "; charset=utf-8", chain.Append(message).Max(a => a.SentAt));
    }

    private static async Task<IResult> FeedAsync(HttpContext http, WhistleDb db, ZoneRegistry zones,
        IOptions<WhistleOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (messages, lastModified) = await AtomFeed.CurrentAsync(db, time.GetUtcNow(), ct);
        var context = await ContextAsync(db, zones, options.Value, ct);
        var body = Bytes(AtomFeed.Build(messages, context, lastModified));
        return Conditional(http, body, AtomFeed.ContentType + "; charset=utf-8", lastModified);
    }

    public static async Task<CapContext> ContextAsync(WhistleDb db, ZoneRegistry zones, WhistleOptions o, CancellationToken ct)
    {
        // Never the request's Host: a forged header must not become the sender or the links (PublicBaseUrl is required outside the demo).
        var baseUrl = Platform.PublicUrl.Base(o);
        var name = await Network.NetworkLookup.NameAsync(db, o.Network.Name, ct);
        var templates = TemplateSet.From(await db.Templates.AsNoTracking().ToListAsync(ct));
        var zone = await Network.NetworkLookup.TimeZoneAsync(db, ct);
        return new CapContext(o.Cap.Sender ?? CapContext.DefaultSender(baseUrl), name, baseUrl, templates, zones.Current, zone);
    }

    public static byte[] Bytes(XDocument doc)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
            doc.Save(writer);
        return stream.ToArray();
    }

    /// <summary>
    /// 304 when the client has this version: If-None-Match (the ETag, a hash of the body) decides when sent,
    /// else If-Modified-Since against Last-Modified (whole seconds). Clients should prefer the ETag.
    /// </summary>
    private static IResult Conditional(HttpContext http, byte[] body, string contentType, DateTimeOffset lastModified)
    {
        var etag = new EntityTagHeaderValue("\"" + Convert.ToBase64String(SHA256.HashData(body), 0, 18).Replace('+', '-').Replace('/', '_') + "\"");
        var modified = DateTimeOffset.FromUnixTimeSeconds(lastModified.ToUnixTimeSeconds());
        var response = http.Response.GetTypedHeaders();
        response.ETag = etag;
        response.LastModified = modified;
        http.Response.Headers.CacheControl = "no-cache";
        var request = http.Request.GetTypedHeaders();
        bool notModified = request.IfNoneMatch is { Count: > 0 } tags
            ? tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false))
            : request.IfModifiedSince is { } since && modified <= since;
        return notModified ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : TypedResults.File(body, contentType);
    }
}
