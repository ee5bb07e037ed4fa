using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Site;

namespace Whistle.Submissions;

public sealed record DeclaredFileRequest(string? Name, string? Type, long? Size, string? Sha256);

/// <summary>What the <c>/evidence</c> page sends before any byte of a file: the few fields, the consent, and each file's name, type, size and hash.</summary>
public sealed record SubmissionRequest(
    string? Language, string? What, string? Place, double? Lat, double? Lon, DateTimeOffset? ObservedAt, Guid? AlertId, Guid? SightingId,
    string? Consent, bool? BlurRequested, string? Contact, List<DeclaredFileRequest?>? Files) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var o = services.GetRequiredService<IOptions<WhistleOptions>>().Value.Submissions;
        p.Require(Language is null || Ui.Languages.Contains(Language), "language", "One of en, es, so, hmn.");
        p.MaxLength(What, Submission.MaxWhatLength, "what");
        p.MaxLength(Place, Submission.MaxPlaceLength, "place");
        p.LatLon(Lat, Lon);
        p.Require(ObservedAt is null || (ObservedAt <= now + SubmissionRules.ClockSkew && ObservedAt >= now - SubmissionRules.OldestObserved),
            "observedAt", "A time in the past year, not in the future.");
        p.Require(SubmissionRules.Consent(Consent) is not null, "consent",
            "Choose who may see it: lawyersOnly, publishBlurred or publish.");
        p.MaxLength(Contact, Submission.MaxContactLength, "contact");
        if (!string.IsNullOrWhiteSpace(Contact) && Contact.Length <= Submission.MaxContactLength)
            p.Require(SubmissionContact.Normalize(Contact, Subscriptions.Addresses.RegionOf(services)) is not null, "contact",
                "A phone number such as 612-555-0142, or an e-mail address such as name@example.org.");
        int max = Math.Max(1, o.MaxFilesPerSubmission);
        if (Files is not { Count: > 0 }) { p.Add("files", "Add at least one photo, video or audio recording."); return; }
        if (Files.Count > max) { p.Add("files", $"At most {max} files in one submission."); return; }
        for (int i = 0; i < Files.Count; i++)
        {
            var f = Files[i];
            var at = $"files[{i}]";
            if (f is null) { p.Add(at, "Add at least one photo, video or audio recording."); continue; }
            p.MaxLength(f.Name, SubmissionRules.MaxFileNameLength, at + ".name");
            p.Require(SubmissionRules.MediaType(f.Type) is not null, at + ".type", "Only photos, videos and audio recordings can be sent.");
            p.Require(f.Size is >= 1 && f.Size <= o.MaxFileBytes, at + ".size",
                $"A file of at most {Math.Max(1, o.MaxFileBytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture)} MB.");
            p.Require(SubmissionRules.IsSha256Hex(f.Sha256), at + ".sha256", "The file's SHA-256: 64 hexadecimal characters.");
        }
    }
}

/// <summary>What the page gets back: where the submission is, its receipt code, the secret it sends its files with, and each declared file's id.</summary>
public sealed record SubmissionCreated(Guid Id, string ReceiptCode, string UploadSecret, List<SubmissionCreated.CreatedFile> Files)
{
    public sealed record CreatedFile(long Id, string Name, string Sha256, long Size);
}

/// <summary>The submission as its page sees it with the upload secret: state, receipt code, each file with the phone's hash beside the server's.</summary>
public sealed record SubmissionView(string State, string ReceiptCode, List<SubmissionView.FileView> Files)
{
    public sealed record FileView(long Id, string Name, string ClientSha256, string? Sha256, long Size, long Offset);
}

/// <summary>What a receipt code tells anyone who holds it: the state, and nothing else.</summary>
public sealed record ReceiptView(string State);

/// <summary>A submitter's contact: an e-mail address, else a phone number in E.164 (read in the network's region).</summary>
public static class SubmissionContact
{
    public static string? Normalize(string? raw, string? region)
    {
        var a = Text.CleanLine(raw)?.Trim();
        if (string.IsNullOrEmpty(a)) return null;
        if (a.Contains('@'))
            return Subscriptions.Addresses.Normalize(Subscriptions.SubscriberChannel.Email, a, out _);
        return Subscriptions.Addresses.Phone(a, region);
    }

    /// <summary>"email" or "sms": the channel a stored contact is reached through.</summary>
    public static string Kind(string contact) => contact.Contains('@') ? "email" : "sms";
}

/// <summary>
/// The public submission API (issue 15): a bystander declares what they recorded and gets a receipt code and an upload
/// secret; the files then come by tus (<c>/api/v1/uploads</c>). No account; budgets per source and network-wide; the
/// free-space floor. Docs: docs/decisions/0040-bystander-submissions.md.
/// </summary>
public static class SubmissionsApi
{
    public const string SecretHeader = "X-Upload-Secret";

