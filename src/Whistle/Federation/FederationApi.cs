using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Reports;
using Whistle.Site;
using Whistle.Verification;

namespace Whistle.Federation;

public sealed record PartnerStatusView(string Name, string FeedUrl, int PollSeconds, DateTimeOffset? LastPollAt, DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastErrorAt, string? LastError, int ErrorCount, int ConsecutiveErrors, int NotModifiedCount, int Imported,
    DateTimeOffset? PollingSince, double? LastPollSeconds, bool LastBudgetRanOut, int BudgetRanOutCount, int Timeouts, bool PrivateNetwork);

public sealed record PartnerAlertView(Guid Id, string Partner, string Identifier, string Sender, DateTimeOffset Sent, string MsgType,
    string Status, string Scope, string State, bool Shown, DateTimeOffset ExpiresAt, Dictionary<string, string> Headlines,
    string AreaDesc, Guid ChainId, DateTimeOffset ReceivedAt, Guid? RelayedAlertId, string? RelayedBy, DateTimeOffset? RelayedAt,
    bool ChangedSinceRelay, DateTimeOffset? HiddenAt = null, string? HiddenBy = null, string? HiddenReason = null, bool PartnerEnabled = true);

/// <summary>A dispatcher's reason for hiding a partner's message from the public.</summary>
public sealed record HideRequest(string? Reason)
{
    public const int MaxReason = 500;
}

public sealed record RelayCreated(Guid Id, int Recipients);

/// <summary>The optional body of a relay: the dispatcher's "send anyway" when the partner's words look like they identify an officer.</summary>
public sealed record RelayRequest(OverrideDto? Override);

public static class FederationApi
{
    /// <summary>The most characters of a relayed message (a partner's headline and description can be long; SMS is not).</summary>
    public const int MaxRelayText = 480;

    public static RouteGroupBuilder MapFederation(this RouteGroupBuilder api)
    {
        api.MapGet("/partner-alerts", PublicAsync).AllowAnonymous().WithTags("Federation");
        var group = api.MapGroup("/federation").WithTags("Federation").RequireAuthorization(Policies.Dispatch);
        group.MapGet("/partners", PartnersAsync);
        group.MapGet("/alerts", AlertsAsync);
        group.MapPost("/alerts/{id:guid}/relay", RelayAsync);
        group.MapPost("/alerts/{id:guid}/hide", HideAsync);
        group.MapPost("/alerts/{id:guid}/unhide", UnhideAsync);
        return api;
    }

    /// <summary>
    /// Partner alerts the public may see, as an RFC 7946 GeoJSON FeatureCollection: one feature per shape (a circle is a
    /// Point, its centre snapped to the ~200 m grid, with <c>radiusMeters</c>; a polygon is a Polygon), with the partner's
    /// name and its headline and description per language.
    /// </summary>
    /// <remarks>
    /// Built once per change and shared (<see cref="PublicPartnerAlerts"/>): fair across partners, bounded in bytes,
    /// with a strong ETag; a request whose If-None-Match matches gets 304 and no body.
    /// </remarks>
    private static async Task<IResult> PublicAsync(HttpContext http, WhistleDb db, PublicPartnerAlerts shown, CancellationToken ct)
    {
        var snapshot = await shown.GetAsync(db, ct);
        http.Response.Headers.ETag = snapshot.ETag;
        http.Response.Headers.CacheControl = "public, no-cache"; // keep, but ask again: a withdrawal must show at once
        var inm = http.Request.Headers.IfNoneMatch.ToString();
        if (inm.Length > 0 && inm.Split(',').Any(t => t.Trim() is var v && (v == snapshot.ETag || v == "*")))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(snapshot.Json, "application/geo+json");
    }

    public static object GeoJson(IEnumerable<PartnerAlert> alerts) => new
    {
        type = "FeatureCollection",
        features = alerts.SelectMany(Features),
    };

    /// <summary>A message's features: one per shape (a circle as a coarsened Point with its radius, a polygon as is).</summary>
    public static IEnumerable<object> Features(PartnerAlert p) =>
        p.Area.Circles.Select(c => Feature(p, Point(new GeoPoint(c.Lat, c.Lon).Coarsen(200)), Math.Max(CircleDto.MinRadius, c.RadiusMeters)))
            .Concat(p.Area.Polygons.Select(ring => Feature(p, new { type = "Polygon", coordinates = new[] { ring } }, null)));

