namespace Whistle.Data;

/// <summary>The "Whistle" configuration section (appsettings.json, or Whistle__X__Y environment variables).</summary>
public sealed class WhistleOptions
{
    public string DataDir { get; set; } = "data";
    public DatabaseOptions Database { get; set; } = new();
    public ClusteringOptions Clustering { get; set; } = new();
    public Verification.VerificationOptions Verification { get; set; } = new();
    public RetentionOptions Retention { get; set; } = new();
    public AlertOptions Alerts { get; set; } = new();
    public DeliveryOptions Delivery { get; set; } = new();
    public RateLimitOptions RateLimits { get; set; } = new();
    public Reports.IntakeOptions Intake { get; set; } = new();
    /// <summary>
    /// Reverse proxies (Caddy, HAProxy, nginx) whose X-Forwarded-For is believed, comma separated: addresses or
    /// networks ("127.0.0.1, 10.0.0.0/8"). Empty: the connection's own address is the client's, and any
    /// X-Forwarded-For is ignored (a client cannot pick the address its reports count from).
    /// </summary>
    public string? TrustedProxies { get; set; }
    public EncryptionOptions Encryption { get; set; } = new();
    public BootstrapOptions Bootstrap { get; set; } = new();
    public NetworkOptions Network { get; set; } = new();
    public SmsOptions Sms { get; set; } = new();
    public EmailOptions Email { get; set; } = new();
    public PushOptions Push { get; set; } = new();
    public WebhookOptions Webhooks { get; set; } = new();
    public Alerts.CapOptions Cap { get; set; } = new();
    public Federation.FederationOptions Federation { get; set; } = new();
    public Incidents.EvidenceOptions Evidence { get; set; } = new();
    public Submissions.SubmissionOptions Submissions { get; set; } = new();
    public Subscriptions.SubscriptionOptions Subscriptions { get; set; } = new();
    public Registry.RegistryOptions Registry { get; set; } = new();
    /// <summary>The URL providers and browsers reach this server at (for status callbacks and links).</summary>
    public string? PublicBaseUrl { get; set; }
    public AccountOptions Accounts { get; set; } = new();
    public Cluster.RedisOptions Redis { get; set; } = new();
    public Cluster.ObservabilityOptions Observability { get; set; } = new();
    public Cluster.SharedLimitOptions SharedLimits { get; set; } = new();

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

/// <summary>The default retention periods; an admin may override each (NetworkProfile, /api/v1/retention).</summary>
public sealed class RetentionOptions
{
    public double ReporterContactHours { get; set; } = 48;
    /// <summary>An unsubscribed address is wiped this long after its last notice.</summary>
    public double UnsubscribedAddressHours { get; set; } = 24;
    /// <summary>Delivery records of alerts that expired this long ago (fan-outs finished), and sent or dead direct messages, are deleted.</summary>
    public double DeliveryRecordDays { get; set; } = 30;
    /// <summary>Reports and sightings not linked to an incident file: exact position → neighbourhood, words wiped, after this many days.</summary>
    public double CoarsenReportDays { get; set; } = 30;
    /// <summary>… and deleted after this many days, with their surges and history.</summary>
    public double DeleteReportDays { get; set; } = 180;
}

public sealed class AlertOptions
{
    public int DefaultExpiryMinutes { get; set; } = 240;
    public int MaxExpiryMinutes { get; set; } = 24 * 60;
    /// <summary>
    /// Above this many recipients the console asks the dispatcher to type the recipient count before "Send" enables
    /// (Whistle:Alerts:TypedConfirmationAbove; 0 asks for every alert).
    /// </summary>
    public int TypedConfirmationAbove { get; set; } = 100;
}

public sealed class DeliveryOptions
{
    /// <summary>Run the outbox relay in this process.</summary>
    public bool Enabled { get; set; } = true;
    public int PollMilliseconds { get; set; } = 1000;
    public int BatchSize { get; set; } = 500;
    public int LeaseSeconds { get; set; } = 60;
    /// <summary>
    /// Let webhooks and push go to private, loopback and link-local addresses (off: subscriber-chosen URLs
    /// reach only the public internet, so the server cannot be made to call its own network).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
    /// <summary>Where the development sink writes (default &lt;data dir&gt;/dev-outbox.jsonl); one file per process.</summary>
    public string? DevOutboxPath { get; set; }
    /// <summary>
    /// The development sink's pace per channel, messages a second (0: as fast as the file takes lines). Lets a
    /// fan-out on the sink last long enough to watch, or to kill a process in the middle of it (the crash test).
    /// </summary>
    public double DevSinkPerSecond { get; set; }
}

public sealed class RateLimitOptions
{
    public int ReportsPerMinute { get; set; } = 30;
    public int SubscriptionsPerMinute { get; set; } = 30;
    public int LoginPerMinute { get; set; } = 20;
    /// <summary>Requests a minute from one address to /api/v1/submissions (the submission budgets are Whistle:Submissions:*).</summary>
    public int SubmissionsPerMinute { get; set; } = 60;
    /// <summary>Receipt-code look-ups an hour from one network (/24, /48): enough for a submitter, far too few to enumerate codes.</summary>
    public int ReceiptLookupsPerHour { get; set; } = 20;
}

public sealed class EncryptionOptions
{
    /// <summary>The key ring as JSON; when empty, the key file &lt;data dir&gt;/keys.json (mode 0600) is used.</summary>
    public string? Keys { get; set; }
    /// <summary>
    /// The key file on another mount (a USB stick, a tmpfs filled at boot, a systemd credential): plain or wrapped.
    /// Whistle refuses to start when it is set and missing, rather than make a new ring.
    /// </summary>
    public string? KeyFile { get; set; }
    /// <summary>The passphrase that opens a wrapped key ring (keys.wrapped.json); typed at start-up on a terminal when unset.</summary>
    public string? Passphrase { get; set; }
    /// <summary>A file holding that passphrase (first line), e.g. a systemd credential.</summary>
    public string? PassphraseFile { get; set; }
}

public sealed class AccountOptions
{
    /// <summary>The WebAuthn relying party: the host name staff reach the console at (default: from PublicBaseUrl, else localhost).</summary>
    public string? PasskeyDomain { get; set; }
    /// <summary>The origins passkeys may be used from (default: PublicBaseUrl).</summary>
    public string[] PasskeyOrigins { get; set; } = [];
    /// <summary>
    /// How often (seconds) every open live connection (hubs) is checked against the database: a login ended, an account
    /// disabled or a role changed on another node closes it within this time (on this node it closes at once).
    /// </summary>
    public double LiveRecheckSeconds { get; set; } = 5;
}

public sealed class BootstrapOptions
{
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
}

public sealed class SmsOptions
{
    public TwilioOptions Twilio { get; set; } = new();
    /// <summary>Provider calls in flight at once (the pace per sending number still holds).</summary>
    public int Concurrency { get; set; } = 16;
    /// <summary>
    /// The countries SMS may go to, ISO 3166 codes separated by commas ("US,CA"), checked by the number's country
    /// with libphonenumber wherever a number is accepted and again just before a text is sent (SMS pumping).
    /// </summary>
    public string AllowedCountries { get; set; } = "US";
    /// <summary>
    /// The most segments a message template may come to at its longest (longest neighbourhood name and
    /// activity); an edit past it is refused. 3 fits the shipped Spanish templates, which accents make UCS-2
    /// (67 characters a segment); English, Somali and Hmong fit in 2.
    /// </summary>
    public int SegmentBudget { get; set; } = 3;

