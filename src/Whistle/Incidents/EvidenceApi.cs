using System.Globalization;
using System.IO.Pipelines;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Incidents;

/// <summary>Whistle:Evidence:* — upload and import limits.</summary>
public sealed class EvidenceOptions
{
    /// <summary>The largest evidence file accepted (default 2 GB).</summary>
    public long MaxBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    /// <summary>The largest export bundle accepted by import, and the most its files may unpack to (default 20 GB).</summary>
    public long MaxImportBytes { get; set; } = 20L * 1024 * 1024 * 1024;
    /// <summary>The most files an imported bundle may hold.</summary>
    public int MaxImportEntries { get; set; } = 10_000;
}

/// <summary>
/// What the uploader says about a file: in the query string (?fileName=…&amp;capturedAt=…&amp;device=…&amp;app=…) or, for the
/// text fields, in X-Filename, X-Captured-At, X-Device, X-App, X-Location, X-Description headers (percent-encoded when not
/// ASCII). Never the uploader's IP address: "from where" is the device and app the uploader or its client names.
/// The file itself is the raw request body, its media type the Content-Type.
/// </summary>
public sealed record UploadMetadata(
    [FromQuery] string? FileName, [FromQuery] string? Description, [FromQuery] DateTimeOffset? CapturedAt,
    [FromQuery] string? Device, [FromQuery] string? Location, [FromQuery] double? Lat, [FromQuery] double? Lon,
    [FromHeader(Name = "X-Filename")] string? FileNameHeader, [FromHeader(Name = "X-Description")] string? DescriptionHeader,
    [FromHeader(Name = "X-Captured-At")] DateTimeOffset? CapturedAtHeader, [FromHeader(Name = "X-Device")] string? DeviceHeader,
    [FromHeader(Name = "X-Location")] string? LocationHeader, [FromQuery] string? App, [FromHeader(Name = "X-App")] string? AppHeader) : IValidatable
{
    private static string? Header(string? v) => string.IsNullOrWhiteSpace(v) ? null : Uri.UnescapeDataString(v.Trim());
    private static string? Clean(string? v) => string.IsNullOrWhiteSpace(v) ? null : new string(v.Trim().Where(c => !char.IsControl(c)).ToArray());

    /// <summary>The file's own name only (no directories), without control characters.</summary>
    public string? Name => Clean(FileName ?? Header(FileNameHeader)) is { } n ? Path.GetFileName(n.Replace('\\', '/')) : null;
    public string? Text => Clean(Description ?? Header(DescriptionHeader));
    public DateTimeOffset? Captured => CapturedAt ?? CapturedAtHeader;
    public string? DeviceText => Clean(Device ?? Header(DeviceHeader));
    public string? LocationText => Clean(Location ?? Header(LocationHeader));
    public string? AppText => Clean(App ?? Header(AppHeader));

    public void Validate(Problems p, IServiceProvider services)
    {
        p.MaxLength(Name, 255, "fileName");
        p.MaxLength(Text, 2000, "description");
        p.MaxLength(DeviceText, 200, "device");
        p.MaxLength(AppText, 200, "app");
        p.MaxLength(LocationText, 500, "location");
        p.LatLon(Lat, Lon);
    }
}

public sealed record EvidenceView(
    long Id, Guid IncidentId, string Sha256, long Size, string MediaType, string FileName, string? Description,
    DateTimeOffset? CapturedAt, string? Device, string? LocationText, double? Lat, double? Lon, string? PublicSha256,
    string AddedBy, DateTimeOffset AddedAt, string? App = null, DateTimeOffset? FileCapturedAt = null, string? FileCapturedFrom = null)
{
    public static EvidenceView Of(EvidenceItem e) => new(e.Id, e.IncidentId, e.Sha256, e.Size, e.MediaType, e.FileName, e.Description,
        e.CapturedAt, e.Device, e.LocationText, e.Lat, e.Lon, e.PublicSha256, e.AddedBy, e.AddedAt, e.App, e.FileCapturedAt, e.FileCapturedFrom);
}

public static class EvidenceApi
{
    /// <summary>Custody actions this feature records.</summary>
    public const string Added = "evidence_added", Described = "evidence_described", PublicCopy = "public_copy_made", Viewed = "viewed", Exported = "exported", Imported = "imported";

