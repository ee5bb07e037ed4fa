using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Whistle.Cluster;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Platform;

/// <summary>
/// What an operator watches (decision 0047): OpenTelemetry metrics on /metrics (admins on the main port, or anyone on
/// Whistle:Observability:MetricsPort, which binds to loopback or a private address), traces to an OTLP collector only
/// when Whistle:Observability:OtlpEndpoint is set (with nothing personal in a span), liveness and readiness, and logs as
/// one JSON object per line on stdout outside Development.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    /// <summary>The tag a health check carries when readiness needs it (all of Whistle's do).</summary>
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var o = builder.Configuration.GetSection("Whistle:Observability").Get<ObservabilityOptions>() ?? new ObservabilityOptions();

        builder.Services.AddSingleton<WhistleMetrics>();
        // Whether a loop is alive is a wall-clock question, whatever clock the rest of the app is given.
        builder.Services.AddSingleton(new RelayHeartbeat(TimeProvider.System));
        // A trace context a caller sends is not taken (nobody outside chooses our trace ids), and none is sent along
        // with a request to a provider or a subscriber's webhook.
        DistributedContextPropagator.Current = new NoPropagation(); // HttpClient's outgoing headers
        builder.Services.AddSingleton(DistributedContextPropagator.Current); // ASP.NET Core's incoming requests

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("whistle", serviceVersion: null, autoGenerateServiceInstanceId: false))
            .WithMetrics(m =>
            {
                m.AddMeter(WhistleMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                ((IDeferredMeterProviderBuilder)m).Configure((sp, b) =>
                    {
                        var mine = sp.GetRequiredService<IMeterFactory>();
                        b.AddView(i =>
                            // Another app's meters in the same process (test hosts) are not this app's figures.
                            i.Meter.Scope is IMeterFactory other && !ReferenceEquals(other, mine) ? MetricStreamConfiguration.Drop
                            // Outgoing requests go to subscribers' webhook and push hosts too: those metrics keep no host, no URL.
                            : i.Meter.Name is "System.Net.Http" or "System.Net.NameResolution" ? new MetricStreamConfiguration { TagKeys = SafeClientTags }
                            : null);
                    });
                m.AddPrometheusExporter();
                if (!string.IsNullOrWhiteSpace(o.OtlpEndpoint)) m.AddOtlpExporter(e => e.Endpoint = new Uri(o.OtlpEndpoint));
            });
        if (!string.IsNullOrWhiteSpace(o.OtlpEndpoint))
            otel.WithTracing(t => t
                .AddAspNetCoreInstrumentation(a => a.RecordException = false)
                .AddHttpClientInstrumentation(h => h.RecordException = false)
                .AddProcessor(new SpanScrubber())
                .AddOtlpExporter(e => e.Endpoint = new Uri(o.OtlpEndpoint)));

        // /metrics on its own port: that port is added to the ones the app listens on (bound to MetricsBind, loopback
        // unless told otherwise), and it serves /metrics and the health probes only.
        if (o.MetricsPort > 0)
        {
            var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
            if (string.IsNullOrWhiteSpace(urls) && builder.Configuration["http_ports"] is { Length: > 0 } ports)
                urls = string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://*:{p.Trim()}"));
            var bind = string.IsNullOrWhiteSpace(o.MetricsBind) ? "127.0.0.1" : o.MetricsBind.Trim();
            if (bind.Contains(':') && !bind.StartsWith('[')) bind = "[" + bind + "]";
            builder.WebHost.UseUrls(string.Join(';', new[] { urls, $"http://{bind}:{o.MetricsPort}" }.Where(u => !string.IsNullOrWhiteSpace(u))));
        }

        var health = builder.Services.AddHealthChecks().AddCheck<KeyRingHealthCheck>("keys", tags: [ReadyTag]);
        if (!string.IsNullOrWhiteSpace(builder.Configuration["Whistle:Redis:ConnectionString"]))
            health.AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        if (builder.Configuration.GetValue("Whistle:Delivery:Enabled", true))
            health.AddCheck<RelayHealthCheck>("relay", tags: [ReadyTag]);

        if (o.JsonLogs ?? !builder.Environment.IsDevelopment())
        {
            builder.Logging.AddConsoleFormatter<JsonLogFormatter, ConsoleFormatterOptions>();
            builder.Logging.AddConsole(c => c.FormatterName = JsonLogFormatter.FormatterName);
        }
        return builder;
    }

    private static readonly string[] SafeClientTags = ["http.request.method", "http.response.status_code", "error.type", "url.scheme", "network.protocol.version"];

    /// <summary>
    /// /metrics and the health probes. Call before the authentication middleware: on the metrics port /metrics is
    /// answered right here, without login, and nothing else of the app is served there.
    /// </summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        int port = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value.Observability.MetricsPort;
        if (port > 0)
        {
            app.Use(async (ctx, next) =>
            {
                if (ctx.Connection.LocalPort == port
                    && !(HttpMethods.IsGet(ctx.Request.Method) && (ctx.Request.Path == MetricsPath || ctx.Request.Path == LivePath || ctx.Request.Path == ReadyPath)))
                {
                    ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                await next(ctx);
            });
            app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null,
                predicate: ctx => ctx.Connection.LocalPort == port && ctx.Request.Path == MetricsPath,
                path: null, configureBranchedPipeline: null, optionsName: null);
        }
        else
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(Policies.Admin);
        }
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        return app;
    }

    /// <summary>Names and statuses only: no descriptions, exception text, versions, paths or timings an attacker could use.</summary>
    public static Task WriteHealthAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    /// <summary>Takes no trace context from callers and sends none to the hosts Whistle calls.</summary>
    private sealed class NoPropagation : DistributedContextPropagator
    {
        public override IReadOnlyCollection<string> Fields { get; } = [];
        public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter) { }
        public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
            (traceId, traceState) = (null, null);
        public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
    }
}

