using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whistle.Tests.Api;

/// <summary>
/// Hand-written CAP 1.2 messages (OASIS CAP 1.2, element order as the schema has it) and RFC 4287 Atom feeds
/// carrying them the way the OASIS CAP feed conventions do: entry id = CAP identifier, an
/// application/cap+xml alternate link, the message embedded in content (or only linked).
/// </summary>
public static class CapFixtures
{
    public static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);

    public sealed record Info(string Language, string Headline, string Description, string? Circle = "44.9485,-93.2555 1.5",
        string? Polygon = null, string AreaDesc = "Lake St & Bloomington Ave");

    public static Info En(string headline, string? circle = "44.9485,-93.2555 1.5", string? polygon = null) =>
        new("en-US", headline, "Agents seen near the corner. Know your rights.", circle, polygon);

    public static Info Es(string headline, string? circle = "44.9485,-93.2555 1.5", string? polygon = null) =>
        new("es-US", headline, "Se vieron agentes cerca de la esquina. Conozca sus derechos.", circle, polygon);

    /// <summary>A CAP 1.2 message; <paramref name="raw"/> is put in as is (for broken text and markup).</summary>
    public static string Message(string identifier, string sender, DateTimeOffset sent, string msgType = "Alert",
        string? references = null, DateTimeOffset? expires = null, string status = "Actual", string scope = "Public",
        Info[]? infos = null, bool raw = false, string ns = "urn:oasis:names:tc:emergency:cap:1.2")
    {
        string E(string s) => raw ? s : SecurityElement.Escape(s);
        var sb = new StringBuilder();
        sb.Append($"<alert xmlns=\"{ns}\">");
        sb.Append($"<identifier>{E(identifier)}</identifier><sender>{E(sender)}</sender><sent>{Time(sent)}</sent>");
        sb.Append($"<status>{status}</status><msgType>{msgType}</msgType><scope>{scope}</scope>");
        if (references is not null) sb.Append($"<references>{references}</references>");
        foreach (var i in infos ?? [])
        {
            sb.Append($"<info><language>{i.Language}</language><category>Safety</category><event>Immigration enforcement activity</event>");
            sb.Append("<urgency>Immediate</urgency><severity>Moderate</severity><certainty>Observed</certainty>");
            if (expires is { } x) sb.Append($"<expires>{Time(x)}</expires>");
            sb.Append($"<senderName>Northside Rapid Response</senderName><headline>{E(i.Headline)}</headline><description>{E(i.Description)}</description>");
            sb.Append($"<area><areaDesc>{E(i.AreaDesc)}</areaDesc>");
            if (i.Polygon is not null) sb.Append($"<polygon>{i.Polygon}</polygon>");
            if (i.Circle is not null) sb.Append($"<circle>{i.Circle}</circle>");
            sb.Append("</area></info>");
        }
        sb.Append("</alert>");
        return sb.ToString();
    }

    public static string Reference(string sender, string identifier, DateTimeOffset sent) => $"{sender},{identifier},{Time(sent)}";

    /// <summary>One Atom entry: the CAP embedded in content, or (embed: false) only its alternate link.</summary>
    public sealed record Entry(string Identifier, string Cap, bool Embed = true, string? Link = null);

    public static string Feed(string title, params Entry[] entries)
    {
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">");
        sb.Append($"<id>urn:uuid:{Guid.NewGuid()}</id><title>{SecurityElement.Escape(title)}</title>");
        sb.Append($"<updated>{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}</updated><author><name>{SecurityElement.Escape(title)}</name></author>");
        foreach (var e in entries)
        {
            sb.Append($"<entry><id>{SecurityElement.Escape(e.Identifier)}</id><title>Alert {SecurityElement.Escape(e.Identifier)}</title>");
            sb.Append($"<updated>{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}</updated>");
            sb.Append($"<link rel=\"alternate\" type=\"application/cap+xml\" href=\"{e.Link ?? $"cap/{Uri.EscapeDataString(e.Identifier)}.cap"}\"/>");
            if (e.Embed) sb.Append($"<content type=\"text/xml\">{e.Cap}</content>");
            else sb.Append("<summary>An alert</summary>");
            sb.Append("</entry>");
        }
        sb.Append("</feed>");
        return sb.ToString();
    }
}

/// <summary>
/// Partner networks' web servers: a Kestrel on a loopback port serving whatever each path is set to, answering
/// conditional requests when the path has an ETag, and recording what was asked.
/// </summary>
public sealed class PartnerFeeds : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new();

    public ConcurrentQueue<(string Path, string? IfNoneMatch, string? IfModifiedSince, int Status)> Requests { get; } = new();
    public string Url { get; private set; } = "";

    private PartnerFeeds()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(async ctx =>
        {
            var path = ctx.Request.Path.Value ?? "";
            if (_routes.TryGetValue(path, out var handler)) await handler(ctx);
            else ctx.Response.StatusCode = 404;
            Requests.Enqueue((path, ctx.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm ? inm : null,
                ctx.Request.Headers.IfModifiedSince.ToString() is { Length: > 0 } ims ? ims : null, ctx.Response.StatusCode));
        });
    }

    public static async Task<PartnerFeeds> StartAsync()
    {
        var feeds = new PartnerFeeds();
        await feeds._app.StartAsync();
        feeds.Url = feeds._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return feeds;
    }

    public void Handle(string path, Func<HttpContext, Task> handler) => _routes[path] = handler;

    /// <summary>Serves a document; with an ETag (and Last-Modified) it answers a matching If-None-Match with 304.</summary>
    public void Serve(string path, string body, string contentType = "application/atom+xml", string? etag = null, DateTimeOffset? lastModified = null) =>
        Handle(path, async ctx =>
        {
            if (etag is not null && ctx.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            if (etag is not null) ctx.Response.Headers.ETag = etag;
            if (lastModified is { } lm) ctx.Response.Headers.LastModified = lm.ToString("R");
            ctx.Response.ContentType = contentType;
            await ctx.Response.WriteAsync(body);
        });

    public int Count(string path) => Requests.Count(r => r.Path == path);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