    public static RouteGroupBuilder MapSubmissions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/submissions").WithTags("Submissions").AllowAnonymous()
            .AddEndpointFilter(SpeakTheirLanguage).WithValidation()
            .RequireRateLimiting(RateLimits.Submissions);
        group.MapPost("/", CreateAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapGet("/receipt/{code}", ReceiptAsync).RequireRateLimiting(RateLimits.Receipts);
        return group;
    }

    /// <summary>Problems in the language the page asked for in its body (before Accept-Language).</summary>
    private static ValueTask<object?> SpeakTheirLanguage(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        foreach (var a in ctx.Arguments)
            if (a is SubmissionRequest { Language: { } l } && Ui.Languages.Contains(l)) ctx.HttpContext.Items[Ui.LanguageItem] = l;
        return next(ctx);
    }

    private static async Task<Results<Created<SubmissionCreated>, ProblemHttpResult>> CreateAsync(
        SubmissionRequest req, WhistleDb db, KeyRing keys, TimeProvider time, IOptions<WhistleOptions> options, CustodyLog custody,
        HttpContext http, StorageFloor floor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        var source = Reports.Sources.Web(http.Connection.RemoteIpAddress, keys);

        // One submission at a time through the budget and into the database, so a parallel flood cannot slip past the
        // counts (a submission takes milliseconds; a second server on the same PostgreSQL counts its own in flight).
        await Gate.WaitAsync(ct);
        try { return await AdmitAsync(req, db, keys, now, o, custody, http, source, floor, ct); }
        finally { Gate.Release(); }
    }

    private static readonly SemaphoreSlim Gate = new(1, 1);