/// <summary>
/// Every span leaves with an allow-list of attributes: method, route template, status, scheme, protocol, error type.
/// The instrumentations' defaults also carry the path (a receipt code or a token can be in it), the query string, the
/// user agent (a device fingerprint), the client's address and, for outgoing calls, the full URL of a subscriber's
/// webhook or push endpoint: all dropped here, as is any status description (exception text).
/// </summary>
public sealed class SpanScrubber : BaseProcessor<Activity>
{
    public static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "http.request.method", "http.route", "http.response.status_code", "url.scheme", "network.protocol.version", "error.type",
    };

    public override void OnEnd(Activity activity)
    {
        foreach (var key in activity.TagObjects.Select(t => t.Key).Where(k => !Allowed.Contains(k)).ToList())
            activity.SetTag(key, null);
        if (activity.StatusDescription is not null) activity.SetStatus(activity.Status);
        // A span's name is "METHOD /route/{template}" or just "METHOD": never a path with values in it.
        if (activity.Kind == ActivityKind.Client) activity.DisplayName = activity.GetTagItem("http.request.method") as string ?? "HTTP";
    }
}

/// <summary>
/// Logs as one JSON object per line: timestamp (UTC, ISO 8601), level, category, event id, message, and the trace and
/// span ids of the request or job it was written in. No scopes (ASP.NET Core's name the request path, which can hold a
/// receipt code); of an exception, its type and stack only — an exception's message can quote a value.
/// </summary>
public sealed class JsonLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "whistle-json";
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = entry.Formatter?.Invoke(entry.State, entry.Exception);
        if (message is null && entry.Exception is null) return;
        textWriter.Write(Line(DateTimeOffset.UtcNow, entry.LogLevel, entry.Category, entry.EventId, message, entry.Exception, Activity.Current));
        textWriter.Write('\n');
    }

    /// <summary>One log line (without its newline).</summary>
    public static string Line(DateTimeOffset at, LogLevel level, string category, EventId eventId, string? message, Exception? exception, Activity? activity)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, Options))
        {
            j.WriteStartObject();
            j.WriteString("timestamp", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            j.WriteString("level", level.ToString());
            j.WriteString("category", category);
            if (eventId.Id != 0) j.WriteNumber("eventId", eventId.Id);
            j.WriteString("message", message ?? "");
            if (activity is not null)
            {
                j.WriteString("traceId", activity.TraceId.ToHexString());
                j.WriteString("spanId", activity.SpanId.ToHexString());
            }
            if (exception is not null)
            {
                var types = new List<string>();
                for (var e = exception; e is not null && types.Count < 8; e = e.InnerException) types.Add(e.GetType().FullName ?? e.GetType().Name);
                j.WriteString("exception", string.Join(" <- ", types));
                if (exception.StackTrace is { } stack) j.WriteString("stackTrace", stack);
            }
            j.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>
/// When each relay lane last finished a pass (or flushed a long batch): a plain type, so "stuck" is one rule, tested
/// without a host. Every lane counts as alive from the moment the relay is made until its first pass is due.
/// </summary>
public sealed class RelayHeartbeat(TimeProvider time)
{
    /// <summary>The clock beats and checks are read on (the wall clock in the app).</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    private readonly long[] _beats = Enum.GetValues<SubscriberChannel>().Select(_ => time.GetUtcNow().ToUnixTimeMilliseconds()).ToArray();

    public void Start(DateTimeOffset now)
    {
        for (int i = 0; i < _beats.Length; i++) Interlocked.Exchange(ref _beats[i], now.ToUnixTimeMilliseconds());
    }

    public void Beat(SubscriberChannel lane, DateTimeOffset now) => Interlocked.Exchange(ref _beats[(int)lane], now.ToUnixTimeMilliseconds());

    /// <summary>The lanes that have not beaten within <paramref name="within"/> of <paramref name="now"/>.</summary>
    public List<SubscriberChannel> Stale(DateTimeOffset now, TimeSpan within) =>
        Enum.GetValues<SubscriberChannel>()
            .Where(c => now - DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _beats[(int)c])) > within).ToList();

    /// <summary>A few poll intervals, and never under ten seconds (one slow claim must not take a node out of rotation).</summary>
    public static TimeSpan Window(int pollMilliseconds) => TimeSpan.FromMilliseconds(Math.Max(10_000, 5L * Math.Max(1, pollMilliseconds)));
}

