using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Identity;
using Whistle.Incidents;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Submissions;

// ---- Requests ----------------------------------------------------------------------------------------------

/// <summary>Attach into an existing incident (<paramref name="IncidentId"/>) or into a new one (<paramref name="NewIncident"/>): exactly one.</summary>
public sealed record AttachRequest(Guid? IncidentId, NewIncidentRequest? NewIncident) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(IncidentId is null != NewIncident is null, "incidentId", "Give either incidentId (an existing incident) or newIncident {title, occurredAt, place}, not both.");
        if (NewIncident is { } n)
        {
            p.Require(!string.IsNullOrWhiteSpace(n.Title), "newIncident.title", "Give the incident a title.");
            p.MaxLength(n.Title, 200, "newIncident.title");
            p.MaxLength(n.Place, 300, "newIncident.place");
        }
    }
}

public sealed record NewIncidentRequest(string? Title, DateTimeOffset? OccurredAt, string? Place);

public sealed record RejectRequest(string? Reason) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var reason = ReviewRules.Clean(Reason);
        p.Require(reason.Length > 0, "reason", "Say why the submission is turned down (it is kept, with the reason, in its custody log).");
        p.MaxLength(reason, Submission.MaxReasonLength, "reason");
    }
}

public sealed record BlurRequest(bool? Requested) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) => p.Require(Requested is not null, "requested", "true or false.");
}

public sealed record MessageRequest(string? Message) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) =>
        p.Require(Message is not null && ReviewRules.Messages.Contains(Message), "message", "One of " + string.Join(", ", ReviewRules.Messages) + ".");
}

// ---- Views -------------------------------------------------------------------------------------------------

public sealed record ReviewFileView(long Id, string Name, string MediaType, long Size, long Offset, string ClientSha256, string? Sha256,
    bool Complete, DateTimeOffset? CompletedAt, long? EvidenceItemId)
{
    public static ReviewFileView Of(SubmissionFile f) => new(f.Id, f.FileName, f.MediaType, f.Length, f.Offset, f.ClientSha256, f.Sha256,
        f.Sha256 is not null && f.CompletedAt is not null, f.CompletedAt, f.EvidenceItemId);
}

/// <param name="Contact">"sms", "email" or null: how the submitter can be reached, never the address.</param>
public sealed record ReviewSummary(Guid Id, string ReceiptCode, SubmissionState State, SubmissionConsent Consent, bool BlurRequested,
    string Language, DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt, int Files, long Bytes, Guid? IncidentId);

public sealed record ReviewPage(List<ReviewSummary> Items, string? NextCursor, Dictionary<string, int> Counts);

/// <param name="Contact">"sms", "email" or null — never the address. <paramref name="ContactPurged"/>: there was one, wiped on schedule.</param>
public sealed record ReviewDetail(Guid Id, string ReceiptCode, SubmissionState State, SubmissionConsent Consent, bool BlurRequested, string Language,
    string? What, string? Place, double? Lat, double? Lon, DateTimeOffset? ObservedAt, Guid? AlertId, Guid? SightingId,
    DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt, string? Contact, bool ContactPurged, DateTimeOffset? MessagedAt,
    Guid? IncidentId, string? RejectReason, string? ReviewedBy, DateTimeOffset? ReviewedAt, List<ReviewFileView> Files, List<CustodyView> Custody);

// ---- Rules -------------------------------------------------------------------------------------------------

/// <summary>The review queue's rules that need no host: texts cleaned, contact kinds, the fixed messages, the list's cursor.</summary>
public static class ReviewRules
{
    /// <summary>The only messages a documenter may send a submitter: fixed words, in the submitter's language.</summary>
    public static readonly string[] Messages = ["lawyer-may-contact", "thank-you", "need-more"];

    /// <summary>The words of a message in a language (en, es, so, hmn).</summary>
    public static string MessageText(string message, string language) => Site.Ui.T(language, "review.msg." + message);

    /// <summary>Trimmed, without control characters (line breaks become spaces).</summary>
    public static string Clean(string? s) =>
        new string((s ?? "").Select(c => c is '\n' or '\r' or '\t' ? ' ' : c).Where(c => !char.IsControl(c)).ToArray()).Trim();

