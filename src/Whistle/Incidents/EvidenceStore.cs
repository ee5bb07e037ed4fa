using System.Security.Cryptography;

namespace Whistle.Incidents;

public sealed class TooLargeException(long limit) : Exception($"The file is larger than the limit of {limit / (1024 * 1024)} MB.")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Files named by their SHA-256 under &lt;data dir&gt;/evidence/ab/cd/abcd…: written once by streaming (hashing as it
/// goes, never holding the file in memory), then made read-only; the same content is stored once.
/// </summary>
public sealed class EvidenceStore(string root)
{
    public string Root { get; } = root;

    public string PathOf(string sha256) => Path.Combine(Root, sha256[..2], sha256[2..4], sha256);

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Streams <paramref name="content"/> into the store; refuses more than <paramref name="maxBytes"/> (nothing is kept then).</summary>
    public async Task<(string Sha256, long Size)> SaveAsync(Stream content, long maxBytes, CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, $".upload-{Guid.NewGuid():N}");
        long size = 0;
        string sha;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += n;
                    if (size > maxBytes) throw new TooLargeException(maxBytes);
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }
            sha = CustodyChain.Hex(hash.GetHashAndReset());
            var target = PathOf(sha);
            if (File.Exists(target)) File.Delete(temp);
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(temp, target);
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead);
            }
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
        return (sha, size);
    }

    public Stream OpenRead(string sha256) =>
        new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>The file's SHA-256 as it is now (null when missing), for verification.</summary>
    public string? HashOnDisk(string sha256)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path)) return null;
        using var s = File.OpenRead(path);
        return CustodyChain.Hex(SHA256.HashData(s));
    }
}