    /// <summary>What the provider charges per segment, for the estimates shown with templates (Twilio US long code, 2025).</summary>
    public decimal CostPerSegment { get; set; } = 0.0083m;
    public string Currency { get; set; } = "USD";

    /// <summary>Inbound texts one number may send in a minute before auto-replies stop and the rest is held on its report.</summary>
    public int InboundPerMinute { get; set; } = 10;
    /// <summary>How long a texted report's conversation stays open after its last message (answers join the same report).</summary>
    public double ConversationMinutes { get; set; } = 30;
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
    /// <summary>How long to wait for Twilio's answer before trying again later.</summary>
    public double TimeoutSeconds { get; set; } = 15;

    public bool IsConfigured => !string.IsNullOrEmpty(BaseUrl) && !string.IsNullOrEmpty(AccountSid)
                                && !string.IsNullOrEmpty(AuthToken) && !string.IsNullOrWhiteSpace(From);
}

public sealed class NetworkOptions
{
    public string Name { get; set; } = "Whistle network";
    public string TimeZone { get; set; } = "UTC";
    /// <summary>The country (ISO 3166) phone numbers written without "+country" are read in: "612-555-0142" in US.</summary>
    public string PhoneRegion { get; set; } = Subscriptions.Addresses.DefaultRegion;
}

/// <summary>Whistle:Email:* — when Smtp:Host and From are set, e-mail goes out over SMTP.</summary>
public sealed class EmailOptions
{
    public SmtpOptions Smtp { get; set; } = new();
    /// <summary>The sender, e.g. "Twin Cities Rapid Response &lt;alerts@example.org&gt;".</summary>
    public string? From { get; set; }
    public double MessagesPerSecond { get; set; } = 20;
    public int Concurrency { get; set; } = 4;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Smtp.Host) && !string.IsNullOrWhiteSpace(From);
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>"auto" (STARTTLS when offered), "starttls", "tls" (implicit, port 465) or "none".</summary>
    public string Security { get; set; } = "auto";
}

/// <summary>Whistle:Push:* — web push (RFC 8030/8291/8292); VAPID keys live in &lt;data dir&gt;/vapid.json.</summary>
public sealed class PushOptions
{
    /// <summary>The VAPID subject push services may contact: a mailto: or https: URL (default: PublicBaseUrl).</summary>
    public string? Subject { get; set; }
    /// <summary>The VAPID key pair as vapid.json's JSON, instead of the file (nodes sharing a database must share it).</summary>
    public string? VapidKeys { get; set; }
    public double MessagesPerSecond { get; set; } = 500;
    public int Concurrency { get; set; } = 16;
}

/// <summary>Whistle:Webhooks:* — signed JSON POSTs to subscribers' own relays (Signal, Matrix bots).</summary>
public sealed class WebhookOptions
{
    public double MessagesPerSecond { get; set; } = 50;
    public int Concurrency { get; set; } = 8;
    public int TimeoutSeconds { get; set; } = 10;
}
