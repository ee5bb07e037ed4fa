using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery;

namespace Whistle.Federation;

/// <summary>A fetched document, or <see cref="NotModified"/> (304) with no body.</summary>
public sealed record Fetched(bool NotModified, byte[] Body, string? ETag, string? LastModified, Uri FinalUri);

/// <summary>Why a fetch failed, in the coarse words staff see (never a blocked host's status, error kind or body).</summary>
public enum FetchFailure { Refused, Unreachable, TimedOut, Http, TooLarge, NotXml, BadRedirect, OverBudget }

/// <summary>A fetch that failed; <see cref="Failure"/> lets the poller count timeouts and budget overruns.</summary>
public sealed class FetchFailed(FetchFailure failure, string reason) : Exception(reason)
{
    public FetchFailure Failure => failure;
}

/// <summary>
/// The bytes one poll of one partner may still read (feed and every CAP link together), shared by parallel fetches:
/// each chunk read is taken from it, and once it is spent every read stops.
/// </summary>
public sealed class ByteBudget(long bytes)
{
    private long _left = bytes;
    public long Left => Interlocked.Read(ref _left);
    public bool Spent => Left < 0;
    /// <summary>Takes <paramref name="n"/> bytes; false (and the budget spent) when there were not that many.</summary>
    public bool Take(long n) => Interlocked.Add(ref _left, -n) >= 0;
}

/// <summary>
/// GETs a partner's feed or CAP message with the safety limits: http(s) only, a deadline for the whole
/// request, redirects followed by hand (a loop or too many is refused), 2xx or 304 only, an XML content
/// type, never more than the cap read (whatever Content-Length says) nor more than the poll's byte budget,
/// and — unless the partner is configured <see cref="PartnerOptions.AllowPrivateNetwork"/> — every connection
/// (the feed, each link, each redirect hop) to a public address only, checked after DNS at connect time by the
/// same rule as webhooks and push (<see cref="SubscriberEndpoints"/>). Failures are reported in coarse words:
/// a refused address is "address not allowed", nothing more.
/// </summary>
public sealed class FeedFetcher(IHttpClientFactory clients, TimeProvider time, IOptions<WhistleOptions> options)
{
    /// <summary>The client for partners that must be public (every connection checked).</summary>
    public const string ClientName = "federation";
    /// <summary>The client for partners configured with <see cref="PartnerOptions.AllowPrivateNetwork"/> (its own connection pool).</summary>
    public const string PrivateClientName = "federation-private";

    public const string NotAllowed = "address not allowed";

    public async Task<Fetched> GetAsync(Uri uri, string? etag, string? lastModified, CancellationToken ct,
        bool allowPrivate = false, long? maxBytes = null, ByteBudget? budget = null)
    {
        var o = options.Value.Federation;
        // Separate clients, so a connection a private partner opened is never reused by a public one.
        var http = clients.CreateClient(allowPrivate ? PrivateClientName : ClientName);
        long max = maxBytes ?? o.MaxFeedBytes;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Clamp(o.TimeoutSeconds, 1, 86_400)), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            return await FollowAsync(http, uri, etag, lastModified, o, max, budget, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new FetchFailed(FetchFailure.TimedOut, $"timed out after {o.TimeoutSeconds} s");
        }
        catch (HttpRequestException e) when (SubscriberEndpoints.IsRefused(e))
        {
            throw new FetchFailed(FetchFailure.Refused, NotAllowed);
        }
        catch (HttpRequestException)
        {
            throw new FetchFailed(FetchFailure.Unreachable, "unreachable");
        }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            throw new FetchFailed(FetchFailure.Unreachable, "unreachable");
        }
    }

    private static async Task<Fetched> FollowAsync(HttpClient http, Uri uri, string? etag, string? lastModified, FederationOptions o,
        long max, ByteBudget? budget, CancellationToken ct)
    {
        var seen = new HashSet<string>();
        for (int hop = 0; ; hop++)
        {
            if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new FetchFailed(FetchFailure.BadRedirect, "not an http(s) URL");
            if (!seen.Add(uri.AbsoluteUri)) throw new FetchFailed(FetchFailure.BadRedirect, "redirect loop");
            if (hop > o.MaxRedirects) throw new FetchFailed(FetchFailure.BadRedirect, $"more than {o.MaxRedirects} redirects");
            if (budget is { Spent: true }) throw new FetchFailed(FetchFailure.OverBudget, "the poll's byte budget is spent");

            using var req = new HttpRequestMessage(HttpMethod.Get, uri);
            req.Headers.Accept.ParseAdd("application/atom+xml, application/cap+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7");
            if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag)) req.Headers.IfNoneMatch.Add(tag);
            if (lastModified is not null && DateTimeOffset.TryParse(lastModified, out var since)) req.Headers.IfModifiedSince = since;
            using var res = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);

            int code = (int)res.StatusCode;
            if (code is >= 300 and < 400 && res.StatusCode != HttpStatusCode.NotModified)
            {
                if (res.Headers.Location is not { } next) throw new FetchFailed(FetchFailure.BadRedirect, "a redirect without a Location");
                uri = next.IsAbsoluteUri ? next : new Uri(uri, next);
                continue;
            }
            if (res.StatusCode == HttpStatusCode.NotModified) return new Fetched(true, [], etag, lastModified, uri);
            // The class only (4xx, 5xx): what a partner's server answered, never a detail to map a server by.
            if (!res.IsSuccessStatusCode) throw new FetchFailed(FetchFailure.Http, $"HTTP {code / 100}xx");

            var type = res.Content.Headers.ContentType?.MediaType;
            if (!IsXml(type)) throw new FetchFailed(FetchFailure.NotXml, $"content type '{Cap.Short(type ?? "none")}' is not XML");
            if (res.Content.Headers.ContentLength > max) throw new FetchFailed(FetchFailure.TooLarge, $"larger than {max} bytes (Content-Length)");

            var body = await ReadCappedAsync(await res.Content.ReadAsStreamAsync(ct), max, budget, ct);
            return new Fetched(false, body, res.Headers.ETag?.ToString(),
                res.Content.Headers.LastModified?.ToString("R"), uri);
        }
    }

    /// <summary>Reads at most <paramref name="max"/> bytes, each taken from the poll's budget; one more and the response is dropped.</summary>
    private static async Task<byte[]> ReadCappedAsync(Stream stream, long max, ByteBudget? budget, CancellationToken ct)
    {
        await using var _ = stream;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            int n = await stream.ReadAsync(chunk, ct);
            if (n == 0) return buffer.ToArray();
            if (buffer.Length + n > max) throw new FetchFailed(FetchFailure.TooLarge, $"larger than {max} bytes");
            if (budget is not null && !budget.Take(n)) throw new FetchFailed(FetchFailure.OverBudget, "the poll's byte budget is spent");
            buffer.Write(chunk, 0, n);
        }
    }

    private static readonly string[] XmlTypes = ["application/atom+xml", AtomFeed.CapMediaType, "application/xml", "text/xml"];

    public static bool IsXml(string? mediaType) =>
        mediaType is not null && XmlTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase);
}