public sealed class RelayHealthCheck(RelayHeartbeat heartbeat, IOptions<WhistleOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var stale = heartbeat.Stale(heartbeat.Now, RelayHeartbeat.Window(options.Value.Delivery.PollMilliseconds));
        return Task.FromResult(stale.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("relay lanes stalled: " + string.Join(", ", stale)));
    }
}

/// <summary>Redis (when configured) answers a PING within two seconds.</summary>
public sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!redis.Configured) return HealthCheckResult.Healthy();
        try
        {
            // The first use connects (up to the client's connect timeout): off the request's thread, and bounded.
            var ping = Task.Run(async () =>
            {
                var mux = redis.Multiplexer;
                if (!mux.IsConnected) return false;
                await mux.GetDatabase().PingAsync();
                return true;
            }, ct);
            return await ping.WaitAsync(TimeSpan.FromSeconds(2), ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("redis not connected");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("redis unreachable (" + e.GetType().Name + ")");
        }
    }
}

/// <summary>The key ring is loaded; a destroyed ring (decision 0027) is a node that runs on purpose, degraded.</summary>
public sealed class KeyRingHealthCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            var ring = services.GetRequiredService<KeyRing>();
            return Task.FromResult(ring.IsDestroyed ? HealthCheckResult.Degraded("keys destroyed") : HealthCheckResult.Healthy());
        }
        catch (Exception e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("key ring not loaded (" + e.GetType().Name + ")"));
        }
    }
}
