using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Incidents;

// ---- Requests ----------------------------------------------------------------------------------------------

/// <summary>
/// Create (every field) or edit (fields left out stay as they are). Names only with the family's consent;
/// namesConsent false (or names []) on an edit wipes the names kept.
/// </summary>
public sealed record IncidentRequest(
    string? Title, DateTimeOffset? OccurredAt, string? Place, double? Lat, double? Lon, IncidentCategory? Category, string[]? Agencies,
    int? PeopleAffected, int? Injured, int? Deaths, string[]? Names, bool? NamesConsent, IncidentStatus? Status, string? StatusNote,
    Guid? SightingId, bool? Published) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        if (Title is not null) p.Require(Title.Trim().Length > 0, "title", "Give the incident a title.");
        p.MaxLength(Title, 200, "title");
        p.MaxLength(Place, 300, "place");
        p.MaxLength(StatusNote, 500, "statusNote");
        p.LatLon(Lat, Lon);
        foreach (var (value, field) in new[] { (PeopleAffected, "peopleAffected"), (Injured, "injured"), (Deaths, "deaths") })
            p.Require(value is null or (>= 0 and <= 1_000_000), field, "A count from 0 to 1,000,000.");
        if (Agencies is not null)
        {
            p.Require(Agencies.Length <= 10, "agencies", "At most 10 agencies.");
            foreach (var a in Agencies.Where(a => !IncidentsApi.AgencyNames.Contains(a ?? "")))
                p.Add("agencies", $"Unknown agency \"{Short(a)}\": one of {string.Join(", ", IncidentsApi.AgencyNames)}.");
        }
        if (Names is not null)
        {
            p.Require(Names.Length <= 100, "names", "At most 100 names.");
            p.Require(Names.All(n => !string.IsNullOrWhiteSpace(n) && n.Length <= 200), "names", "Each name: 1 to 200 characters.");
            if (NamesRule.RefusalOf(Names, NamesConsent) is { } refusal) p.Add("names", refusal);
        }
    }

    private static string Short(string? s) => s is null ? "" : s.Length > 40 ? s[..40] + "…" : s;
}

/// <param name="Precision">How precisely the source knows the time: exact (the default), minute, day or month. A day is
/// stored as the network's local midnight that starts it and shown as "March 15, 2024", never with a time of day.</param>
public sealed record TimelineRequest(DateTimeOffset? At, string? Source, string? Text, bool? Disputed, Network.TimePrecision? Precision = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(At is not null, "at", "When it happened.");
        p.Require(!string.IsNullOrWhiteSpace(Source), "source", "According to whom: \"witness 2\", \"bystander video E3\", \"DHS statement\".");
        p.MaxLength(Source, 200, "source");
        p.Require(!string.IsNullOrWhiteSpace(Text), "text", "What happened.");
        p.MaxLength(Text, IncidentsApi.MaxText, "text");
    }
}

public sealed record WitnessRequest(
    string? Text, long? AudioEvidenceId, ConsentScope? Consent, DateTimeOffset? ConsentAt, string? Name, string? Contact, DateTimeOffset? TakenAt)
    : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (ConsentRules.RefusalOf(Consent, ConsentAt, now) is { } refusal) p.Add(Consent is null or ConsentScope.None ? "consent" : "consentAt", refusal);
        p.Require(!string.IsNullOrWhiteSpace(Text) || AudioEvidenceId is not null, "text", "The statement: its text, or an audio recording (audioEvidenceId), or both.");
        p.MaxLength(Text, IncidentsApi.MaxText, "text");
        p.MaxLength(Name, 200, "name");
        p.MaxLength(Contact, 200, "contact");
    }
}

/// <summary>An edit of a statement (documenters only): fields left out stay; consent goes to none only by withdrawal.</summary>
public sealed record WitnessEditRequest(string? Text, ConsentScope? Consent, DateTimeOffset? ConsentAt, string? Name, string? Contact) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        if (Consent is not null)
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            if (ConsentRules.RefusalOf(Consent, ConsentAt, now) is { } refusal)
                p.Add(Consent == ConsentScope.None ? "consent" : "consentAt", Consent == ConsentScope.None ? "To withdraw consent, use POST …/withdraw (it wipes the statement)." : refusal);
        }
        if (Text is not null) p.Require(Text.Trim().Length > 0, "text", "The statement's text cannot be empty (to remove it, withdraw the statement).");
        p.MaxLength(Text, IncidentsApi.MaxText, "text");
        p.MaxLength(Name, 200, "name");
        p.MaxLength(Contact, 200, "contact");
    }
}