    private static object Point(GeoPoint at) => new { type = "Point", coordinates = new[] { at.Lon, at.Lat } };

    private static object Feature(PartnerAlert p, object geometry, double? radiusMeters) => new
    {
        type = "Feature",
        geometry,
        properties = new
        {
            id = p.Id,
            partner = p.Partner,
            msgType = p.MsgType,
            sentAt = p.Sent,
            expiresAt = p.ExpiresAt,
            place = p.AreaDesc,
            radiusMeters,
            headlines = p.Headlines,
            descriptions = p.Descriptions,
        },
    };

    /// <summary>Each partner's feed health, and which partner is slow: its poll in progress since, how long the last took, budget overruns, timeouts.</summary>
    private static async Task<Ok<PartnerStatusView[]>> PartnersAsync(WhistleDb db, IOptions<WhistleOptions> options, FederationPoller poller, CancellationToken ct)
    {
        var known = await db.FederationPartners.AsNoTracking().ToDictionaryAsync(s => s.Name, ct);
        return TypedResults.Ok(options.Value.Federation.Partners.Select(p =>
        {
            var s = known.GetValueOrDefault(p.Name) ?? new FederationPartner { Name = p.Name, FeedUrl = p.FeedUrl };
            var poll = poller.Stats(p.Name);
            return new PartnerStatusView(p.Name, p.FeedUrl, p.PollSeconds, s.LastPollAt, s.LastSuccessAt, s.LastErrorAt, s.LastError,
                s.ErrorCount, s.ConsecutiveErrors, s.NotModifiedCount, s.Imported,
                poll.PollingSince, poll.LastPollSeconds is { } d ? Math.Round(d, 1) : null, poll.LastBudgetRanOut, poll.BudgetRanOutCount, poll.Timeouts,
                p.AllowPrivateNetwork);
        }).ToArray());
    }

