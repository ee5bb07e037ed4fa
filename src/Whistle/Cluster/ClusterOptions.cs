namespace Whistle.Cluster;

/// <summary>
/// Whistle:Redis — what several nodes share beyond the database: the live bus (SignalR backplane, the public
/// SSE stream, cache invalidations), global rate limits and sending paces. Unset: one node, in-process, as before.
/// </summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. "127.0.0.1:6379,password=…". Empty: no Redis.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>Prefix of every key and channel this network uses, so several networks (or test apps) can share one Redis.</summary>
    public string Prefix { get; set; } = "whistle";
}

/// <summary>Whistle:Observability — metrics, traces and logs for operators.</summary>
public sealed class ObservabilityOptions
{
    /// <summary>
    /// A separate port for the Prometheus endpoint (/metrics, no login, meant for a private network or loopback).
    /// 0: /metrics is served on the main port to staff (admins) only.
    /// </summary>
    public int MetricsPort { get; set; }
    /// <summary>The address the metrics port listens on: loopback unless a private address is named (never a public one).</summary>
    public string MetricsBind { get; set; } = "127.0.0.1";
    /// <summary>An OTLP endpoint (e.g. http://127.0.0.1:4317) traces and metrics are exported to; empty: none.</summary>
    public string? OtlpEndpoint { get; set; }
    /// <summary>Logs as one JSON object per line on stdout (default: on outside Development).</summary>
    public bool? JsonLogs { get; set; }
}
