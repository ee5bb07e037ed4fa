namespace Whistle.Data;

/// <summary>The "Whistle" configuration section (appsettings.json, or Whistle__X__Y environment variables).</summary>
public sealed class WhistleOptions
{
    public string DataDir { get; set; } = "data";
    public DatabaseOptions Database { get; set; } = new();
    public ClusteringOptions Clustering { get; set; } = new();
    public RetentionOptions Retention { get; set; } = new();
    public AlertOptions Alerts { get; set; } = new();
    public DeliveryOptions Delivery { get; set; } = new();
    public RateLimitOptions RateLimits { get; set; } = new();
    public EncryptionOptions Encryption { get; set; } = new();
    public BootstrapOptions Bootstrap { get; set; } = new();
    public NetworkOptions Network { get; set; } = new();
    public SmsOptions Sms { get; set; } = new();
    /// <summary>The URL providers and browsers reach this server at (for status callbacks and links).</summary>
    public string? PublicBaseUrl { get; set; }

    public string DataPath => Path.GetFullPath(DataDir);
}

public sealed class DatabaseOptions
{
    /// <summary>"sqlite" (default, a file in the data dir) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";
    public string? ConnectionString { get; set; }
    public bool IsPostgres => Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase)
                              || Provider.Equals("postgresql", StringComparison.OrdinalIgnoreCase);
}

public sealed class ClusteringOptions
{
    public double DistanceMeters { get; set; } = 500;
    public double WindowMinutes { get; set; } = 30;
    /// <summary>A sighting nobody verified within this time becomes "unconfirmed".</summary>
    public double ExpireAfterMinutes { get; set; } = 120;
}

public sealed class RetentionOptions
{
    public double ReporterContactHours { get; set; } = 48;
}

public sealed class AlertOptions
{
    public int DefaultExpiryMinutes { get; set; } = 240;
    public int MaxExpiryMinutes { get; set; } = 24 * 60;
}

public sealed class DeliveryOptions
{
    /// <summary>Run the outbox relay in this process.</summary>
    public bool Enabled { get; set; } = true;
    public int PollMilliseconds { get; set; } = 1000;
    public int BatchSize { get; set; } = 500;
    public int LeaseSeconds { get; set; } = 60;
}

public sealed class RateLimitOptions
{
    public int ReportsPerMinute { get; set; } = 30;
    public int SubscriptionsPerMinute { get; set; } = 30;
    public int LoginPerMinute { get; set; } = 20;
}

public sealed class EncryptionOptions
{
    /// <summary>The key ring as JSON; when empty, the key file &lt;data dir&gt;/keys.json (mode 0600) is used.</summary>
    public string? Keys { get; set; }
}

public sealed class BootstrapOptions
{
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
}

public sealed class SmsOptions
{
    public TwilioOptions Twilio { get; set; } = new();

    /// <summary>What the provider charges per segment, for the estimates shown with templates (Twilio US long code, 2025).</summary>
    public decimal CostPerSegment { get; set; } = 0.0083m;
    public string Currency { get; set; } = "USD";
}

/// <summary>Whistle:Sms:Twilio:* — when BaseUrl, AccountSid, AuthToken and From are set, SMS goes through Twilio.</summary>
public sealed class TwilioOptions
{
    public string? BaseUrl { get; set; }
    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }
    /// <summary>One or more sending numbers, comma separated.</summary>
    public string From { get; set; } = "";
    /// <summary>Per sending number: about 1 for a 10DLC long code, 100 for a short code.</summary>
    public double MessagesPerSecond { get; set; } = 1;

    public bool IsConfigured => !string.IsNullOrEmpty(BaseUrl) && !string.IsNullOrEmpty(AccountSid)
                                && !string.IsNullOrEmpty(AuthToken) && !string.IsNullOrWhiteSpace(From);
}

public sealed class NetworkOptions
{
    public string Name { get; set; } = "Whistle network";
    public string TimeZone { get; set; } = "UTC";
}