    /// <summary>The latest partner messages of every state, for the dispatcher: what is shown, what was relayed, what changed since.</summary>
    private static async Task<Ok<PartnerAlertView[]>> AlertsAsync(WhistleDb db, TimeProvider time, PublicPartnerAlerts shown, string? partner, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var enabled = shown.Enabled.ToHashSet();
        var query = db.PartnerAlerts.AsNoTracking();
        if (partner is not null) query = query.Where(p => p.Partner == partner);
        var rows = await query.OrderByDescending(p => p.ReceivedAt).ThenByDescending(p => p.Sent).Take(500).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(p => new PartnerAlertView(p.Id, p.Partner, p.Identifier, p.Sender, p.Sent, p.MsgType, p.Status,
            p.Scope, now >= p.ExpiresAt && p.State == PartnerAlertState.Active ? "expired" : Names.Of(p.State),
            p.IsShown(now) && enabled.Contains(p.Partner), p.ExpiresAt,
            p.Headlines, p.AreaDesc, p.ChainId, p.ReceivedAt, p.RelayedAlertId, p.RelayedBy, p.RelayedAt, p.ChangedSinceRelay,
            p.HiddenAt, p.HiddenBy, p.HiddenReason, enabled.Contains(p.Partner))).ToArray());
    }

    /// <summary>
    /// A dispatcher hides a partner's message from every public output (map, list, home page) at once, with a reason;
    /// who, when and why are kept on the row and shown to dispatchers. Hiding again keeps the first record.
    /// </summary>
    private static async Task<Results<NoContent, NotFound, ValidationProblem>> HideAsync(
        Guid id, HideRequest body, WhistleDb db, TimeProvider time, ClaimsPrincipal user, ILoggerFactory logs, CancellationToken ct)
    {
        var problems = new Problems();
        var reason = (Platform.Text.Clean(body?.Reason ?? "") ?? "").Trim();
        problems.Require(reason.Length > 0, "reason", "Say why the message is hidden.");
        problems.MaxLength(reason, HideRequest.MaxReason, "reason");
        if (problems.Any) return TypedResults.ValidationProblem(problems.ToDictionary(), title: "The request has invalid fields");
        var now = time.GetUtcNow();
        var actor = user.Identity?.Name ?? "";
        if (!await db.PartnerAlerts.AnyAsync(a => a.Id == id, ct)) return TypedResults.NotFound();
        int changed = await db.PartnerAlerts.Where(a => a.Id == id && a.HiddenAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(a => a.HiddenAt, now).SetProperty(a => a.HiddenBy, actor).SetProperty(a => a.HiddenReason, reason)
            .SetProperty(a => a.ChangedAt, now), ct);
        if (changed > 0) logs.CreateLogger("Whistle.Federation").LogInformation("Federation: partner alert {Id} hidden by a dispatcher", id);
        return TypedResults.NoContent();
    }

    /// <summary>A dispatcher shows a hidden partner message again (if it is still current); the hiding record is cleared.</summary>
    private static async Task<Results<NoContent, NotFound>> UnhideAsync(Guid id, WhistleDb db, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!await db.PartnerAlerts.AnyAsync(a => a.Id == id, ct)) return TypedResults.NotFound();
        int changed = await db.PartnerAlerts.Where(a => a.Id == id && a.HiddenAt != null).ExecuteUpdateAsync(u => u
            .SetProperty(a => a.HiddenAt, (DateTimeOffset?)null).SetProperty(a => a.HiddenBy, (string?)null)
            .SetProperty(a => a.HiddenReason, (string?)null).SetProperty(a => a.ChangedAt, now), ct);
        if (changed > 0) logs.CreateLogger("Whistle.Federation").LogInformation("Federation: partner alert {Id} shown again by a dispatcher", id);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A dispatcher's decision to pass a partner's alert on to this network's subscribers: a normal local alert (same
    /// outbox, same nearest-first fan-out) over a circle around the partner's area, with the partner's words per
    /// language, each starting "From &lt;partner&gt;:". Recorded with who relayed it; a chain is relayed once.
    /// </summary>
    private static async Task<Results<Created<RelayCreated>, NotFound, ProblemHttpResult, ValidationProblem>> RelayAsync(
        Guid id, HttpRequest request, WhistleDb db, PublishAlert publish, TimeProvider time, IOptions<WhistleOptions> options, PublicPartnerAlerts shown,
        ClaimsPrincipal user, CancellationToken ct)
    {
        // An optional body: {"override": {"reason": "..."}} when the partner's words look like they identify an officer.
        RelayRequest? req = null;
        bool hasBody = request.ContentLength is > 0
            || (request.ContentLength is null && (request.Headers.ContentType.Count > 0 || request.Headers.TransferEncoding.Count > 0));
        if (hasBody)
        {
            if (!request.HasJsonContentType())
                return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "JSON expected", detail: "Send no body, or a JSON object.");
            try { req = await request.ReadFromJsonAsync<RelayRequest>(ct); }
            catch (System.Text.Json.JsonException) { return TypedResults.Problem(statusCode: 400, title: "Invalid request body", detail: "The request body is not valid JSON."); }
            var problems = new Problems();
            req?.Override?.Validate(problems, "override");
            if (problems.Any) return TypedResults.ValidationProblem(problems.ToDictionary(), title: "The request has invalid fields");
        }
        var p = await db.PartnerAlerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        if (p is null) return TypedResults.NotFound();
        var now = time.GetUtcNow();
        if (p.RelayedAlertId is { } done) return Problem.Conflict($"Already relayed, as alert {done}.");
        if (!p.IsShown(now) || !shown.Enabled.Contains(p.Partner))
            return Problem.Conflict("Only an active, unexpired, not hidden partner alert with status Actual and scope Public, from an enabled partner, can be relayed.");
        if (p.Area.Enclosing() is not { } area || area.RadiusMeters > CircleDto.MaxRadius)
            return Problem.Conflict($"The partner's area is larger than a local alert may be ({CircleDto.MaxRadius / 1000} km).");

        // Relaying makes the partner's words this network's public words: the same officer check as a dispatcher's own.
        var messages = RelayText(p);
        var place = (p.AreaDesc.Length > 0 ? p.AreaDesc : p.Partner) is var desc && desc.Length > 120 ? desc[..120] : desc;
        if (AlertsApi.OfficerCheck("messages", messages.Values.Append(place), req?.Override, out var overridden) is { } refused) return refused;

        var actor = user.Identity?.Name ?? "";
        var alert = new Alert
        {
            Kind = AlertKind.Alert,
            Activity = Activity.Other,
            OverrideFindings = overridden?.Findings,
            OverrideReason = overridden?.Reason,
            CircleLat = area.Center.Lat,
            CircleLon = area.Center.Lon,
            CircleRadiusMeters = Math.Max(CircleDto.MinRadius, area.RadiusMeters),
            OriginLat = area.Center.Lat,
            OriginLon = area.Center.Lon,
            Place = place,
            SentAt = now,
            ExpiresAt = p.ExpiresAt < now.AddMinutes(options.Value.Alerts.MaxExpiryMinutes) ? p.ExpiresAt : now.AddMinutes(options.Value.Alerts.MaxExpiryMinutes),
            SentBy = actor,
        };
        // Claim the relay first, so two dispatchers pressing at once send one alert.
        int claimed = await db.PartnerAlerts.Where(a => a.Id == id && a.RelayedAlertId == null)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.RelayedAlertId, alert.Id).SetProperty(a => a.RelayedBy, actor)
                .SetProperty(a => a.RelayedAt, now).SetProperty(a => a.ChangedSinceRelay, false).SetProperty(a => a.ChangedAt, now), ct);
        if (claimed == 0) return Problem.Conflict("Another dispatcher relayed it a moment ago.");
        try
        {
            await publish.SendAsync(alert, p.Sent, ct, messages);
        }
        catch
        {
            await db.PartnerAlerts.Where(a => a.Id == id && a.RelayedAlertId == alert.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.RelayedAlertId, (Guid?)null).SetProperty(a => a.RelayedBy, (string?)null)
                    .SetProperty(a => a.RelayedAt, (DateTimeOffset?)null), CancellationToken.None);
            throw;
        }
        return TypedResults.Created($"/api/v1/alerts/{alert.Id}", new RelayCreated(alert.Id, alert.Recipients));
    }

    /// <summary>The relayed message per local language: "From &lt;partner&gt;: headline description", in that language when the CAP has it, else English.</summary>
    public static Dictionary<string, string> RelayText(PartnerAlert p)
    {
        var result = new Dictionary<string, string>();
        foreach (var lang in Alerts.Languages.All)
        {
            var source = p.Headlines.ContainsKey(lang) ? lang : p.Headlines.ContainsKey("en") ? "en" : p.Headlines.Keys.FirstOrDefault() ?? lang;
            var text = $"{Ui.T(lang, "alert.from").Replace("{partner}", p.Partner, StringComparison.Ordinal)}: {p.Headlines.GetValueOrDefault(source)}";
            if (p.Descriptions.GetValueOrDefault(source) is { Length: > 0 } d) text += (text.EndsWith('.') ? " " : ". ") + d.ReplaceLineEndings(" ");
            result[lang] = text.Length <= MaxRelayText ? text : text[..(MaxRelayText - 1)] + "…";
        }
        return result;
    }
}

