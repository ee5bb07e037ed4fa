using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Whistle.Alerts;
using Whistle.Identity;
using Whistle.Network;
using Whistle.Privacy;
using Whistle.Reports;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Data;

/// <summary>The one DbContext. Each provider has a subclass so that each keeps its own migration set.</summary>
public abstract class WhistleDb(DbContextOptions options) : IdentityDbContext<StaffUser, IdentityRole, string>(options)
{
    public DbSet<NetworkProfile> Network => Set<NetworkProfile>();
    public DbSet<Zone> Zones => Set<Zone>();
    public DbSet<Template> Templates => Set<Template>();
    public DbSet<Report> Reports => Set<Report>();
    public DbSet<Sighting> Sightings => Set<Sighting>();
    public DbSet<Surge> Surges => Set<Surge>();
    public DbSet<TrustedReporter> TrustedReporters => Set<TrustedReporter>();
    public DbSet<SightingTransition> SightingTransitions => Set<SightingTransition>();
    public DbSet<Assignment> Assignments => Set<Assignment>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<Subscriber> Subscribers => Set<Subscriber>();
    public DbSet<Delivery.Delivery> Deliveries => Set<Delivery.Delivery>();
    public DbSet<Delivery.Fanout> Fanouts => Set<Delivery.Fanout>();
    public DbSet<Delivery.FanoutOrder> FanoutOrders => Set<Delivery.FanoutOrder>();
    public DbSet<Delivery.DirectMessage> Messages => Set<Delivery.DirectMessage>();
    public DbSet<Content.PageText> Pages => Set<Content.PageText>();
    public DbSet<Incidents.Incident> Incidents => Set<Incidents.Incident>();
    public DbSet<Incidents.TimelineEntry> Timeline => Set<Incidents.TimelineEntry>();
    public DbSet<Incidents.WitnessStatement> Witnesses => Set<Incidents.WitnessStatement>();
    public DbSet<Incidents.EvidenceItem> Evidence => Set<Incidents.EvidenceItem>();
    public DbSet<Incidents.Claim> Claims => Set<Incidents.Claim>();
    public DbSet<Incidents.ClaimEvidence> ClaimEvidence => Set<Incidents.ClaimEvidence>();
    public DbSet<Incidents.FollowUp> FollowUps => Set<Incidents.FollowUp>();
    public DbSet<Incidents.CustodyEntry> Custody => Set<Incidents.CustodyEntry>();
    public DbSet<Incidents.CustodyPin> Pins => Set<Incidents.CustodyPin>();
    public DbSet<Inbound.SmsConversation> SmsConversations => Set<Inbound.SmsConversation>();
    public DbSet<Inbound.SmsReceipt> SmsReceipts => Set<Inbound.SmsReceipt>();
    public DbSet<Federation.PartnerAlert> PartnerAlerts => Set<Federation.PartnerAlert>();
    public DbSet<Federation.FederationPartner> FederationPartners => Set<Federation.FederationPartner>();
    public DbSet<CodeTally> CodeTallies => Set<CodeTally>();
    public DbSet<StaffSession> StaffSessions => Set<StaffSession>();
    public DbSet<StaffPasskey> Passkeys => Set<StaffPasskey>();
    public DbSet<Platform.IdempotentRequest> IdempotentRequests => Set<Platform.IdempotentRequest>();
    public DbSet<Places.GazetteerFile> GazetteerFiles => Set<Places.GazetteerFile>();
    public DbSet<global::Whistle.Submissions.Submission> Submissions => Set<global::Whistle.Submissions.Submission>();
    public DbSet<global::Whistle.Submissions.SubmissionFile> SubmissionFiles => Set<global::Whistle.Submissions.SubmissionFile>();

    public abstract bool IsPostgres { get; }

    /// <summary>A small dictionary kept as one JSON text column.</summary>
    private static ValueConverter<Dictionary<string, T>, string> JsonConverter<T>() => new(
        v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
        v => JsonSerializer.Deserialize<Dictionary<string, T>>(v, JsonSerializerOptions.Default) ?? new());