    /// <summary>"email" when the contact holds an @, else "sms".</summary>
    public static string KindOf(string contact) => contact.Contains('@', StringComparison.Ordinal) ? "email" : "sms";

    /// <summary>A file name that is safe in a Content-Disposition and on any disk: its last segment, no control characters, at most 120 characters.</summary>
    public static string SafeFileName(string? name, string mediaType)
    {
        var n = Clean(name).Replace('\\', '/');
        n = n[(n.LastIndexOf('/') + 1)..];
        n = new string(n.Where(c => c is not ('"' or ':' or '*' or '?' or '<' or '>' or '|')).ToArray()).Trim().TrimStart('.');
        if (n.Length > 120) n = n[^120..];
        return n.Length > 0 ? n : $"submission.{MediaTypes.Extension(mediaType)}";
    }

    /// <summary>The list's cursor: the last row's received time (Unix ms) and receipt code.</summary>
    public static string Cursor(DateTimeOffset receivedAt, string code) => receivedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "." + code;

    public static (DateTimeOffset At, string Code)? ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 60) return null;
        var dot = cursor.IndexOf('.');
        if (dot <= 0 || !long.TryParse(cursor[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > 253402300799999) return null;
        return (DateTimeOffset.FromUnixTimeMilliseconds(ms), cursor[(dot + 1)..]);
    }

    /// <summary>Hex SHA-256 of a text (a reject reason is recorded in custody by its hash).</summary>
    public static string HashOf(string text) => CustodyChain.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Custody fields as plain text values (compact JSON).</summary>
    public static string Fields(params (string Key, string? Value)[] fields) =>
        JsonSerializer.Serialize(fields.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => f.Value!));
}

// ---- Endpoints ---------------------------------------------------------------------------------------------

/// <summary>
/// The documenters' review queue of bystanders' submissions (issue 15 §2): documenters and admins only. Reading a
/// file's bytes is a custody "viewed" on the submission's chain; attaching, rejecting, the blur flag and the one
/// message are custody entries too. The submitter's contact is never shown: only its kind.
/// </summary>
public static class ReviewApi
{
    /// <summary>Custody actions on a submission's chain (its id as the chain id) and the incident's.</summary>
    public const string Viewed = "viewed", Attached = "attached", SubmissionAttached = "submission_attached", Rejected = "rejected",
        BlurRequested = "blur_requested", Messaged = "messaged";

    public static RouteGroupBuilder MapSubmissionReview(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/review/submissions").WithTags("Submissions").WithValidation().RequireAuthorization(Policies.Document);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapGet("/{id:guid}/files/{fileId:long}", FileAsync);
        group.MapPost("/{id:guid}/attach", AttachSubmission.AttachAsync);
        group.MapPost("/{id:guid}/reject", RejectAsync);
        group.MapPost("/{id:guid}/blur", BlurAsync);
        group.MapPost("/{id:guid}/message", MessageAsync);
        return group;
    }

    internal static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    internal static ProblemHttpResult NotFound() =>
        TypedResults.Problem(statusCode: 404, title: "No such submission", detail: "There is no such submission.");

    internal static ProblemHttpResult Conflict(string title, string detail) => TypedResults.Problem(statusCode: 409, title: title, detail: detail);

    /// <summary>The submission's contact, decrypted (for its kind, or to send the one message); null when there is none.</summary>
    internal static string? ContactOf(Submission s, KeyRing keys)
    {
        if (s.ContactCipher is not { } c) return null;
        try { return keys.Decrypt(c, Purpose.SubmitterContact); }
        catch (CryptographicException) { return null; }
    }

    private static string? Text(byte[]? cipher, KeyRing keys)
    {
        if (cipher is null) return null;
        try { return keys.Decrypt(cipher, Purpose.SubmissionText); }
        catch (CryptographicException) { return null; }
    }