public static class FederationSetup
{
    public static WebApplicationBuilder AddFederation(this WebApplicationBuilder builder)
    {
        // Two clients, each its own connection pool: the public one connects only to public addresses (the webhook
        // and push rule, checked after DNS on every connection, so on every redirect hop); the private one serves only
        // partners configured with AllowPrivateNetwork. Redirects are followed by hand (loops and hops are counted).
        foreach (var (name, allowPrivate) in new[] { (FeedFetcher.ClientName, false), (FeedFetcher.PrivateClientName, true) })
            builder.Services.AddHttpClient(name, c =>
            {
                c.Timeout = Timeout.InfiniteTimeSpan; // FeedFetcher sets its own deadline, on the injected clock
                c.DefaultRequestHeaders.UserAgent.ParseAdd("Whistle-Federation/1.0");
            }).ConfigurePrimaryHttpMessageHandler(() =>
            {
                var handler = SubscriberEndpoints.Handler(allowPrivate);
                handler.AutomaticDecompression = DecompressionMethods.All; // the size cap counts decompressed bytes
                handler.ConnectTimeout = TimeSpan.FromSeconds(10);
                handler.UseProxy = false; // the address rule is on the address connected to: a proxy would hide it
                return handler;
            });
        builder.Services.AddScoped<FeedFetcher>();
        builder.Services.AddSingleton<FederationPoller>();
        builder.Services.AddSingleton<PublicPartnerAlerts>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FederationPoller>());
        return builder;
    }
}
