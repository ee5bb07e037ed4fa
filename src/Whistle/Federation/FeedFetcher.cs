using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Federation;

/// <summary>A fetched document, or <see cref="NotModified"/> (304) with no body.</summary>
public sealed record Fetched(bool NotModified, byte[] Body, string? ETag, string? LastModified, Uri FinalUri);

/// <summary>
/// GETs a partner's feed or CAP message with the safety limits: http(s) only, a deadline for the whole
/// request, redirects followed by hand (a loop or too many is refused), 2xx or 304 only, an XML content
/// type, and never more than <see cref="FederationOptions.MaxFeedBytes"/> read (whatever Content-Length says).
/// </summary>
public sealed class FeedFetcher(HttpClient http, TimeProvider time, IOptions<WhistleOptions> options)
{
    public const string ClientName = "federation";

    public async Task<Fetched> GetAsync(Uri uri, string? etag, string? lastModified, CancellationToken ct)
    {
        var o = options.Value.Federation;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(o.TimeoutSeconds), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            return await FollowAsync(uri, etag, lastModified, o, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new FeedRejected($"timed out after {o.TimeoutSeconds} s");
        }
        catch (HttpRequestException e)
        {
            throw new FeedRejected($"request failed ({e.HttpRequestError})");
        }
    }

    private async Task<Fetched> FollowAsync(Uri uri, string? etag, string? lastModified, FederationOptions o, CancellationToken ct)
    {
        var seen = new HashSet<string>();
        for (int hop = 0; ; hop++)
        {
            if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new FeedRejected("not an http(s) URL");
            if (!seen.Add(uri.AbsoluteUri)) throw new FeedRejected("redirect loop");
            if (hop > o.MaxRedirects) throw new FeedRejected($"more than {o.MaxRedirects} redirects");

            using var req = new HttpRequestMessage(HttpMethod.Get, uri);
            req.Headers.Accept.ParseAdd("application/atom+xml, application/cap+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7");
            if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag)) req.Headers.IfNoneMatch.Add(tag);
            if (lastModified is not null && DateTimeOffset.TryParse(lastModified, out var since)) req.Headers.IfModifiedSince = since;
            using var res = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);

            int code = (int)res.StatusCode;
            if (code is >= 300 and < 400 && res.StatusCode != HttpStatusCode.NotModified)
            {
                if (res.Headers.Location is not { } next) throw new FeedRejected($"HTTP {code} without a Location");
                uri = next.IsAbsoluteUri ? next : new Uri(uri, next);
                continue;
            }
            if (res.StatusCode == HttpStatusCode.NotModified) return new Fetched(true, [], etag, lastModified, uri);
            if (!res.IsSuccessStatusCode) throw new FeedRejected($"HTTP {code}");

            var type = res.Content.Headers.ContentType?.MediaType;
            if (!IsXml(type)) throw new FeedRejected($"content type '{Cap.Short(type ?? "none")}' is not XML");
            if (res.Content.Headers.ContentLength > o.MaxFeedBytes) throw new FeedRejected($"larger than {o.MaxFeedBytes} bytes (Content-Length)");

            var body = await ReadCappedAsync(await res.Content.ReadAsStreamAsync(ct), o.MaxFeedBytes, ct);
            return new Fetched(false, body, res.Headers.ETag?.ToString(),
                res.Content.Headers.LastModified?.ToString("R"), uri);
        }
    }

    /// <summary>Reads at most <paramref name="max"/> bytes; one more and the response is dropped.</summary>
    private static async Task<byte[]> ReadCappedAsync(Stream stream, long max, CancellationToken ct)
    {
        await using var _ = stream;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            int n = await stream.ReadAsync(chunk, ct);
            if (n == 0) return buffer.ToArray();
            if (buffer.Length + n > max) throw new FeedRejected($"larger than {max} bytes");
            buffer.Write(chunk, 0, n);
        }
    }

    private static readonly string[] XmlTypes = ["application/atom+xml", AtomFeed.CapMediaType, "application/xml", "text/xml"];

    public static bool IsXml(string? mediaType) =>
        mediaType is not null && XmlTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase);
}