    private static ValueComparer<Dictionary<string, T>> JsonComparer<T>() => new(
        (x, y) => x!.Count == y!.Count && !x.Except(y).Any(),
        v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
        v => new Dictionary<string, T>(v));

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.Entity<NetworkProfile>().Property(n => n.Id).ValueGeneratedNever();
        b.Entity<Zone>().Property(z => z.Id).ValueGeneratedNever();
        b.Entity<Places.GazetteerFile>(e =>
        {
            e.Property(g => g.Id).ValueGeneratedNever();
            e.Property(g => g.ImportedBy).HasMaxLength(256);
        });
        b.Entity<NetworkProfile>().Property(n => n.SecondFactorRoles).HasMaxLength(200);
        b.Entity<StaffSession>(e =>
        {
            e.Property(s => s.Id).ValueGeneratedNever();
            e.HasIndex(s => s.UserId);
            e.HasOne<StaffUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
            e.Property(s => s.UserId).HasMaxLength(450);
            e.Property(s => s.Stamp).HasMaxLength(256);
            e.Property(s => s.RefreshHash).HasMaxLength(64);
            e.Property(s => s.PreviousRefreshHash).HasMaxLength(64);
            e.Property(s => s.RevokedReason).HasMaxLength(32);
            e.Property(s => s.Client).HasMaxLength(64);
        });
        b.Entity<StaffPasskey>(e =>
        {
            e.HasIndex(k => k.CredentialId).IsUnique();
            e.HasIndex(k => k.UserId);
            e.HasOne<StaffUser>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
            e.Property(k => k.UserId).HasMaxLength(450);
            e.Property(k => k.CredentialId).HasMaxLength(1024);
            e.Property(k => k.Name).HasMaxLength(64);
        });
        b.Entity<Content.PageText>().HasKey(p => new { p.Slug, p.Language });
        b.Entity<Template>().HasIndex(t => new { t.Language, t.Key }).IsUnique();
        b.Entity<Report>(e =>
        {
            e.HasIndex(r => new { r.SightingId, r.SourceHash }); // "was this source already heard in this sighting" (intake, issue 16)
            e.HasIndex(r => r.ContactPurgeAt);
            e.Ignore(r => r.Location);
            e.Ignore(r => r.Trusted);
            // The intake budget counts the last minute's reports: all, by area, by source; a surge lists its own.
            e.HasIndex(r => r.ReceivedAt);
            e.HasIndex(r => new { r.Area, r.ReceivedAt });
            e.HasIndex(r => new { r.SourceHash, r.ReceivedAt });
            e.HasIndex(r => new { r.SurgeId, r.ReceivedAt });
            e.Property(r => r.Area).HasMaxLength(64);
            e.Property(r => r.SourceHash).HasMaxLength(32);
            // Exact position, text and place text live only as ciphers (Privacy/ReportSealing.cs); the columns of
            // the old shape stay, nullable, emptied at start-up, so an upgrade never rebuilds the table.
            e.Ignore(r => r.Lat);
            e.Ignore(r => r.Lon);
            e.Ignore(r => r.Text);
            e.Ignore(r => r.PlaceText);
            e.Property<double?>(ReportSealing.LegacyLat).HasColumnName("Lat");
            e.Property<double?>(ReportSealing.LegacyLon).HasColumnName("Lon");
            e.Property<string?>(ReportSealing.LegacyText).HasColumnName("Text");
            e.Property<string?>(ReportSealing.LegacyPlace).HasColumnName("PlaceText");
        });
        b.Entity<Surge>(e =>
        {
            e.HasIndex(s => new { s.Area, s.State, s.LastReportAt });
            e.HasIndex(s => new { s.State, s.LastReportAt });
            e.Property(s => s.Area).HasMaxLength(64);
            e.Ignore(s => s.PlaceText);
            e.Property<string?>(ReportSealing.LegacyPlace).HasColumnName("PlaceText").HasMaxLength(Report.MaxPlaceLength);
            e.Property(s => s.DismissedBy).HasMaxLength(256);
        });
        b.Entity<TrustedReporter>(e =>
        {
            e.HasIndex(r => r.TokenHash).IsUnique();
            e.Property(r => r.Name).HasMaxLength(TrustedReporter.MaxNameLength);
            e.Property(r => r.TokenHash).HasMaxLength(32);
        });
        b.Entity<Sighting>(e =>
        {
            e.HasMany(s => s.Transitions).WithOne().HasForeignKey(t => t.SightingId);
            e.HasIndex(s => new { s.State, s.LastReportAt });
            e.HasIndex(s => new { s.State, s.Trusted, s.SourceCount, s.LastReportAt });
            e.Ignore(s => s.Location);
            e.Ignore(s => s.IsOpen);
            e.Property(s => s.PlacedHow).HasMaxLength(16);
            e.Ignore(s => s.PlaceText);
            e.Property<string?>(ReportSealing.LegacyPlace).HasColumnName("PlaceText");
            // The position, like the first report's, lives only as a cipher; the old clear columns stay, emptied.
            e.Ignore(s => s.Lat);
            e.Ignore(s => s.Lon);
            e.Property<double?>(ReportSealing.LegacyLat).HasColumnName("Lat");
            e.Property<double?>(ReportSealing.LegacyLon).HasColumnName("Lon");
        });
        b.Entity<Assignment>(e =>
        {
            e.HasIndex(a => new { a.SightingId, a.VerifierId }).IsUnique();
            e.HasIndex(a => new { a.VerifierId, a.State });
        });
        b.Entity<Alert>(e =>
        {
            e.Property(a => a.Messages).HasConversion(JsonConverter<string>(), JsonComparer<string>());
            e.Property(a => a.Estimates).HasConversion(JsonConverter<double>(), JsonComparer<double>());
            e.Ignore(a => a.Area);
            e.HasIndex(a => a.Seq).IsUnique();
            e.HasIndex(a => a.ReferencesId);
            e.HasIndex(a => a.SightingId);
            e.HasIndex(a => a.ExpiresAt);
        });
        b.Entity<Subscriber>(e =>
        {
            e.HasIndex(s => s.AddressHash).IsUnique();
            e.HasIndex(s => s.ChangedAt);
        });
        b.Entity<CodeTally>(e =>
        {
            e.HasKey(t => new { t.Key, t.Window });
            e.HasIndex(t => t.PurgeAfterHour);
        });
        b.Entity<Delivery.Delivery>(e =>
        {
            // No foreign keys: the bulk writer inserts a million rows at once, and only it writes them.
            // The key is written in key order; the two partial indexes hold only the few rows a relay
            // looks for outside a fan-out's order: retries due, and leases.
            e.HasKey(d => new { d.AlertSeq, d.SubscriberId });
            e.HasIndex(d => d.NextAttemptAt).HasDatabaseName("IX_Deliveries_Due")
                .HasFilter(Delivery.DeliveryStore.DueFilter);
            e.HasIndex(d => d.LeaseUntil).HasDatabaseName("IX_Deliveries_Leased")
                .HasFilter(Delivery.DeliveryStore.LeasedFilter);
        });
        b.Entity<Delivery.DirectMessage>(e =>
        {
            e.ToTable("Messages");
            e.HasIndex(m => new { m.State, m.NextAttemptAt });
        });
        b.Entity<Delivery.Fanout>(e =>
        {
            e.HasKey(f => new { f.AlertId, f.Channel });
            e.HasIndex(f => new { f.Channel, f.Priority });
        });
        b.Entity<Delivery.FanoutOrder>().HasKey(f => new { f.AlertId, f.Channel });
        b.Entity<Incidents.Incident>(e =>
        {
            e.HasIndex(i => i.OccurredAt);
            e.HasIndex(i => i.SightingId);
        });
        b.Entity<global::Whistle.Submissions.Submission>(e =>
        {
            e.HasIndex(x => x.ReceiptCode).IsUnique();
            e.HasIndex(x => new { x.State, x.ReceivedAt });
            e.HasIndex(x => x.ContactPurgeAt);
            e.Property(x => x.ReceiptCode).HasMaxLength(20);
            e.Property(x => x.Language).HasMaxLength(8);
            e.Property(x => x.RejectReason).HasMaxLength(global::Whistle.Submissions.Submission.MaxReasonLength);
            e.Property(x => x.ReviewedBy).HasMaxLength(256);
            e.HasMany(x => x.Files).WithOne().HasForeignKey(f => f.SubmissionId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<global::Whistle.Submissions.SubmissionFile>(e =>
        {
            e.HasIndex(f => f.UploadId).IsUnique();
            e.HasIndex(f => f.Sha256);
            e.Property(f => f.UploadId).HasMaxLength(40);
            e.Property(f => f.FileName).HasMaxLength(255);
            e.Property(f => f.MediaType).HasMaxLength(100);
            e.Property(f => f.ClientSha256).HasMaxLength(64);
            e.Property(f => f.Sha256).HasMaxLength(64);
        });
        b.Entity<Incidents.TimelineEntry>().HasIndex(t => new { t.IncidentId, t.At });
        b.Entity<Incidents.WitnessStatement>().HasIndex(w => w.IncidentId);
        b.Entity<Incidents.EvidenceItem>(e =>
        {
            e.HasIndex(x => new { x.IncidentId, x.Sha256 }).IsUnique();
            e.HasIndex(x => x.Sha256);
        });
        b.Entity<Incidents.Claim>(e =>
        {
            e.HasIndex(c => c.IncidentId);
            e.HasMany(c => c.Evidence).WithOne().HasForeignKey(x => x.ClaimId);
        });
        b.Entity<Incidents.ClaimEvidence>().HasKey(x => new { x.ClaimId, x.EvidenceId });
        b.Entity<Incidents.FollowUp>().HasIndex(f => new { f.IncidentId, f.Done });
        // Append-only: one row per link; (IncidentId, Seq) unique so two writers cannot both add link n.
        b.Entity<Incidents.CustodyEntry>().HasIndex(c => new { c.IncidentId, c.Seq }).IsUnique();
        b.Entity<Incidents.CustodyPin>(e =>
        {
            e.HasIndex(p => p.IncidentId);
            e.Property(p => p.HeadHash).HasMaxLength(64);
            e.Property(p => p.Statement).HasMaxLength(400);
            e.Property(p => p.TsaUrl).HasMaxLength(500);
        });
        b.Entity<Inbound.SmsConversation>(e =>
        {
            e.HasKey(c => c.NumberHash);
            e.Property(c => c.Language).HasMaxLength(8);
            e.Property(c => c.Asked).HasMaxLength(64);
            e.HasIndex(c => c.UpdatedAt);
            e.Ignore(c => c.AskedQuestions);
        });
        b.Entity<Inbound.SmsReceipt>(e =>
        {
            e.HasKey(r => r.MessageSid);
            e.Property(r => r.MessageSid).HasMaxLength(64);
            e.HasIndex(r => r.ReceivedAt);
        });
        b.Entity<Federation.PartnerAlert>(e =>
        {
            e.Property(p => p.Headlines).HasConversion(JsonConverter<string>(), JsonComparer<string>());
            e.Property(p => p.Descriptions).HasConversion(JsonConverter<string>(), JsonComparer<string>());
            e.Property(p => p.Area).HasConversion(
                v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                v => JsonSerializer.Deserialize<Federation.PartnerArea>(v, JsonSerializerOptions.Default) ?? Federation.PartnerArea.Empty(),
                new ValueComparer<Federation.PartnerArea>((x, y) => ReferenceEquals(x, y), v => v.GetHashCode(), v => v));
            e.Property(p => p.State).HasConversion<string>().HasMaxLength(16);
            // Each partner's messages in its own namespace (issue 14 §2): one partner cannot pre-empt another's identifier.
            e.HasIndex(p => new { p.Partner, p.Sender, p.Identifier }).IsUnique();
            e.HasIndex(p => new { p.Partner, p.Identifier });
            e.HasIndex(p => p.ChangedAt);
            e.Property(p => p.HiddenBy).HasMaxLength(256);
            e.Property(p => p.HiddenReason).HasMaxLength(Federation.HideRequest.MaxReason);
            e.HasIndex(p => new { p.State, p.ExpiresAt });
            e.HasIndex(p => p.ChainId);
        });
        b.Entity<Federation.FederationPartner>().HasKey(p => p.Name);
        b.Entity<Platform.IdempotentRequest>(e =>
        {
            e.Property(r => r.UserId).HasMaxLength(450);
            e.Property(r => r.Key).HasMaxLength(Platform.IdempotencyFilter.MaxKeyLength);
            e.Property(r => r.Endpoint).HasMaxLength(200);
            e.Property(r => r.Fingerprint).HasMaxLength(64);
            e.HasIndex(r => new { r.UserId, r.Key, r.Endpoint }).IsUnique();
            e.HasIndex(r => r.ExpiresAt);
        });
    }
}

public sealed class SqliteWhistleDb(DbContextOptions<SqliteWhistleDb> options) : WhistleDb(options)
{
    public override bool IsPostgres => false;

    protected override void ConfigureConventions(ModelConfigurationBuilder c)
    {
        // SQLite has no time type: instants are stored as Unix milliseconds (UTC), so they sort and compare.
        c.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
    }
}

public sealed class PostgresWhistleDb(DbContextOptions<PostgresWhistleDb> options) : WhistleDb(options)
{
    public override bool IsPostgres => true;
}

public sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v));
