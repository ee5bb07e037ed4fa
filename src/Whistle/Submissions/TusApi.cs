using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Platform;
using Whistle.Privacy;

namespace Whistle.Submissions;

/// <summary>
/// The tus 1.0 server bystanders' files arrive through (core + creation + termination + checksum sha256), at
/// /api/v1/uploads. No login: creation needs the submission's upload secret; after it, the upload id in the URL
/// (130 random bits) is the capability. Bytes are staged encrypted (<see cref="UploadStaging"/>) and, when the last one
/// is in, hashed by the server, compared with the phone's hash and sealed into the evidence store (<see cref="CompleteUpload"/>).
/// </summary>
public static class TusApi
{
    public const string RateLimit = "uploads";
    public const string OffsetStream = "application/offset+octet-stream";

    public static WebApplicationBuilder AddUploads(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new UploadStaging(Path.Combine(sp.GetRequiredService<IOptions<WhistleOptions>>().Value.DataPath, "uploads"),
            () => sp.GetRequiredService<KeyRing>()));
        builder.Services.AddSingleton<UploadBudget>();
        builder.Services.AddSingleton<StorageFloor>();
        builder.Services.AddSingleton<UploadExpiry>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UploadExpiry>());
        builder.Services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage");
        builder.Services.Configure<RateLimiterOptions>(o => o.AddPolicy(RateLimit, ctx =>
        {
            var permits = ctx.RequestServices.GetRequiredService<IOptions<WhistleOptions>>().Value.Submissions.UploadRequestsPerMinute;
            return Cluster.SharedWindowLimiter.Partition(ctx.RequestServices, RateLimit, ClientSource.Prefix(ctx), permits, TimeSpan.FromMinutes(1));
        }));
        return builder;
    }

    public static RouteGroupBuilder MapUploads(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/uploads").WithTags("Uploads").AllowAnonymous().RequireRateLimiting(RateLimit)
            .AddEndpointFilter(TusHeaders);
        group.MapMethods("", [HttpMethods.Options], Discover);
        group.MapPost("", Create);
        group.MapMethods("/{uploadId}", [HttpMethods.Head], Head);
        group.MapPatch("/{uploadId}", Patch);
        group.MapDelete("/{uploadId}", Terminate);
        return group;
    }

    /// <summary>Tus-Resumable on every answer; every request but OPTIONS must speak 1.0.0 (412 and the versions we do otherwise).</summary>
    private static async ValueTask<object?> TusHeaders(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        http.Response.Headers["Tus-Resumable"] = TusProtocol.Version;
        http.Response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsOptions(http.Request.Method) && http.Request.Headers["Tus-Resumable"] != TusProtocol.Version)
        {
            http.Response.Headers["Tus-Version"] = TusProtocol.Version;
            return TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "Unsupported upload protocol",
                detail: "This server speaks tus 1.0.0: send Tus-Resumable: 1.0.0.");
        }
        return await next(ctx);
    }

    private static IResult Discover(HttpContext http, IOptions<WhistleOptions> options)
    {
        var h = http.Response.Headers;
        h["Tus-Version"] = TusProtocol.Version;
        h["Tus-Extension"] = TusProtocol.Extensions;
        h["Tus-Checksum-Algorithm"] = TusProtocol.ChecksumAlgorithms;
        h["Tus-Max-Size"] = options.Value.Submissions.MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.NoContent();
    }

    private static IResult NoSuchUpload() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such upload",
            detail: "There is no upload here. Start again from the page you were sending from.");

    private static IResult Bad(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The upload request is not valid", detail: detail);

    // A hash to compare against when the submission does not exist, so a wrong id and a wrong secret take the same work.
    private static readonly byte[] Nothing = new byte[32];

    private static async Task<IResult> Create(HttpContext http, WhistleDb db, KeyRing keys, IOptions<WhistleOptions> options,
        StorageFloor floor, UploadBudget budget, CancellationToken ct)
    {
        var o = options.Value.Submissions;
        if (http.Request.Headers.ContainsKey("Upload-Defer-Length")) return Bad("Upload-Defer-Length is not supported: send Upload-Length.");
        if (TusProtocol.ParseLength(http.Request.Headers["Upload-Length"]) is not { } length) return Bad("Upload-Length must be the file's size in bytes.");
        if (length > o.MaxFileBytes)
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The file is too large",
                detail: $"A file may be at most {o.MaxFileBytes / (1024 * 1024)} MB.");
        if (TusProtocol.ParseMetadata(http.Request.Headers["Upload-Metadata"]) is not { } meta)
            return Bad("Upload-Metadata is not valid: comma-separated keys, each with a base64 value.");
        if (!Guid.TryParse(meta.GetValueOrDefault("submission"), out var submissionId)
            || !long.TryParse(meta.GetValueOrDefault("file"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var fileId)
            || meta.GetValueOrDefault("secret") is not { Length: > 0 and <= 128 } secret)
            return Bad("Upload-Metadata must name the submission, its file and the upload secret.");

        var file = await db.SubmissionFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Id == fileId && f.SubmissionId == submissionId, ct);
        var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId, ct);
        var given = keys.Hash("submission.secret:" + secret);
        bool secretOk = CryptographicOperations.FixedTimeEquals(given, submission?.UploadSecretHash is { Length: 32 } h ? h : Nothing);
        // Unknown submission, file of another submission, wrong secret: one answer, so none can be told apart.
        if (file is null || !secretOk) return NoSuchUpload();
        if (length != file.Length)
            return Bad("Upload-Length must be the size declared for this file.");
        if (!TusProtocol.IsPublicMediaType(file.MediaType))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Not a photo, video or sound recording",
                detail: "Only photos, videos and sound recordings can be sent.");
        if (file.Sha256 is null)
        {
            if (submission!.State != SubmissionState.Uploading) return NoSuchUpload();
            if (await floor.RefusesAsync(db, ct)) return floor.Problem();
            if (await budget.RetryAfterAsync(budget.SourceOf(http, keys), o, ct) is { } wait) return UploadBudget.Problem(http, wait);
        }
        http.Response.Headers.Location = $"/api/v1/uploads/{file.UploadId}";
        return TypedResults.Created($"/api/v1/uploads/{file.UploadId}");
    }

    private static async Task<IResult> Head(string uploadId, HttpContext http, WhistleDb db, CancellationToken ct)
    {
        if (!TusProtocol.IsUploadId(uploadId)) return TypedResults.NotFound();
        var file = await db.SubmissionFiles.AsNoTracking().FirstOrDefaultAsync(f => f.UploadId == uploadId, ct);
        if (file is null) return TypedResults.NotFound();
        http.Response.Headers["Upload-Offset"] = file.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["Upload-Length"] = file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok();
    }

    private static async Task<IResult> Patch(string uploadId, HttpContext http, WhistleDb db, KeyRing keys, UploadStaging staging,
        EvidenceStore store, CustodyLog custody, TimeProvider time, IOptions<WhistleOptions> options, StorageFloor floor, UploadBudget budget,
        ILogger<UploadStaging> log, CancellationToken ct)
    {
        var o = options.Value.Submissions;
        if (!string.Equals(MediaTypes.Normalize(http.Request.ContentType), OffsetStream, StringComparison.Ordinal))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Wrong content type",
                detail: $"Upload bytes are sent as {OffsetStream}.");
        if (TusProtocol.ParseLength(http.Request.Headers["Upload-Offset"]) is not { } offset) return Bad("Upload-Offset must be a number of bytes.");
        var (checksumKind, digest) = TusProtocol.ParseChecksum(http.Request.Headers["Upload-Checksum"]);
        if (checksumKind is TusProtocol.Checksum.Unsupported or TusProtocol.Checksum.Malformed)
            return Bad("Upload-Checksum must be \"sha256\" and a base64 SHA-256 digest.");
        if (!TusProtocol.IsUploadId(uploadId)) return NoSuchUpload();
        var file = await db.SubmissionFiles.FirstOrDefaultAsync(f => f.UploadId == uploadId, ct);
        if (file is null) return NoSuchUpload();
        var state = await db.Submissions.Where(s => s.Id == file.SubmissionId).Select(s => s.State).FirstOrDefaultAsync(ct);
        if (file.Sha256 is not null || state != SubmissionState.Uploading)
        {
            if (offset != file.Offset) return OffsetConflict(file.Offset, http);
            if (http.Request.ContentLength is > 0) return BeyondLength();
            http.Response.Headers["Upload-Offset"] = file.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.NoContent();
        }
        if (offset != file.Offset) return OffsetConflict(file.Offset, http);
        if (http.Request.ContentLength is { } declaredBody && declaredBody > file.Length - file.Offset) return BeyondLength();
        var source = budget.SourceOf(http, keys);
        if (await budget.RetryAfterAsync(source, o, ct) is { } wait) return UploadBudget.Problem(http, wait);
        if (await floor.RefusesAsync(db, ct)) return floor.Problem();

        using var session = staging.OpenWrite(uploadId);
        // Another request is writing this upload: one wins, the other is told to ask where it stands (HEAD).
        if (session is null) return OffsetConflict(file.Offset, http);
        await db.Entry(file).ReloadAsync(ct);
        if (file.Sha256 is not null || offset != file.Offset) return OffsetConflict(file.Offset, http);
        if (!session.TruncateTo(file.Offset))
        {
            // The staged bytes do not reach the committed offset (a crash, a disk restored from backup): start again.
            session.Reset();
            await db.SubmissionFiles.Where(f => f.Id == file.Id).ExecuteUpdateAsync(u => u.SetProperty(f => f.Offset, 0L), ct);
            return OffsetConflict(0, http);
        }

        long remaining = file.Length - file.Offset;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } max) max.MaxRequestBodySize = remaining;
        // Phones on a weak signal send slowly; a connection that sends nothing for long is still cut.
        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = new MinDataRate(64, TimeSpan.FromSeconds(30));

        int sniff = (int)Math.Min(MediaTypes.SniffLength, file.Length);
        byte[]? head = null;
        int headHave = 0;
        if (file.Offset < sniff)
        {
            head = new byte[sniff];
            if (file.Offset > 0)
            {
                await using var staged = staging.OpenRead(uploadId, file.Offset);
                headHave = await staged.ReadAtLeastAsync(head.AsMemory(0, (int)file.Offset), (int)file.Offset, false, ct);
            }
        }

        using var chunkHash = digest is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[UploadStaging.RecordSize];
        long written = 0;
        bool aborted = false, tooLong = false, refusedType = false;
        var body = http.Request.Body;
        try
        {
            while (true)
            {
                int n = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, http.RequestAborted);
                if (n == 0) break;
                if (written + n > remaining) { tooLong = true; break; }
                if (head is not null && headHave < sniff)
                {
                    int take = Math.Min(n, sniff - headHave);
                    buffer.AsSpan(0, take).CopyTo(head.AsSpan(headHave));
                    headHave += take;
                    if (headHave == sniff && !MediaTypes.Matches(file.MediaType, head)) { refusedType = true; break; }
                }
                chunkHash?.AppendData(buffer, 0, n);
                await session.AppendAsync(buffer.AsMemory(0, n), file.Offset + written, CancellationToken.None);
                written += n;
                if (n < buffer.Length) break;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // The phone lost its connection mid-chunk: what arrived is kept (tus resumes from it) unless a checksum was
            // asked for, which cannot be checked over part of a chunk.
            aborted = true;
            if (ex is Microsoft.AspNetCore.Http.BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }) tooLong = true;
        }

        var ctSave = CancellationToken.None;
        if (refusedType)
        {
            session.Reset();
            await RefuseAsync(db, custody, file, "file_refused", null, ctSave);
            log.LogWarning("Upload refused: its first bytes are not a {Type}", file.MediaType);
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Not a photo, video or sound recording",
                detail: "This file is not the photo, video or sound recording it says it is.");
        }
        if (tooLong)
        {
            session.TruncateTo(file.Offset);
            return BeyondLength();
        }
        if (chunkHash is not null)
        {
            if (aborted) { session.TruncateTo(file.Offset); return TypedResults.Problem(statusCode: 400, title: "The upload request is not valid", detail: "The chunk did not arrive whole."); }
            if (!CryptographicOperations.FixedTimeEquals(chunkHash.GetHashAndReset(), digest))
            {
                session.TruncateTo(file.Offset);
                return TypedResults.Problem(statusCode: TusProtocol.ChecksumMismatch, title: "The chunk was damaged on the way",
                    detail: "The chunk's checksum does not match its bytes; it was not kept. Send it again.");
            }
        }
        session.Flush();
        long newOffset = file.Offset + written;
        if (written > 0)
        {
            int updated = await db.SubmissionFiles.Where(f => f.Id == file.Id && f.Offset == file.Offset)
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Offset, newOffset), ctSave);
            if (updated == 0) return OffsetConflict(file.Offset, http);
            await budget.AddAsync(source, written);
            file.Offset = newOffset;
            db.Entry(file).Property(f => f.Offset).IsModified = false;
            File.SetLastWriteTimeUtc(staging.PathOf(uploadId), time.GetUtcNow().UtcDateTime);
        }
        if (aborted) return TypedResults.Empty;
        http.Response.Headers["Upload-Offset"] = newOffset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (newOffset < file.Length) return TypedResults.NoContent();

        session.Dispose();
        var done = await CompleteUpload.RunAsync(db, staging, store, custody, time, file, ctSave);
        if (done.Outcome == CompleteUpload.Result.WrongType)
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Not a photo, video or sound recording",
                detail: "This file is not the photo, video or sound recording it says it is.");
        if (done.Outcome == CompleteUpload.Result.Mismatch)
            return TypedResults.Problem(statusCode: TusProtocol.ChecksumMismatch, title: "The file arrived changed",
                detail: "The file that arrived does not match the fingerprint your phone made of it, so it was not kept. Send it again.",
                extensions: new Dictionary<string, object?> { ["clientSha256"] = file.ClientSha256, ["serverSha256"] = done.ServerSha256 });
        http.Response.Headers["Upload-Offset"] = file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.NoContent();
    }

    internal static async Task RefuseAsync(WhistleDb db, CustodyLog custody, SubmissionFile file, string action, string? serverSha, CancellationToken ct)
    {
        await db.SubmissionFiles.Where(f => f.Id == file.Id).ExecuteUpdateAsync(u => u.SetProperty(f => f.Offset, 0L), ct);
        file.Offset = 0;
        db.Entry(file).Property(f => f.Offset).IsModified = false;
        var fields = JsonSerializer.Serialize(new Dictionary<string, string?> { ["clientSha256"] = file.ClientSha256, ["serverSha256"] = serverSha });
        await custody.AppendAsync(file.SubmissionId, action, "submitter",
            new RecordForm("submission_file", file.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), serverSha ?? "", fields, ""), ct);
        await db.SaveChangesAsync(ct);
    }

    private static IResult OffsetConflict(long offset, HttpContext http)
    {
        http.Response.Headers["Upload-Offset"] = offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The upload is elsewhere",
            detail: "The upload is not at that offset. Ask where it stands (HEAD) and go on from there.");
    }

    private static IResult BeyondLength() =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "More bytes than the file has",
            detail: "The chunk goes past the file's declared length; it was not kept.");

    private static async Task<IResult> Terminate(string uploadId, HttpContext http, WhistleDb db, UploadStaging staging, TimeProvider time, CancellationToken ct)
    {
        if (!TusProtocol.IsUploadId(uploadId)) return NoSuchUpload();
        var file = await db.SubmissionFiles.FirstOrDefaultAsync(f => f.UploadId == uploadId, ct);
        if (file is null) return NoSuchUpload();
        // What has arrived is evidence: the upload URL cannot withdraw it.
        if (file.Sha256 is not null)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "The file has arrived",
                detail: "A file that has arrived cannot be withdrawn.");
        using (var session = staging.OpenWrite(uploadId))
        {
            if (session is null) return OffsetConflict(file.Offset, http);
        }
        staging.Delete(uploadId);
        await UploadExpiry.DropAsync(db, [file], time.GetUtcNow(), ct);
        return TypedResults.NoContent();
    }
}