    private static async Task<Results<Created<SubmissionCreated>, ProblemHttpResult>> AdmitAsync(SubmissionRequest req, WhistleDb db, KeyRing keys,
        DateTimeOffset now, WhistleOptions o, CustodyLog custody, HttpContext http, byte[] source, StorageFloor floor, CancellationToken ct)
    {
        var so = o.Submissions;
        // The budgets first (issue 7's shape): a flood is refused before it costs anything but two counts.
        if (await BudgetAsync(db, so, source, now, ct) is { } wait)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, wait.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: "The network is receiving many submissions. Please keep your recording and try again in a little while.");
        }
        long declared = req.Files!.Sum(f => f!.Size!.Value);
        if (await floor.RefusesAsync(db, ct, declared))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status507InsufficientStorage, title: "Not enough space",
                detail: "The network cannot take new files right now: its storage is nearly full. Please keep your recording and try again later.");
        }
        if (req.AlertId is { } alertId)
        {
            var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == alertId, ct);
            if (alert is null || alert.AwaitingApproval || !SendRules.IsLive(alert, now))
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request has invalid fields",
                    detail: "That alert is not active any more. Send your recording without it.");
        }
        if (req.SightingId is { } sightingId
            && !await db.Alerts.AnyAsync(a => a.SightingId == sightingId && a.Kind == AlertKind.Alert && !a.AwaitingApproval && !a.Drill, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request has invalid fields",
                detail: "That sighting link is not one the network shared. Send your recording without it.");

        var secret = SubmissionRules.NewUploadSecret();
        var retention = await Retention.EffectiveAsync(db, o.Retention, ct);
        // A receipt code is 60 random bits: a collision is all but impossible, and the unique index refuses one; then a new code.
        for (int attempt = 1; ; attempt++)
        {
            var s = New(req, keys, o, now, secret, source, retention, req.Language ?? Ui.LanguageOf(http));
            db.Submissions.Add(s);
            var record = SubmissionRecord.Hash(s, s.Files);
            await custody.AppendAsync(s.Id, "submission_received", "submitter", "submission", s.Id.ToString(), record, ct);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException) when (attempt < 3 && !ct.IsCancellationRequested)
            {
                db.ChangeTracker.Clear();
                continue;
            }
            return TypedResults.Created($"/api/v1/submissions/{s.Id}", new SubmissionCreated(s.Id, s.ReceiptCode, secret,
                s.Files.OrderBy(f => f.Id).Select(f => new SubmissionCreated.CreatedFile(f.Id, f.FileName, f.ClientSha256, f.Length)).ToList()));
        }
    }

    private static Submission New(SubmissionRequest req, KeyRing keys, WhistleOptions o, DateTimeOffset now, string secret, byte[] source, Retention retention, string language)
    {
        var s = new Submission
        {
            ReceiptCode = ReceiptCodes.New(),
            UploadSecretHash = keys.Hash(SubmissionRules.SecretKey(secret)),
            State = SubmissionState.Uploading,
            Consent = SubmissionRules.Consent(req.Consent)!.Value,
            BlurRequested = req.BlurRequested ?? false,
            Language = language,
            AlertId = req.AlertId,
            SightingId = req.SightingId,
            ObservedAt = req.ObservedAt?.ToUniversalTime(),
            SourceHash = source,
            ReceivedAt = now,
        };
        if (Clean(req.What) is { } what) s.WhatCipher = keys.Encrypt(what, Purpose.SubmissionText);
        if (Clean(req.Place) is { } place) s.PlaceCipher = keys.Encrypt(place, Purpose.SubmissionText);
        if (req.Lat is { } lat && req.Lon is { } lon)
            s.PositionCipher = keys.Encrypt(string.Create(CultureInfo.InvariantCulture, $"{lat:R},{lon:R}"), Purpose.SubmissionText);
        if (SubmissionContact.Normalize(req.Contact, o.Network.PhoneRegion) is { } contact)
        {
            s.ContactCipher = keys.Encrypt(contact, Purpose.SubmitterContact);
            s.ContactPurgeAt = now + retention.ReporterContact;
        }
        foreach (var f in req.Files!)
            s.Files.Add(new SubmissionFile
            {
                SubmissionId = s.Id,
                UploadId = SubmissionRules.NewUploadId(),
                FileName = SubmissionRules.FileName(f!.Name),
                MediaType = SubmissionRules.MediaType(f.Type)!,
                Length = f.Size!.Value,
                Offset = 0,
                ClientSha256 = f.Sha256!.ToLowerInvariant(),
                CreatedAt = now,
            });
        return s;
    }

    /// <summary>How long to wait when a budget is spent (per source per hour, network-wide per minute); null when within both.</summary>
    public static async Task<TimeSpan?> BudgetAsync(WhistleDb db, SubmissionOptions o, byte[] source, DateTimeOffset now, CancellationToken ct)
    {
        var minute = now.AddMinutes(-1);
        var network = await db.Submissions.Where(s => s.ReceivedAt > minute).Select(s => s.ReceivedAt).OrderBy(t => t)
            .Take(Math.Max(1, o.NetworkPerMinute)).ToListAsync(ct);
        if (network.Count >= Math.Max(1, o.NetworkPerMinute)) return network[0] + TimeSpan.FromMinutes(1) - now;
        var hour = now.AddHours(-1);
        var fromSource = await db.Submissions.Where(s => s.ReceivedAt > hour && s.SourceHash == source).Select(s => s.ReceivedAt).OrderBy(t => t)
            .Take(Math.Max(1, o.SourcePerHour)).ToListAsync(ct);
        if (fromSource.Count >= Math.Max(1, o.SourcePerHour)) return fromSource[0] + TimeSpan.FromHours(1) - now;
        return null;
    }

    private static async Task<Results<Ok<SubmissionView>, ProblemHttpResult>> GetAsync(Guid id, WhistleDb db, KeyRing keys, HttpContext http, CancellationToken ct)
    {
        var s = await db.Submissions.AsNoTracking().Include(x => x.Files).FirstOrDefaultAsync(x => x.Id == id, ct);
        var given = http.Request.Headers[SecretHeader].ToString();
        // Unknown id, no secret and a wrong secret answer alike; the keyed hashes are compared in constant time.
        var hash = keys.Hash(SubmissionRules.SecretKey(given.Length is > 0 and <= 100 ? given : "-"));
        if (s is null || given.Length is 0 or > 100 || !CryptographicOperations.FixedTimeEquals(hash, s.UploadSecretHash))
            return NotFound();
        return TypedResults.Ok(new SubmissionView(SubmissionRules.StateName(s.State), s.ReceiptCode,
            s.Files.OrderBy(f => f.Id).Select(f => new SubmissionView.FileView(f.Id, f.FileName, f.ClientSha256, f.Sha256, f.Length, f.Offset)).ToList()));
    }

    private static async Task<Results<Ok<ReceiptView>, ProblemHttpResult>> ReceiptAsync(string code, WhistleDb db, CancellationToken ct)
    {
        // A malformed code is looked up like any other (as a code that cannot exist), so both answer the same, in the same time.
        var normal = ReceiptCodes.Normalize(code) ?? "-";
        var state = await db.Submissions.AsNoTracking().Where(s => s.ReceiptCode == normal).Select(s => (SubmissionState?)s.State).FirstOrDefaultAsync(ct);
        return state is { } st ? TypedResults.Ok(new ReceiptView(SubmissionRules.StateName(st))) : NotFound();
    }

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No submission was found.");

    private static string? Clean(string? s) => Text.Clean(s)?.Trim() is { Length: > 0 } t ? t : null;
}