    private static async Task<Results<Ok<ReviewPage>, ValidationProblem>> ListAsync(
        WhistleDb db, string? state, string? cursor, int? limit, CancellationToken ct)
    {
        var query = db.Submissions.AsNoTracking();
        if (!string.IsNullOrEmpty(state))
        {
            if (!IncidentsApi.TryParse<SubmissionState>(state, out var s))
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["state"] = ["received, attached, rejected or uploading."] });
            query = query.Where(x => x.State == s);
        }
        if (!string.IsNullOrEmpty(cursor))
        {
            if (ReviewRules.ParseCursor(cursor) is not { } after)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cursor"] = ["Not a cursor this list gave out."] });
            var (at, code) = after;
            query = query.Where(x => x.ReceivedAt < at || (x.ReceivedAt == at && string.Compare(x.ReceiptCode, code) > 0));
        }
        int take = Math.Clamp(limit ?? 50, 1, 200);
        var rows = await query.OrderByDescending(x => x.ReceivedAt).ThenBy(x => x.ReceiptCode).Take(take + 1)
            .Select(x => new ReviewSummary(x.Id, x.ReceiptCode, x.State, x.Consent, x.BlurRequested, x.Language, x.ReceivedAt, x.CompletedAt,
                x.Files.Count, x.Files.Sum(f => f.Length), x.IncidentId))
            .ToListAsync(ct);
        string? next = rows.Count > take ? ReviewRules.Cursor(rows[take - 1].ReceivedAt, rows[take - 1].ReceiptCode) : null;
        var counts = (await db.Submissions.AsNoTracking().GroupBy(x => x.State).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
            .ToDictionary(x => Names.Of(x.Key), x => x.N);
        foreach (var s in Enum.GetValues<SubmissionState>()) counts.TryAdd(Names.Of(s), 0);
        return TypedResults.Ok(new ReviewPage(rows.Take(take).ToList(), next, counts));
    }

    private static async Task<Results<Ok<ReviewDetail>, ProblemHttpResult>> GetAsync(Guid id, WhistleDb db, KeyRing keys, CancellationToken ct)
    {
        var s = await db.Submissions.AsNoTracking().Include(x => x.Files).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return NotFound();
        double? lat = null, lon = null;
        if (Text(s.PositionCipher, keys) is { } pos && pos.Split(',') is [var a, var o]
            && double.TryParse(a, CultureInfo.InvariantCulture, out var la) && double.TryParse(o, CultureInfo.InvariantCulture, out var lo))
            (lat, lon) = (la, lo);
        var contact = ContactOf(s, keys);
        var chain = await db.Custody.AsNoTracking().Where(c => c.IncidentId == id).OrderBy(c => c.Seq).ToListAsync(ct);
        return TypedResults.Ok(new ReviewDetail(s.Id, s.ReceiptCode, s.State, s.Consent, s.BlurRequested, s.Language,
            Text(s.WhatCipher, keys), Text(s.PlaceCipher, keys), lat, lon, s.ObservedAt, s.AlertId, s.SightingId, s.ReceivedAt, s.CompletedAt,
            contact is null ? null : ReviewRules.KindOf(contact), s.ContactCipher is null && s.ContactPurgeAt is not null, s.MessagedAt,
            s.IncidentId, s.RejectReason, s.ReviewedBy, s.ReviewedAt,
            s.Files.OrderBy(f => f.Id).Select(ReviewFileView.Of).ToList(), chain.Select(CustodyView.Of).ToList()));
    }

    /// <summary>
    /// A file's original, decrypted as it goes out, with range requests (players seek), as evidence downloads are
    /// (<c>EvidenceApi.DownloadAsync</c>): every response that can carry bytes is covered by a "viewed" entry on the
    /// submission's chain — a request without Range always makes one; one with Range, unless the same person viewed
    /// the same file less than <see cref="EvidenceApi.ViewCovers"/> ago. Served as its media type only when that is
    /// one Whistle accepts (else application/octet-stream), as an attachment with a cleaned file name.
    /// </summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> FileAsync(
        Guid id, long fileId, HttpContext http, WhistleDb db, EvidenceStore store, CustodyLog custody, ClaimsPrincipal user, TimeProvider time,
        CancellationToken ct)
    {
        var f = await db.SubmissionFiles.AsNoTracking().FirstOrDefaultAsync(x => x.SubmissionId == id && x.Id == fileId, ct);
        if (f is null) return TypedResults.Problem(statusCode: 404, title: "No such file", detail: "This submission has no such file.");
        if (f.Sha256 is not { } sha || f.CompletedAt is null)
            return Conflict("Still uploading", "The file has not finished arriving: it can be played once its last byte is in and its hash checked.");
        if (!store.Exists(sha))
            return TypedResults.Problem(statusCode: 404, title: "File missing", detail: $"The file {sha} is missing from the evidence store.");
        SealedReadStream file;
        try { file = store.OpenRead(sha); }
        catch (CryptographicException)
        {
            return Conflict("File unreadable", $"The file {sha} in the evidence store does not decrypt: it was changed on disk or sealed with another key ring.");
        }
        var actor = Actor(user);
        var objectId = f.Id.ToString(CultureInfo.InvariantCulture);
        bool covered = false;
        if (http.Request.Headers.ContainsKey("Range"))
        {
            var last = await db.Custody.AsNoTracking()
                .Where(c => c.IncidentId == id && c.Action == Viewed && c.ObjectType == "submission_file" && c.ObjectId == objectId && c.ObjectHash == sha && c.Actor == actor)
                .OrderByDescending(c => c.Seq).Select(c => (DateTimeOffset?)c.At).FirstOrDefaultAsync(ct);
            var now = time.GetUtcNow();
            covered = last is { } at && at <= now && now - at < EvidenceApi.ViewCovers;
        }
        if (!covered)
            await EvidenceApi.AppendAndSaveAsync(db, () => custody.AppendAsync(id, Viewed, actor, "submission_file", objectId, sha, ct), ct);
        var type = MediaTypes.Allowed.ContainsKey(f.MediaType) && f.MediaType.Split('/')[0] is "image" or "video" or "audio" ? f.MediaType : "application/octet-stream";
        return TypedResults.File(file, type, ReviewRules.SafeFileName(f.FileName, f.MediaType), lastModified: null, entityTag: null, enableRangeProcessing: true);
    }

    private static async Task<Results<Ok<ReviewDetail>, ProblemHttpResult>> RejectAsync(
        Guid id, RejectRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, TimeProvider time, CancellationToken ct)
    {
        var reason = ReviewRules.Clean(req.Reason);
        var actor = Actor(user);
        for (int attempt = 1; ; attempt++)
        {
            var s = await db.Submissions.FirstOrDefaultAsync(x => x.Id == id, ct);
            if (s is null) return NotFound();
            if (s.State != SubmissionState.Received)
                return Conflict("Cannot be rejected", s.State switch
                {
                    SubmissionState.Uploading => "The submission is still uploading: it can be reviewed once its files are in.",
                    SubmissionState.Attached => "The submission is already in an incident file.",
                    _ => "The submission was already turned down.",
                });
            var now = time.GetUtcNow();
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // Only one decision: the state moves from received, or this request lost to another.
                int moved = await db.Submissions.Where(x => x.Id == id && x.State == SubmissionState.Received).ExecuteUpdateAsync(u => u
                    .SetProperty(x => x.State, SubmissionState.Rejected).SetProperty(x => x.RejectReason, reason)
                    .SetProperty(x => x.ReviewedBy, actor).SetProperty(x => x.ReviewedAt, now), ct);
                if (moved == 0) { db.ChangeTracker.Clear(); continue; }
                await custody.AppendAsync(id, Rejected, actor, new RecordForm("submission", id.ToString("D"), ReviewRules.HashOf(reason),
                    ReviewRules.Fields(("reasonSha256", ReviewRules.HashOf(reason))), ""), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                break;
            }
            catch (DbUpdateException) when (attempt < 10) { db.ChangeTracker.Clear(); }
        }
        db.ChangeTracker.Clear();
        return (await GetAsync(id, db, keys, ct)).Result switch { Ok<ReviewDetail> ok => ok, var other => (ProblemHttpResult)other };
    }

    private static async Task<Results<Ok<ReviewDetail>, ProblemHttpResult>> BlurAsync(
        Guid id, BlurRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, CancellationToken ct)
    {
        var requested = req.Requested!.Value;
        var actor = Actor(user);
        for (int attempt = 1; ; attempt++)
        {
            var s = await db.Submissions.FirstOrDefaultAsync(x => x.Id == id, ct);
            if (s is null) return NotFound();
            if (s.BlurRequested == requested) break;
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                s.BlurRequested = requested;
                var value = requested ? "true" : "false";
                var form = new RecordForm("submission", id.ToString("D"), ReviewRules.HashOf("blur:" + value), ReviewRules.Fields(("blurRequested", value)), "");
                await custody.AppendAsync(id, BlurRequested, actor, form, ct);
                // In an incident file already: its chain says so too (whoever publishes from it must blur).
                if (s.IncidentId is { } incident)
                    await custody.AppendAsync(incident, BlurRequested, actor, form with { Fields = ReviewRules.Fields(("blurRequested", value), ("receiptCode", s.ReceiptCode)) }, ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                break;
            }
            catch (DbUpdateException) when (attempt < 10) { db.ChangeTracker.Clear(); }
        }
        db.ChangeTracker.Clear();
        return (await GetAsync(id, db, keys, ct)).Result switch { Ok<ReviewDetail> ok => ok, var other => (ProblemHttpResult)other };
    }

    /// <summary>
    /// The one message to the submitter, in their language, through the channel their contact is: a direct message in the
    /// outbox addressed to a row of its own (unsubscribed from the start, no zones: never in any alert's audience; a random
    /// blind index, so it cannot be linked to a subscription; its address wiped by Housekeeping like any unsubscribed one).
    /// The address is never in a response or the custody entry.
    /// </summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> MessageAsync(
        Guid id, MessageRequest req, WhistleDb db, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, TimeProvider time,
        DeliverySignal signal, CancellationToken ct)
    {
        var s = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return NotFound();
        if (s.MessagedAt is not null) return Conflict("Already messaged", "The submitter was already sent the one message allowed.");
        if (s.ContactCipher is null)
            return s.ContactPurgeAt is not null
                ? TypedResults.Problem(statusCode: 410, title: "Contact purged", detail: "The submitter's contact was wiped on the reporter-contact schedule: they can no longer be reached.")
                : TypedResults.Problem(statusCode: 404, title: "No contact", detail: "The submitter left no way to reach them.");
        var contact = ContactOf(s, keys);
        var channel = contact is null ? (SubscriberChannel?)null : ReviewRules.KindOf(contact) == "email" ? SubscriberChannel.Email : SubscriberChannel.Sms;
        var address = channel is { } ch ? Addresses.Normalize(ch, contact, out _) : null;
        if (address is null)
            return TypedResults.Problem(statusCode: 422, title: "Contact unusable", detail: "The submitter's contact is not a phone number or e-mail address a message can go to.");
        var actor = Actor(user);
        var now = time.GetUtcNow();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                int claimed = await db.Submissions.Where(x => x.Id == id && x.MessagedAt == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.MessagedAt, now), ct);
                if (claimed == 0) return Conflict("Already messaged", "The submitter was already sent the one message allowed.");
                var row = new Subscriber
                {
                    Channel = channel!.Value, AddressCipher = keys.Encrypt(address, Purpose.SubscriberAddress), AddressHash = RandomNumberGenerator.GetBytes(32),
                    Language = Site.Ui.Languages.Contains(s.Language) ? s.Language : "en", Zones = "", State = SubscriberState.Unsubscribed,
                    CreatedAt = now, ChangedAt = now,
                };
                db.Subscribers.Add(row);
                await db.SaveChangesAsync(ct);
                db.Messages.Add(new DirectMessage
                {
                    SubscriberId = row.Id, Channel = row.Channel, State = DeliveryState.Pending, NextAttemptAt = now,
                    Body = ReviewRules.MessageText(req.Message!, row.Language),
                });
                await custody.AppendAsync(id, Messaged, actor, new RecordForm("submission", id.ToString("D"), ReviewRules.HashOf("message:" + req.Message),
                    ReviewRules.Fields(("message", req.Message), ("channel", ReviewRules.KindOf(address)), ("language", row.Language)), ""), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                break;
            }
            catch (DbUpdateException) when (attempt < 10) { db.ChangeTracker.Clear(); }
        }
        signal.Poke();
        return TypedResults.Accepted((string?)null);
    }
}
