using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Incidents;

namespace Whistle.Submissions;

/// <summary>
/// The last byte of an upload is in: the server hashes what arrived (decrypting the staged bytes as it reads), checks
/// the first bytes against the declared type, and compares the hash with the one the phone computed. Equal: the file
/// is sealed into the evidence store, custody <c>file_received</c> records both hashes, and a submission whose files
/// have all arrived becomes Received. Not equal (or not the declared kind): the staged bytes are discarded, custody
/// <c>file_refused</c> records both hashes, and the upload starts again at 0.
/// </summary>
public static class CompleteUpload
{
    public enum Result { Received, Mismatch, WrongType }

    public static async Task<(Result Outcome, string ServerSha256)> RunAsync(WhistleDb db, UploadStaging staging, EvidenceStore store,
        CustodyLog custody, TimeProvider time, SubmissionFile file, CancellationToken ct)
    {
        string serverSha;
        bool typeOk;
        await using (var plain = staging.OpenRead(file.UploadId, file.Length))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[UploadStaging.RecordSize];
            var head = new byte[MediaTypes.SniffLength];
            int headHave = 0, n;
            while ((n = await plain.ReadAsync(buffer, ct)) > 0)
            {
                if (headHave < head.Length)
                {
                    int take = Math.Min(n, head.Length - headHave);
                    buffer.AsSpan(0, take).CopyTo(head.AsSpan(headHave));
                    headHave += take;
                }
                hash.AppendData(buffer, 0, n);
            }
            serverSha = CustodyChain.Hex(hash.GetHashAndReset());
            typeOk = TusProtocol.IsPublicMediaType(file.MediaType) && MediaTypes.Matches(file.MediaType, head.AsSpan(0, headHave));
        }
        if (!typeOk || serverSha != file.ClientSha256)
        {
            staging.Delete(file.UploadId);
            await TusApi.RefuseAsync(db, custody, file, "file_refused", serverSha, ct);
            return (typeOk ? Result.Mismatch : Result.WrongType, serverSha);
        }

        await using (var plain = staging.OpenRead(file.UploadId, file.Length))
        {
            var (stored, _) = await store.SaveAsync(plain, file.Length, ct);
            // The bytes were read twice from a file only this request holds: a difference means the disk changed under us.
            if (stored != serverSha) throw new CryptographicException("The staged upload changed while it was being stored.");
        }

        var fields = JsonSerializer.Serialize(new Dictionary<string, string> { ["clientSha256"] = file.ClientSha256, ["serverSha256"] = serverSha });
        var now = time.GetUtcNow();
        // Two files of one submission may finish at once: the custody chain's unique (chain, seq) refuses the second
        // writer's link, which is then written again after the first.
        for (int attempt = 0; ; attempt++)
        {
            file.Sha256 = serverSha;
            file.CompletedAt = now;
            await custody.AppendAsync(file.SubmissionId, "file_received", "submitter",
                new RecordForm("submission_file", file.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), serverSha, fields, ""), ct);
            var submission = await db.Submissions.FirstAsync(s => s.Id == file.SubmissionId, ct);
            var others = await db.SubmissionFiles.AsNoTracking().Where(f => f.SubmissionId == file.SubmissionId && f.Id != file.Id)
                .Select(f => f.Sha256).ToListAsync(ct);
            if (submission.State == SubmissionState.Uploading && others.All(s => s != null))
            {
                submission.State = SubmissionState.Received;
                submission.CompletedAt = now;
            }
            try
            {
                await db.SaveChangesAsync(ct);
                break;
            }
            catch (DbUpdateException) when (attempt < 4)
            {
                foreach (var entry in db.ChangeTracker.Entries<CustodyEntry>().Where(e => e.State == EntityState.Added).ToList()) entry.State = EntityState.Detached;
                await db.Entry(submission).ReloadAsync(ct);
            }
        }
        staging.Delete(file.UploadId);
        return (Result.Received, serverSha);
    }
}