    public static RouteGroupBuilder MapEvidence(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/incidents/{id:guid}/evidence").WithTags("Evidence").WithValidation().RequireAuthorization(Policies.Staff);
        group.MapPost("/", UploadAsync).RequireAuthorization(Policies.Document);
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.Documenter, Roles.Dispatcher));
        group.MapGet("/{eid:long}", DownloadAsync).RequireAuthorization(Policies.Document);
        group.MapGet("/{eid:long}/public", DownloadPublicAsync).RequireAuthorization(Policies.Document);

        var bundles = routes.MapGroup("/incidents").WithTags("Evidence").RequireAuthorization(Policies.Document);
        bundles.MapPost("/{id:guid}/export", IncidentBundle.ExportAsync);
        bundles.MapPost("/import", IncidentBundle.ImportAsync);
        return group;
    }

    internal static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    internal static ProblemHttpResult TooLarge(long limit) => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "File too large", detail: $"The file is larger than the limit of {Size(limit)}. Nothing was kept.");

    internal static string Size(long bytes) => bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30} GB"
        : bytes >= 1L << 20 ? $"{(bytes / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture)} MB"
        : $"{bytes} bytes";

    private static ProblemHttpResult Unsupported(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "File type not accepted", detail: detail);

    internal static ProblemHttpResult NoIncident(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such incident", detail: $"There is no incident {id}.");

    /// <summary>
    /// Streams the request body into the store: never buffered whole, never bound as a form. The first bytes are
    /// checked against the declared type before anything is written; past the size limit the partial file is
    /// deleted. The row and its custody entries are committed together.
    /// </summary>
    private static async Task<Results<Created<EvidenceView>, Ok<EvidenceView>, ProblemHttpResult>> UploadAsync(
        Guid id, [AsParameters] UploadMetadata meta, HttpContext http, WhistleDb db, EvidenceStore store, CustodyLog custody, Privacy.KeyRing keys,
        IOptions<WhistleOptions> options, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return NoIncident(id);
        var limit = options.Value.Evidence.MaxBytes;
        var mediaType = MediaTypes.Normalize(http.Request.ContentType);
        if (mediaType is null || !MediaTypes.Allowed.ContainsKey(mediaType))
            return Unsupported($"Send the file as the request body with its media type as Content-Type. Accepted: {MediaTypes.AllowedList}.");
        if (http.Request.ContentLength > limit) return TooLarge(limit);
        // Kestrel's default cap (30 MB) is raised for this request only, to the configured limit.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap) cap.MaxRequestBodySize = limit;

        var head = new byte[MediaTypes.SniffLength];
        int got;
        try { got = await http.Request.Body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct); }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { return TooLarge(limit); }
        if (got == 0) return TypedResults.Problem(statusCode: 400, title: "Empty file", detail: "The request body is empty: send the file as the body.");
        if (!MediaTypes.Matches(mediaType, head.AsSpan(0, got)))
            return Unsupported($"The file does not start the way a {mediaType} file does: its content and its declared type disagree.");

        string sha;
        long size;
        try { (sha, size) = await store.SaveAsync(new PrefixedStream(head.AsMemory(0, got), http.Request.Body), limit, ct); }
        catch (TooLargeException) { return TooLarge(limit); }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { return TooLarge(limit); }

        var existing = await db.Evidence.AsNoTracking().FirstOrDefaultAsync(e => e.IncidentId == id && e.Sha256 == sha, ct);
        if (existing is not null) return TypedResults.Ok(EvidenceView.Of(existing));

        // What the file itself says about its capture, read from the stored original before any public copy is made.
        var stamp = ReadCaptureTime(store, sha, mediaType, await Network.NetworkLookup.TimeZoneAsync(db, ct));
        string? publicSha = MetadataStripper.CanStrip(mediaType) ? await PublicCopyAsync(store, sha, mediaType, ct) : null;
        var actor = Actor(user);
        var item = new EvidenceItem
        {
            IncidentId = id, Sha256 = sha, Size = size, MediaType = mediaType,
            FileName = meta.Name ?? $"evidence.{MediaTypes.Extension(mediaType)}",
            Description = meta.Text, CapturedAt = meta.Captured, Device = meta.DeviceText, LocationText = meta.LocationText,
            Lat = meta.Lat, Lon = meta.Lon, PublicSha256 = publicSha, AddedBy = actor, AddedAt = time.GetUtcNow(),
            App = meta.AppText, FileCapturedAt = StoredTime.Of(stamp?.At), FileCapturedFrom = stamp?.Source,
        };
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                item.Id = 0;
                db.Evidence.Add(item);
                await db.SaveChangesAsync(ct); // the id, for the custody entries below
                var itemId = item.Id.ToString(CultureInfo.InvariantCulture);
                await custody.AppendAsync(id, Added, actor, "evidence", itemId, sha, ct);
                if (publicSha is not null) await custody.AppendAsync(id, PublicCopy, actor, "evidence", itemId, publicSha, ct);
                await custody.AppendAsync(id, Described, actor, IncidentRecords.Form(item, keys), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return TypedResults.Created($"/api/v1/incidents/{id}/evidence/{item.Id}", EvidenceView.Of(item));
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                // The same file sent twice at once (the other upload's row won), or another action took the
                // custody log's next link first (try again after it).
                db.ChangeTracker.Clear();
                existing = await db.Evidence.AsNoTracking().FirstOrDefaultAsync(e => e.IncidentId == id && e.Sha256 == sha, ct);
                if (existing is not null) return TypedResults.Ok(EvidenceView.Of(existing));
            }
        }
    }

    private const int MaxAttempts = 10;

    /// <summary>
    /// Appends custody entries and saves them; when another writer took the next link first (the unique
    /// incident-and-seq index refuses the save), starts again from the new end of the log.
    /// </summary>
    internal static async Task AppendAndSaveAsync(WhistleDb db, Func<Task> append, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await append();
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    internal static CaptureStamp? ReadCaptureTime(EvidenceStore store, string sha, string mediaType, TimeZoneInfo zone)
    {
        using var original = store.OpenRead(sha);
        return CaptureTime.Read(original, mediaType, zone);
    }

    /// <summary>The image's or video's public copy, location metadata stripped, streamed from the stored original into the store.</summary>
    internal static async Task<string?> PublicCopyAsync(EvidenceStore store, string sha, string mediaType, CancellationToken ct)
    {
        var pipe = new Pipe();
        var writing = Task.Run(async () =>
        {
            try
            {
                await using (var original = store.OpenRead(sha))
                    await MetadataStripper.StripAsync(mediaType, original, pipe.Writer.AsStream(leaveOpen: true), ct);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e) { await pipe.Writer.CompleteAsync(e); }
        }, ct);
        try
        {
            await using var stripped = pipe.Reader.AsStream();
            var (publicSha, _) = await store.SaveAsync(stripped, long.MaxValue, ct);
            return publicSha;
        }
        catch (InvalidDataException)
        {
            // A file that starts like an image but is not well formed: kept as evidence, with no public copy.
            return null;
        }
        finally { await writing; }
    }

    private static async Task<Results<Ok<List<EvidenceView>>, ProblemHttpResult>> ListAsync(Guid id, WhistleDb db, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return NoIncident(id);
        var items = await db.Evidence.AsNoTracking().Where(e => e.IncidentId == id).OrderBy(e => e.Id).ToListAsync(ct);
        return TypedResults.Ok(items.Select(EvidenceView.Of).ToList());
    }

    /// <summary>
    /// How long a "viewed" entry covers the same person's range requests for the same file: a video player asks for
    /// many ranges while it plays and seeks, and they are that one view.
    /// </summary>
    public static readonly TimeSpan ViewCovers = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The original, decrypted as it goes out, with range requests (a video player seeks: the sealed file's chunks
    /// are decrypted from the one the range starts in). Every response that can carry the file's bytes is covered by
    /// a "viewed" custody entry naming who asked: a request without a Range header always makes one; a request with
    /// one, whatever its syntax (case, leading zeros, suffix or several ranges, an unsatisfiable one), makes one unless
    /// the same person viewed the same file less than <see cref="ViewCovers"/> ago. No Last-Modified or ETag.
    /// </summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadAsync(
        Guid id, long eid, HttpContext http, WhistleDb db, EvidenceStore store, CustodyLog custody, ClaimsPrincipal user, TimeProvider time, CancellationToken ct)
    {
        var item = await db.Evidence.AsNoTracking().FirstOrDefaultAsync(e => e.IncidentId == id && e.Id == eid, ct);
        if (item is null) return TypedResults.Problem(statusCode: 404, title: "No such evidence", detail: $"Incident {id} has no evidence item {eid}.");
        if (!store.Exists(item.Sha256)) return Missing(item.Sha256);
        if (Open(store, item.Sha256) is not { } file) return Unreadable(item.Sha256);
        await RecordViewAsync(http, db, custody, id, eid, item.Sha256, Actor(user), time, ct);
        return TypedResults.File(file, item.MediaType, item.FileName, lastModified: null, entityTag: null, enableRangeProcessing: true);
    }

    /// <summary>The public copy, logged as a view of that copy (its hash) under the same rule as the original.</summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadPublicAsync(
        Guid id, long eid, HttpContext http, WhistleDb db, EvidenceStore store, CustodyLog custody, ClaimsPrincipal user, TimeProvider time, CancellationToken ct)
    {
        var item = await db.Evidence.AsNoTracking().FirstOrDefaultAsync(e => e.IncidentId == id && e.Id == eid, ct);
        if (item is null) return TypedResults.Problem(statusCode: 404, title: "No such evidence", detail: $"Incident {id} has no evidence item {eid}.");
        if (item.PublicSha256 is not { } sha)
            return TypedResults.Problem(statusCode: 404, title: "No public copy", detail: "Only JPEG and PNG images and MP4 and QuickTime videos get a public copy with their location metadata removed.");
        if (!store.Exists(sha)) return Missing(sha);
        if (Open(store, sha) is not { } file) return Unreadable(sha);
        await RecordViewAsync(http, db, custody, id, eid, sha, Actor(user), time, ct);
        return TypedResults.File(file, item.MediaType, "public-" + item.FileName, lastModified: null, entityTag: null, enableRangeProcessing: true);
    }

    private static async Task RecordViewAsync(HttpContext http, WhistleDb db, CustodyLog custody, Guid id, long eid, string sha, string actor,
        TimeProvider time, CancellationToken ct)
    {
        var itemId = eid.ToString(CultureInfo.InvariantCulture);
        if (http.Request.Headers.ContainsKey("Range"))
        {
            // Only the newest of this person's views of this file is read; its time is compared here (SQLite cannot compare offsets).
            var last = await db.Custody.AsNoTracking()
                .Where(c => c.IncidentId == id && c.Action == Viewed && c.ObjectType == "evidence" && c.ObjectId == itemId && c.ObjectHash == sha && c.Actor == actor)
                .OrderByDescending(c => c.Seq).Select(c => (DateTimeOffset?)c.At).FirstOrDefaultAsync(ct);
            var now = time.GetUtcNow();
            if (last is { } at && at <= now && now - at < ViewCovers) return;
        }
        await AppendAndSaveAsync(db, () => custody.AppendAsync(id, Viewed, actor, "evidence", itemId, sha, ct), ct);
    }

    /// <summary>The file decrypting as it is read; null when it does not decrypt (changed on disk, or another key ring).</summary>
    private static SealedReadStream? Open(EvidenceStore store, string sha)
    {
        try { return store.OpenRead(sha); }
        catch (System.Security.Cryptography.CryptographicException) { return null; }
    }

    private static ProblemHttpResult Unreadable(string sha) => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "File unreadable",
        detail: $"The file {sha} in the evidence store does not decrypt: it was changed on disk or sealed with another key ring. Verify the incident's custody log.");

    private static ProblemHttpResult Missing(string sha) => TypedResults.Problem(statusCode: 404, title: "File missing",
        detail: $"The file {sha} is missing from the evidence store: verify the incident's custody log.");
}

/// <summary>Bytes already read (the sniffed head), then the rest of the stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_prefix.IsEmpty) return await rest.ReadAsync(buffer, ct);
        int n = Math.Min(buffer.Length, _prefix.Length);
        _prefix[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
