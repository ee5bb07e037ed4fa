using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Cluster;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Verification;

namespace Whistle.Platform;

/// <summary>What every feature shares: JSON on the wire, RFC 7807 errors, OpenAPI, rate limits, health.</summary>
public static class PlatformSetup
{
    public static readonly JsonStringEnumConverter EnumsAsSnakeCase = new(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

    public static WebApplicationBuilder AddPlatform(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        // Quiet by default: the relay polls, and request and SQL chatter would drown what matters.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // http://localhost:5080 unless ASPNETCORE_URLS, --urls or HTTP_PORTS say otherwise.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls("http://localhost:5080");
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(EnumsAsSnakeCase);
            // Every string of every JSON body: control characters, lone surrogates and noncharacters never get in.
            o.SerializerOptions.Converters.Add(new CleanStringConverter());
        });
        // Bad requests throw, so the exception handler can say what was wrong instead of an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // Every problem's title, detail and field messages in the request's language (Site/ProblemWords.cs).
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c => Whistle.Site.ProblemWords.Localise(c.HttpContext, c.ProblemDetails));
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Whistle API";
            doc.Info.Description = "Community rapid-response network: reports, verified sightings, targeted alerts.";
            return Task.CompletedTask;
        }));
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                if (ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    ctx.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString();
                // A limit that fails closed (login) while the shared store is down: not the client's doing, so 503.
                var down = ctx.Lease.TryGetMetadata(SharedWindowLimiter.StoreDown, out var isDown) && isDown;
                if (down) ctx.HttpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await ctx.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
                {
                    HttpContext = ctx.HttpContext,
                    ProblemDetails = down
                        ? new() { Status = 503, Title = "Temporarily unavailable", Detail = "Signing in is paused for a few seconds while this network's servers reconnect. Please try again shortly." }
                        : new() { Status = 429, Title = "Too many requests", Detail = "Too many requests from this address. Please wait a minute and try again." },
                });
            };
            // Shared by every node (Redis, or PostgreSQL) when limits are (decision 0046): N a minute for the cluster.
            // Login fails closed while the shared store is down (staff already signed in keep working); the others
            // fall back to this node's own window.
            PerClientPerMinute(o, RateLimits.Reports, r => r.ReportsPerMinute);
            PerClientPerMinute(o, RateLimits.Subscriptions, r => r.SubscriptionsPerMinute);
            PerClientPerMinute(o, RateLimits.Login, r => r.LoginPerMinute, failClosed: true);
            PerClientPerMinute(o, RateLimits.Submissions, r => r.SubmissionsPerMinute);
            // Receipt codes (issue 15): few look-ups an hour per network (keyed hash of its /24 or /48), so codes cannot be enumerated.
            o.AddPolicy(RateLimits.Receipts, ctx =>
            {
                var permits = ctx.RequestServices.GetRequiredService<IOptions<WhistleOptions>>().Value.RateLimits.ReceiptLookupsPerHour;
                var source = Convert.ToHexString(Whistle.Reports.Sources.Web(ctx.Connection.RemoteIpAddress, ctx.RequestServices.GetRequiredService<Whistle.Privacy.KeyRing>()));
                return SharedWindowLimiter.Partition(ctx.RequestServices, RateLimits.Receipts, source, permits, TimeSpan.FromHours(1));
            });
        });
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        builder.Services.Configure<ForwardedHeadersOptions>(o => TrustProxies(o, builder.Configuration["Whistle:TrustedProxies"]));
        return builder;
    }

    /// <summary>
    /// X-Forwarded-For is believed only from the proxies named in Whistle:TrustedProxies (addresses or CIDR networks),
    /// and only its last hop: the framework's default trust of loopback is dropped, so with none configured no
    /// client can choose the address its requests are limited and counted by.
    /// </summary>
    public static void TrustProxies(ForwardedHeadersOptions o, string? trusted)
    {
        o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        o.ForwardLimit = 1;
        o.KnownProxies.Clear();
        o.KnownIPNetworks.Clear();
        foreach (var entry in (trusted ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Contains('/'))
            {
                if (!System.Net.IPNetwork.TryParse(entry, out var net))
                    throw new InvalidOperationException($"Whistle:TrustedProxies: '{entry}' is not an address or a network like 10.0.0.0/8.");
                o.KnownIPNetworks.Add(net);
            }
            else if (System.Net.IPAddress.TryParse(entry, out var ip)) o.KnownProxies.Add(ip);
            else throw new InvalidOperationException($"Whistle:TrustedProxies: '{entry}' is not an address or a network like 10.0.0.0/8.");
        }
    }

    private static void PerClientPerMinute(RateLimiterOptions o, string policy, Func<RateLimitOptions, int> limit, bool failClosed = false) =>
        o.AddPolicy(policy, ctx =>
        {
            var permits = limit(ctx.RequestServices.GetRequiredService<IOptions<WhistleOptions>>().Value.RateLimits);
            return SharedWindowLimiter.Partition(ctx.RequestServices, policy, ctx.Connection.RemoteIpAddress?.ToString() ?? "local",
                permits, TimeSpan.FromMinutes(1), failClosed);
        });

    public static WebApplication UsePlatform(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before the rate limiter: behind a trusted proxy, the client's address is the one X-Forwarded-For names.
        if (!string.IsNullOrWhiteSpace(app.Configuration["Whistle:TrustedProxies"])) app.UseForwardedHeaders();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseSessionCheck();
        app.UseAuthorization();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthChecks("/healthz");
        return app;
    }
}

public static class RateLimits
{
    public const string Reports = "reports";
    public const string Subscriptions = "subscriptions";
    public const string Login = "login";
    public const string Submissions = "submissions";
    public const string Receipts = "receipts";
}

/// <summary>Turns exceptions into problem details: bad input is a 400 that says what was wrong; nothing leaks a stack.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (Whistle.Privacy.KeyRingSetup.IsKeysDestroyed(exception))
        {
            // Crypto-shredded (decision 0027): not an error of this request, nothing to log but the path.
            log.LogInformation("Refused on {Path}: the keys were destroyed", http.Request.Path);
            http.Response.StatusCode = 503;
            return await problems.TryWriteAsync(new()
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = new ProblemDetails
                {
                    Status = 503, Type = Whistle.Privacy.KeyRingSetup.DestroyedType, Title = "Keys destroyed",
                    Detail = "This network's encryption keys were destroyed. Anything that needs them is unavailable; public alerts and pages still work.",
                },
            });
        }
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => (400, "Invalid request body",
                json.Path is { Length: > 0 } path ? $"The request body is not valid JSON, or a value has the wrong type, at {path}." : "The request body is not valid JSON."),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", SafeDetail(bad.Message)),
            // A form that cannot be decoded (a NUL byte, a bad boundary) is the sender's fault.
            InvalidDataException bad => (400, "Bad request", SafeDetail(bad.Message)),
            InvalidTransitionException t => (409, "Transition not allowed", t.Message),
            _ => (500, "Something went wrong", "The error was logged. Nothing you sent before this request was lost."),
        };
        if (status >= 500) log.LogError(exception, "Unhandled error on {Path}", http.Request.Path);
        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new()
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    // Framework messages name parameters and types, never values; keep them but cut them short.
    private static string SafeDetail(string message) => message.Length > 300 ? message[..300] : message;
}

public sealed class DatabaseHealthCheck(WhistleDb db) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken ct = default) =>
        await db.Database.CanConnectAsync(ct)
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("database unreachable");
}