public sealed record ClaimRequest(
    string? ClaimantName, string? ClaimantRole, string? Organisation, string? Text, DateTimeOffset? SaidAt, string? Venue, string? SourceUrl,
    bool? Disputed, string? DisputeNote) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(ClaimantName), "claimantName", "Who said it: a claim is always attributed.");
        p.MaxLength(ClaimantName, 200, "claimantName");
        p.MaxLength(ClaimantRole, 200, "claimantRole");
        p.MaxLength(Organisation, 200, "organisation");
        p.Require(!string.IsNullOrWhiteSpace(Text), "text", "What they said.");
        p.MaxLength(Text, IncidentsApi.MaxText, "text");
        p.MaxLength(Venue, 300, "venue");
        if (SourceUrl is not null)
        {
            p.MaxLength(SourceUrl, 2000, "sourceUrl");
            p.Require(SourceUrls.IsAllowed(SourceUrl), "sourceUrl", "An absolute http:// or https:// address.");
        }
        if (Disputed == true) p.Require(!string.IsNullOrWhiteSpace(DisputeNote), "disputeNote", "Say what conflicts with this claim.");
        p.MaxLength(DisputeNote, 2000, "disputeNote");
    }
}

public sealed record ClaimLinkRequest(long? EvidenceId, ClaimStance? Stance, string? Note) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(EvidenceId is not null, "evidenceId", "The evidence item of this incident.");
        p.Require(Stance is not null, "stance", "supports or contradicts.");
        p.MaxLength(Note, 2000, "note");
    }
}

public sealed record DisputeRequest(string? Note) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Note), "note", "Say what conflicts.");
        p.MaxLength(Note, 2000, "note");
    }
}

public sealed record FollowUpRequest(FollowUpKind? Kind, string? Description, string? Owner, DateTimeOffset? DueAt) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(Kind is not null, "kind", "legal_referral, family_support or other.");
        p.Require(!string.IsNullOrWhiteSpace(Description), "description", "What is to be done.");
        p.MaxLength(Description, 2000, "description");
        p.Require(!string.IsNullOrWhiteSpace(Owner), "owner", "Who owns it: a staff e-mail or a partner organisation.");
        p.MaxLength(Owner, 200, "owner");
    }
}

// ---- Views -------------------------------------------------------------------------------------------------

public sealed record IncidentSummary(Guid Id, string Title, DateTimeOffset OccurredAt, string? Place, IncidentCategory Category,
    IncidentStatus Status, string? StatusNote, bool Published, int PeopleAffected, int Injured, int Deaths, DateTimeOffset UpdatedAt);

/// <summary>Names are null for whoever may not read them; hasNames says whether any are kept.</summary>
public sealed record IncidentView(Guid Id, string Title, DateTimeOffset OccurredAt, string? Place, double? Lat, double? Lon,
    IncidentCategory Category, string[] Agencies, int PeopleAffected, int Injured, int Deaths, string[]? Names, bool HasNames, bool NamesConsent,
    IncidentStatus Status, string? StatusNote, bool Published, Guid? SightingId, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <param name="Precision">exact, minute, day or month: show <paramref name="At"/> no more precisely (in the network's zone).</param>
public sealed record TimelineView(long Id, DateTimeOffset At, string Source, string Text, bool Disputed, string AddedBy, DateTimeOffset AddedAt,
    string Precision = "exact")
{
    public static TimelineView Of(TimelineEntry t) => new(t.Id, t.At, t.Source, t.Text, t.Disputed, t.AddedBy, t.AddedAt, Names.Of(t.Precision));
}

/// <summary>Name and contact are null for whoever may not read them; hasName / hasContact say whether any is kept.</summary>
public sealed record WitnessView(long Id, string? Text, long? AudioEvidenceId, ConsentScope Consent, DateTimeOffset? ConsentAt, bool Withdrawn,
    bool QuotablePublicly, string? Name, string? Contact, bool HasName, bool HasContact, DateTimeOffset TakenAt, string TakenBy);

public sealed record ClaimEvidenceView(long EvidenceId, ClaimStance Stance, string? Note);

/// <summary>An attributed claim: <c>said</c> words it as "X said Y" — the network records the statement, not its truth.</summary>
public sealed record ClaimView(long Id, string ClaimantName, string? ClaimantRole, string? Organisation, string Text, string Said,
    DateTimeOffset? SaidAt, string? Venue, string? SourceUrl, bool Disputed, string? DisputeNote,
    List<ClaimEvidenceView> Supporting, List<ClaimEvidenceView> Contradicting, string AddedBy, DateTimeOffset AddedAt)
{
    public static ClaimView Of(Claim c) => new(c.Id, c.ClaimantName, c.ClaimantRole, c.Organisation, c.Text, ClaimWording.Said(c), c.SaidAt,
        c.Venue, c.SourceUrl, c.Disputed, c.DisputeNote,
        c.Evidence.Where(e => e.Stance == ClaimStance.Supports).OrderBy(e => e.EvidenceId).Select(e => new ClaimEvidenceView(e.EvidenceId, e.Stance, e.Note)).ToList(),
        c.Evidence.Where(e => e.Stance == ClaimStance.Contradicts).OrderBy(e => e.EvidenceId).Select(e => new ClaimEvidenceView(e.EvidenceId, e.Stance, e.Note)).ToList(),
        c.AddedBy, c.AddedAt);
}

public sealed record FollowUpView(long Id, FollowUpKind Kind, string Description, string Owner, DateTimeOffset? DueAt, bool Done, DateTimeOffset? DoneAt, bool Overdue);

public sealed record IncidentFile(IncidentView Incident, List<TimelineView> Timeline, List<WitnessView> Witnesses, List<EvidenceView> Evidence,
    List<ClaimView> Claims, List<FollowUpView> FollowUps, List<FollowUpView> OverdueFollowUps);

public sealed record CustodyView(long Seq, string Action, string Actor, DateTimeOffset At, string ObjectType, string ObjectId, string ObjectHash,
    string PreviousHash, string Hash)
{
    public static CustodyView Of(CustodyEntry e) => new(e.Seq, e.Action, e.Actor, e.At, e.ObjectType, e.ObjectId, e.ObjectHash, e.PreviousHash, e.Hash);
}

// ---- Endpoints ---------------------------------------------------------------------------------------------

/// <summary>
/// Incident files. Documenters and admins read and write everything; dispatchers create a file from a sighting
/// and read files, without witnesses' names and contacts or affected people's names. Every action appends to
/// the incident's custody log in the same transaction as the change (reading a whole file is logged as viewed).
/// </summary>
public static class IncidentsApi
{
    public const int MaxText = 20_000;
    public static readonly string[] AgencyNames = Enum.GetValues<Agency>().Select(Names.Of).ToArray();

    public static RouteGroupBuilder MapIncidents(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/incidents").WithTags("Incidents").WithValidation()
            .RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.Documenter, Roles.Dispatcher));
        group.MapGet("/", ListAsync);
        group.MapPost("/", CreateAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapPut("/{id:guid}", EditAsync).RequireAuthorization(Policies.Document);
        group.MapGet("/{id:guid}/timeline", TimelineAsync);
        group.MapPost("/{id:guid}/timeline", AddTimelineAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/timeline/{tid:long}/dispute", DisputeTimelineAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/witnesses", AddWitnessAsync).RequireAuthorization(Policies.Document);
        group.MapPut("/{id:guid}/witnesses/{wid:long}", EditWitnessAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/witnesses/{wid:long}/withdraw", WithdrawAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/claims", AddClaimAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/claims/{cid:long}/evidence", LinkClaimAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/claims/{cid:long}/dispute", DisputeClaimAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/follow-ups", AddFollowUpAsync).RequireAuthorization(Policies.Document);
        group.MapPost("/{id:guid}/follow-ups/{fid:long}/done", FollowUpDoneAsync).RequireAuthorization(Policies.Document);
        group.MapGet("/{id:guid}/custody", CustodyAsync);
        group.MapGet("/{id:guid}/custody/verify", VerifyAsync);
        group.MapGet("/{id:guid}/custody/pins", CustodyPinsSetup.PinsAsync);
        return group;
    }

    /// <summary>Documenters and admins read names and contacts; dispatchers do not.</summary>
    public static bool Documents(ClaimsPrincipal user) => user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Documenter);

    private static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request has invalid fields");

    private static ProblemHttpResult Forbidden(string detail) => TypedResults.Problem(statusCode: 403, title: "Not allowed", detail: detail);

    private static ProblemHttpResult Missing(string what) =>
        TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"There is no such {what}.");

    /// <summary>
    /// Runs a custodial write, again from the start if another writer took the same custody link number meanwhile
    /// (the unique (incident, seq) index refuses the second), at most four times.
    /// </summary>
    private static async Task<T> CustodialAsync<T>(WhistleDb db, Func<Task<T>> work)
    {
        for (int attempt = 1; ; attempt++)
        {
            try { return await work(); }
            catch (DbUpdateException) when (attempt < 4) { db.ChangeTracker.Clear(); }
        }
    }

    /// <summary>Saves a new record (for its id), then its custody link, in one transaction.</summary>
    private static async Task InsertAsync<T>(WhistleDb db, CustodyLog custody, T record, Guid incidentId, string action, string actor,
        Func<T, RecordForm> form, CancellationToken ct) where T : class
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Add(record);
        await db.SaveChangesAsync(ct);
        await custody.AppendAsync(incidentId, action, actor, form(record), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    // ---- Incidents ----

    internal static bool TryParse<T>(string? wire, out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
            if (string.Equals(Names.Of(v), wire, StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        value = default;
        return false;
    }

    private static async Task<Results<Ok<List<IncidentSummary>>, ValidationProblem>> ListAsync(
        WhistleDb db, KeyRing keys, string? status, string? category, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var query = db.Incidents.AsNoTracking();
        if (status is not null)
        {
            if (!TryParse<IncidentStatus>(status, out var s)) return Invalid("status", "open, referred or closed.");
            query = query.Where(i => i.Status == s);
        }
        if (category is not null)
        {
            if (!TryParse<IncidentCategory>(category, out var c))
                return Invalid("category", "One of " + string.Join(", ", Enum.GetValues<IncidentCategory>().Select(Names.Of)) + ".");
            query = query.Where(i => i.Category == c);
        }
        if (from is { } f) { var fu = StoredTime.Of(f); query = query.Where(i => i.OccurredAt >= fu); }
        if (to is { } t) { var tu = StoredTime.Of(t); query = query.Where(i => i.OccurredAt <= tu); }
        var list = await query.OrderByDescending(i => i.OccurredAt).Take(500)
            .ToListAsync(ct);
        return TypedResults.Ok(list.Select(i => new IncidentSummary(i.Id, i.Title, i.OccurredAt, i.Place, i.Category, i.Status, i.NoteOf(keys), i.Published,
            i.PeopleAffected, i.Injured, i.Deaths, i.UpdatedAt)).ToList());
    }

    private static IncidentCategory CategoryOf(Activity a) => a switch
    {
        Activity.HomeRaid => IncidentCategory.HomeRaid,
        Activity.WorkplaceRaid => IncidentCategory.WorkplaceRaid,
        Activity.Arrest => IncidentCategory.Arrest,
        _ => IncidentCategory.Other,
    };

    private static async Task<Results<Created<IncidentView>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        IncidentRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        bool documents = Documents(user);
        if (!documents && req.SightingId is null)
            return Forbidden("Dispatchers open an incident file from a sighting (sightingId); documenters open any.");
        if (!documents && req.Names is { Length: > 0 })
            return Forbidden("Only documenters record the names of people affected.");
        if (!documents && req.Published == true)
            return Forbidden("Only documenters publish an incident file in the registry.");

        string? title = req.Title?.Trim(), place = req.Place;
        double? lat = req.Lat, lon = req.Lon;
        DateTimeOffset? occurredAt = req.OccurredAt;
        IncidentCategory? category = req.Category;
        string[]? agencies = req.Agencies;
        if (req.SightingId is { } sid)
        {
            // Only who may read the sighting copies its place (issue 11 §8: documenters never read sightings' positions).
            var s = await db.Sightings.AsNoTracking().VisibleTo(db, user).FirstOrDefaultAsync(x => x.Id == sid, ct);
            if (s is null) return Invalid("sightingId", "There is no such sighting.");
            place ??= s.PlaceText;
            if (lat is null && lon is null) (lat, lon) = (s.Lat, s.Lon);
            occurredAt ??= s.FirstReportAt;
            category ??= CategoryOf(s.Activity);
            title ??= s.PlaceText is { Length: > 0 } pt ? $"{Humanize(Names.Of(s.Activity))} — {pt}" : $"{Humanize(Names.Of(s.Activity))} (from a sighting)";
            if (agencies is null)
            {
                var seen = await db.Reports.AsNoTracking().Where(r => r.SightingId == sid).Select(r => r.Agency).Distinct().ToListAsync(ct);
                agencies = seen.Where(a => a != Agency.Unknown).Select(Names.Of).Order(StringComparer.Ordinal).ToArray();
            }
        }
        var problems = new Problems();
        problems.Require(!string.IsNullOrWhiteSpace(title), "title", "Give the incident a title.");
        problems.Require(occurredAt is not null, "occurredAt", "When it happened.");
        problems.Require(category is not null, "category", "One of " + string.Join(", ", Enum.GetValues<IncidentCategory>().Select(Names.Of)) + ".");
        if (problems.Any) return TypedResults.ValidationProblem(problems.ToDictionary(), title: "The request has invalid fields");

        var incident = await AddIncidentAsync(db, custody, keys, req with { Title = title, OccurredAt = occurredAt, Place = place, Lat = lat, Lon = lon,
            Category = category, Agencies = agencies }, Actor(user), time.GetUtcNow(), ct);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/incidents/{incident.Id}", View(incident, keys, documents));
    }

    /// <summary>
    /// A new incident from a complete request (title, occurredAt and category given) and its custody "created" entry, both added,
    /// not saved: the caller saves them with whatever else it records (a bystander's submission attached into it, issue 15).
    /// </summary>
    internal static async Task<Incident> AddIncidentAsync(WhistleDb db, CustodyLog custody, KeyRing keys, IncidentRequest req, string actor,
        DateTimeOffset at, CancellationToken ct)
    {
        var now = StoredTime.Of(at);
        var incident = new Incident
        {
            Title = req.Title!.Trim(), OccurredAt = StoredTime.Of(req.OccurredAt!.Value), Place = req.Place, Lat = req.Lat, Lon = req.Lon, Category = req.Category!.Value,
            Agencies = string.Join(',', req.Agencies ?? []), PeopleAffected = req.PeopleAffected ?? 0, Injured = req.Injured ?? 0, Deaths = req.Deaths ?? 0,
            NamesConsent = req.NamesConsent ?? false, Status = req.Status ?? IncidentStatus.Open,
            Published = req.Published ?? false, SightingId = req.SightingId, CreatedBy = actor, CreatedAt = now, UpdatedAt = now,
        };
        if (req.Names is { Length: > 0 } names) incident.NamesCipher = keys.Encrypt(JsonSerializer.Serialize(names), Purpose.AffectedNames);
        incident.SetNote(req.StatusNote, keys);
        db.Incidents.Add(incident);
        await custody.AppendAsync(incident.Id, "created", actor, IncidentRecords.Form(incident, keys), ct);
        return incident;
    }

    private static string Humanize(string wire) => char.ToUpperInvariant(wire[0]) + wire[1..].Replace('_', ' ');

    internal static IncidentView View(Incident i, KeyRing keys, bool documents) => new(
        i.Id, i.Title, i.OccurredAt, i.Place, i.Lat, i.Lon, i.Category,
        i.Agencies.Split(',', StringSplitOptions.RemoveEmptyEntries), i.PeopleAffected, i.Injured, i.Deaths,
        documents && i.NamesCipher is { } c ? JsonSerializer.Deserialize<string[]>(keys.Decrypt(c, Purpose.AffectedNames)) : null,
        i.NamesCipher is not null, i.NamesConsent, i.Status, i.NoteOf(keys), i.Published, i.SightingId, i.CreatedBy, i.CreatedAt, i.UpdatedAt);

    private static WitnessView View(WitnessStatement w, KeyRing keys, bool documents) => new(
        w.Id, w.TextOf(keys), w.AudioEvidenceId, w.Consent, w.ConsentAt, ConsentRules.IsWithdrawn(w), ConsentRules.MayQuotePublicly(w),
        documents && w.NameCipher is { } n ? keys.Decrypt(n, Purpose.WitnessName) : null,
        documents && w.ContactCipher is { } c ? keys.Decrypt(c, Purpose.WitnessContact) : null,
        w.NameCipher is not null, w.ContactCipher is not null, w.TakenAt, w.TakenBy);

    private static FollowUpView View(FollowUp f, KeyRing keys, DateTimeOffset now) =>
        new(f.Id, f.Kind, f.DescriptionOf(keys), f.Owner, f.DueAt, f.Done, f.DoneAt, FollowUpRules.IsOverdue(f, now));

    /// <summary>The whole file; logged in custody as viewed (by whom, and the hash of the incident record as it was read).</summary>
    private static async Task<Results<Ok<IncidentFile>, ProblemHttpResult>> GetAsync(
        Guid id, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null) return Missing("incident");
        bool documents = Documents(user);
        var timeline = await db.Timeline.AsNoTracking().Where(t => t.IncidentId == id).ToListAsync(ct);
        var witnesses = await db.Witnesses.AsNoTracking().Where(w => w.IncidentId == id).ToListAsync(ct);
        var evidence = await db.Evidence.AsNoTracking().Where(e => e.IncidentId == id).ToListAsync(ct);
        var claims = await db.Claims.AsNoTracking().Include(c => c.Evidence).Where(c => c.IncidentId == id).ToListAsync(ct);
        var followUps = await db.FollowUps.AsNoTracking().Where(f => f.IncidentId == id).ToListAsync(ct);
        await CustodialAsync(db, async () =>
        {
            await custody.AppendAsync(id, "viewed", Actor(user), "incident", id.ToString("D"), IncidentRecords.Form(incident, keys).Hash, ct);
            await db.SaveChangesAsync(ct);
            return true;
        });
        var now = time.GetUtcNow();
        var fus = followUps.OrderBy(f => f.Done).ThenBy(f => f.DueAt is null).ThenBy(f => f.DueAt).ThenBy(f => f.Id).Select(f => View(f, keys, now)).ToList();
        return TypedResults.Ok(new IncidentFile(
            View(incident, keys, documents),
            timeline.OrderBy(t => t.At).ThenBy(t => t.Id).Select(TimelineView.Of).ToList(),
            witnesses.OrderBy(w => w.Id).Select(w => View(w, keys, documents)).ToList(),
            evidence.OrderBy(e => e.Id).Select(EvidenceView.Of).ToList(),
            claims.OrderBy(c => c.SaidAt ?? c.AddedAt).ThenBy(c => c.Id).Select(ClaimView.Of).ToList(),
            fus, fus.Where(f => f.Overdue).ToList()));
    }

    private static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> EditAsync(
        Guid id, IncidentRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        if (req.SightingId is not null) return Invalid("sightingId", "The sighting an incident file was opened from does not change.");
        return await CustodialAsync<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>>(db, async () =>
        {
            var i = await db.Incidents.FirstOrDefaultAsync(x => x.Id == id, ct);
            if (i is null) return Missing("incident");
            if (req.Names is { Length: > 0 } && req.NamesConsent is null && !i.NamesConsent)
                return Invalid("names", NamesRule.RefusalOf(req.Names, false)!);
            if (req.Title is { } title) i.Title = title.Trim();
            if (req.OccurredAt is { } at) i.OccurredAt = StoredTime.Of(at);
            if (req.Place is not null) i.Place = req.Place;
            if (req.Lat is not null) (i.Lat, i.Lon) = (req.Lat, req.Lon);
            if (req.Category is { } c) i.Category = c;
            if (req.Agencies is { } a) i.Agencies = string.Join(',', a);
            if (req.PeopleAffected is { } pa) i.PeopleAffected = pa;
            if (req.Injured is { } inj) i.Injured = inj;
            if (req.Deaths is { } d) i.Deaths = d;
            if (req.NamesConsent is { } consent) i.NamesConsent = consent;
            if (NamesRule.MustWipe(i.NamesConsent) || req.Names is { Length: 0 }) i.NamesCipher = null;
            if (req.Names is { Length: > 0 } names) i.NamesCipher = keys.Encrypt(JsonSerializer.Serialize(names), Purpose.AffectedNames);
            if (req.Status is { } s) i.Status = s;
            if (req.StatusNote is not null) i.SetNote(req.StatusNote, keys);
            if (req.Published is { } pub) i.Published = pub;
            i.UpdatedAt = StoredTime.Of(time.GetUtcNow());
            await custody.AppendAsync(id, "edited", Actor(user), IncidentRecords.Form(i, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(View(i, keys, documents: true));
        });
    }

    // ---- Timeline ----

    private static async Task<Results<Ok<List<TimelineView>>, ValidationProblem, ProblemHttpResult>> TimelineAsync(
        Guid id, string? sort, string? source, string? q, bool? disputed, WhistleDb db, CancellationToken ct)
    {
        if (sort is not (null or "asc" or "desc")) return Invalid("sort", "asc or desc.");
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Missing("incident");
        var all = await db.Timeline.AsNoTracking().Where(t => t.IncidentId == id).ToListAsync(ct);
        IEnumerable<TimelineEntry> list = all;
        if (!string.IsNullOrWhiteSpace(source)) list = list.Where(t => t.Source.Contains(source.Trim(), StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrWhiteSpace(q)) list = list.Where(t => t.Text.Contains(q.Trim(), StringComparison.OrdinalIgnoreCase));
        if (disputed is { } d) list = list.Where(t => t.Disputed == d);
        list = sort == "desc" ? list.OrderByDescending(t => t.At).ThenByDescending(t => t.Id) : list.OrderBy(t => t.At).ThenBy(t => t.Id);
        return TypedResults.Ok(list.Select(TimelineView.Of).ToList());
    }

    private static async Task<Results<Created<TimelineView>, ProblemHttpResult>> AddTimelineAsync(
        Guid id, TimelineRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Created<TimelineView>, ProblemHttpResult>>(db, async () =>
        {
            if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Missing("incident");
            var precision = req.Precision ?? Network.TimePrecision.Exact;
            var zone = await Network.NetworkLookup.TimeZoneAsync(db, ct);
            var entry = new TimelineEntry
            {
                IncidentId = id, At = StoredTime.Of(Network.Clock.Truncate(req.At!.Value, precision, zone)), Precision = precision, Source = req.Source!.Trim(), Text = req.Text!, Disputed = req.Disputed ?? false,
                AddedBy = Actor(user), AddedAt = StoredTime.Of(time.GetUtcNow()),
            };
            await InsertAsync(db, custody, entry, id, "timeline_added", Actor(user), x => IncidentRecords.Form(x, keys), ct);
            return TypedResults.Created($"/api/v1/incidents/{id}/timeline", TimelineView.Of(entry));
        });

    /// <summary>Marks an entry disputed (entries are never deleted or rewritten: add the other version as another entry).</summary>
    private static async Task<Results<Ok<TimelineView>, ProblemHttpResult>> DisputeTimelineAsync(
        Guid id, long tid, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Ok<TimelineView>, ProblemHttpResult>>(db, async () =>
        {
            var entry = await db.Timeline.FirstOrDefaultAsync(t => t.Id == tid && t.IncidentId == id, ct);
            if (entry is null) return Missing("timeline entry");
            entry.Disputed = true;
            await custody.AppendAsync(id, "timeline_disputed", Actor(user), IncidentRecords.Form(entry, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(TimelineView.Of(entry));
        });

    // ---- Witnesses ----

    private static async Task<Results<Created<WitnessView>, ValidationProblem, ProblemHttpResult>> AddWitnessAsync(
        Guid id, WitnessRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Created<WitnessView>, ValidationProblem, ProblemHttpResult>>(db, async () =>
        {
            if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Missing("incident");
            if (req.AudioEvidenceId is { } audio && !await db.Evidence.AnyAsync(e => e.Id == audio && e.IncidentId == id, ct))
                return Invalid("audioEvidenceId", "There is no such evidence item in this incident file.");
            var now = StoredTime.Of(time.GetUtcNow());
            var w = new WitnessStatement
            {
                IncidentId = id, AudioEvidenceId = req.AudioEvidenceId,
                Consent = req.Consent!.Value, ConsentAt = StoredTime.Of(req.ConsentAt), TakenAt = StoredTime.Of(req.TakenAt) ?? now, TakenBy = Actor(user),
                NameCipher = string.IsNullOrWhiteSpace(req.Name) ? null : keys.Encrypt(req.Name.Trim(), Purpose.WitnessName),
                ContactCipher = string.IsNullOrWhiteSpace(req.Contact) ? null : keys.Encrypt(req.Contact.Trim(), Purpose.WitnessContact),
            };
            w.SetText(string.IsNullOrWhiteSpace(req.Text) ? null : req.Text, keys);
            await InsertAsync(db, custody, w, id, "witness_added", Actor(user), x => IncidentRecords.Form(x, keys), ct);
            return TypedResults.Created($"/api/v1/incidents/{id}/witnesses/{w.Id}", View(w, keys, documents: true));
        });

    private static async Task<Results<Ok<WitnessView>, ProblemHttpResult>> EditWitnessAsync(
        Guid id, long wid, WitnessEditRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Ok<WitnessView>, ProblemHttpResult>>(db, async () =>
        {
            var w = await db.Witnesses.FirstOrDefaultAsync(x => x.Id == wid && x.IncidentId == id, ct);
            if (w is null) return Missing("witness statement");
            if (ConsentRules.IsWithdrawn(w)) return Problem.Conflict("This witness withdrew consent: the statement cannot be edited.");
            if (req.Text is not null) w.SetText(req.Text, keys);
            if (req.Consent is { } consent) (w.Consent, w.ConsentAt) = (consent, StoredTime.Of(req.ConsentAt));
            if (req.Name is not null) w.NameCipher = req.Name.Trim().Length == 0 ? null : keys.Encrypt(req.Name.Trim(), Purpose.WitnessName);
            if (req.Contact is not null) w.ContactCipher = req.Contact.Trim().Length == 0 ? null : keys.Encrypt(req.Contact.Trim(), Purpose.WitnessContact);
            await custody.AppendAsync(id, "witness_edited", Actor(user), IncidentRecords.Form(w, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(View(w, keys, documents: true));
        });

    /// <summary>The witness withdraws consent: text, name and contact are wiped at once; the custody log records it.</summary>
    private static async Task<Results<Ok<WitnessView>, ProblemHttpResult>> WithdrawAsync(
        Guid id, long wid, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Ok<WitnessView>, ProblemHttpResult>>(db, async () =>
        {
            var w = await db.Witnesses.FirstOrDefaultAsync(x => x.Id == wid && x.IncidentId == id, ct);
            if (w is null) return Missing("witness statement");
            if (ConsentRules.IsWithdrawn(w)) return Problem.Conflict("Consent was already withdrawn.");
            ConsentRules.Withdraw(w, StoredTime.Of(time.GetUtcNow()));
            await custody.AppendAsync(id, "witness_withdrawn", Actor(user), IncidentRecords.Form(w, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(View(w, keys, documents: true));
        });

    // ---- Claims ----

    private static async Task<Results<Created<ClaimView>, ProblemHttpResult>> AddClaimAsync(
        Guid id, ClaimRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Created<ClaimView>, ProblemHttpResult>>(db, async () =>
        {
            if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Missing("incident");
            var c = new Claim
            {
                IncidentId = id, ClaimantName = req.ClaimantName!.Trim(), ClaimantRole = req.ClaimantRole, Organisation = req.Organisation, Text = req.Text!,
                SaidAt = StoredTime.Of(req.SaidAt), Venue = req.Venue, SourceUrl = req.SourceUrl, Disputed = req.Disputed ?? false,
                DisputeNote = req.Disputed == true ? req.DisputeNote : null, AddedBy = Actor(user), AddedAt = StoredTime.Of(time.GetUtcNow()),
            };
            await InsertAsync(db, custody, c, id, "claim_added", Actor(user), x => IncidentRecords.Form(x, keys), ct);
            return TypedResults.Created($"/api/v1/incidents/{id}/claims/{c.Id}", ClaimView.Of(c));
        });

    /// <summary>Links an evidence item of this incident to a claim, as supporting or contradicting it (again: changes the stance).</summary>
    private static async Task<Results<Ok<ClaimView>, ValidationProblem, ProblemHttpResult>> LinkClaimAsync(
        Guid id, long cid, ClaimLinkRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Ok<ClaimView>, ValidationProblem, ProblemHttpResult>>(db, async () =>
        {
            var c = await db.Claims.Include(x => x.Evidence).FirstOrDefaultAsync(x => x.Id == cid && x.IncidentId == id, ct);
            if (c is null) return Missing("claim");
            if (!await db.Evidence.AnyAsync(e => e.Id == req.EvidenceId && e.IncidentId == id, ct))
                return Invalid("evidenceId", "There is no such evidence item in this incident file.");
            var link = c.Evidence.FirstOrDefault(e => e.EvidenceId == req.EvidenceId);
            if (link is null) c.Evidence.Add(link = new ClaimEvidence { ClaimId = cid, EvidenceId = req.EvidenceId!.Value });
            link.Stance = req.Stance!.Value;
            link.Note = req.Note;
            await custody.AppendAsync(id, "claim_linked", Actor(user), IncidentRecords.Form(link, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(ClaimView.Of(c));
        });

    private static async Task<Results<Ok<ClaimView>, ProblemHttpResult>> DisputeClaimAsync(
        Guid id, long cid, DisputeRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Ok<ClaimView>, ProblemHttpResult>>(db, async () =>
        {
            var c = await db.Claims.Include(x => x.Evidence).FirstOrDefaultAsync(x => x.Id == cid && x.IncidentId == id, ct);
            if (c is null) return Missing("claim");
            c.Disputed = true;
            c.DisputeNote = c.DisputeNote is { Length: > 0 } before ? before + "\n" + req.Note : req.Note;
            await custody.AppendAsync(id, "claim_disputed", Actor(user), IncidentRecords.Form(c, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(ClaimView.Of(c));
        });

    // ---- Follow-ups ----

    private static async Task<Results<Created<FollowUpView>, ProblemHttpResult>> AddFollowUpAsync(
        Guid id, FollowUpRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Created<FollowUpView>, ProblemHttpResult>>(db, async () =>
        {
            if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Missing("incident");
            var f = new FollowUp { IncidentId = id, Kind = req.Kind!.Value, Owner = req.Owner!.Trim(), DueAt = StoredTime.Of(req.DueAt) };
            f.SetDescription(req.Description!, keys);
            await InsertAsync(db, custody, f, id, "follow_up_added", Actor(user), x => IncidentRecords.Form(x, keys), ct);
            return TypedResults.Created($"/api/v1/incidents/{id}/follow-ups/{f.Id}", View(f, keys, time.GetUtcNow()));
        });

    private static async Task<Results<Ok<FollowUpView>, ProblemHttpResult>> FollowUpDoneAsync(
        Guid id, long fid, WhistleDb db, CustodyLog custody, KeyRing keys, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        await CustodialAsync<Results<Ok<FollowUpView>, ProblemHttpResult>>(db, async () =>
        {
            var f = await db.FollowUps.FirstOrDefaultAsync(x => x.Id == fid && x.IncidentId == id, ct);
            if (f is null) return Missing("follow-up");
            if (f.Done) return Problem.Conflict("This follow-up is already done.");
            f.Done = true;
            f.DoneAt = StoredTime.Of(time.GetUtcNow());
            await custody.AppendAsync(id, "follow_up_done", Actor(user), IncidentRecords.Form(f, keys), ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(View(f, keys, time.GetUtcNow()));
        });

    // ---- Custody ----

    private static async Task<Results<Ok<List<CustodyView>>, ProblemHttpResult>> CustodyAsync(
        Guid id, WhistleDb db, CancellationToken ct)
    {
        var entries = await db.Custody.AsNoTracking().Where(c => c.IncidentId == id).OrderBy(c => c.Seq).ToListAsync(ct);
        if (entries.Count == 0 && !await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Missing("incident");
        return TypedResults.Ok(entries.Select(CustodyView.Of).ToList());
    }

    /// <summary>Recomputes the chain (and rehashes the evidence files it names from the store).</summary>
    private static async Task<Results<Ok<CustodyVerdict>, ProblemHttpResult>> VerifyAsync(
        Guid id, WhistleDb db, CustodyLog custody, EvidenceStore files, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct) && !await db.Custody.AnyAsync(c => c.IncidentId == id, ct)) return Missing("incident");
        return TypedResults.Ok(await custody.VerifyAsync(id, files, ct));
    }
}
