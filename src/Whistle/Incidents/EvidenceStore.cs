using System.Security.Cryptography;
using Whistle.Privacy;

namespace Whistle.Incidents;

public sealed class TooLargeException(long limit) : Exception($"The file is larger than the limit of {limit / (1024 * 1024)} MB.")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Evidence files, encrypted at rest (<see cref="SealedFile"/>), under &lt;data dir&gt;/evidence/ab/cd/&lt;name&gt;. A file is
/// known by the SHA-256 of its plaintext (the custody hash, what an export's SHA256SUMS lists), but its name on disk is a
/// keyed hash of that SHA-256: whoever holds the disk and a known video cannot confirm the network has it from the paths.
/// Written once by streaming (hashing and sealing as it goes, never holding the file in memory), then read-only (0400,
/// directories 0700); the same content is stored once.
/// </summary>
public sealed class EvidenceStore(string root, Func<KeyRing> keys)
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string Root { get; } = root;

    /// <summary>Where the file whose plaintext hashes to <paramref name="sha256"/> is kept: named by the key ring's keyed hash.</summary>
    public string PathOf(string sha256)
    {
        var name = CustodyChain.Hex(keys().Hash("evidence.file-name:" + sha256));
        return Path.Combine(Root, name[..2], name[2..4], name);
    }

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    private void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else
        {
            // Each level made 0700 (CreateDirectory's mode applies only to the levels it makes).
            var root = Path.GetFullPath(Root);
            if (!Directory.Exists(root)) Directory.CreateDirectory(root, DirectoryMode);
            var full = Path.GetFullPath(path);
            var current = root;
            foreach (var part in Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == ".") continue;
                current = Path.Combine(current, part);
                if (!Directory.Exists(current)) Directory.CreateDirectory(current, DirectoryMode);
            }
        }
    }

    /// <summary>Streams <paramref name="content"/> into the store, sealed; refuses more than <paramref name="maxBytes"/> (nothing is kept then).</summary>
    public async Task<(string Sha256, long Size)> SaveAsync(Stream content, long maxBytes, CancellationToken ct) =>
        await SaveAsync(content, maxBytes, null, ct);

    private async Task<(string Sha256, long Size)> SaveAsync(Stream content, long maxBytes, string? storeAs, CancellationToken ct)
    {
        var ring = keys();
        CreateDirectory(Root);
        var temp = Path.Combine(Root, $".upload-{Guid.NewGuid():N}");
        string sha;
        long size;
        try
        {
            var create = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16, Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(temp, create))
            {
                (sha, size) = await SealedFile.SealAsync(content, file, ring, maxBytes, ct);
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }
            var target = PathOf(storeAs ?? sha);
            if (File.Exists(target)) File.Delete(temp);
            else
            {
                CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(temp, target);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead);
            }
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
        return (sha, size);
    }

    /// <summary>The plaintext, decrypted as it is read; seekable (range requests). Throws when the file does not decrypt.</summary>
    public SealedReadStream OpenRead(string sha256) => SealedFile.OpenRead(PathOf(sha256), keys());

    /// <summary>
    /// The SHA-256 of the file's plaintext as it is now (null when missing), for verification: decrypted and hashed.
    /// A file that no longer decrypts (changed, cut short, another key) answers a text that matches no hash.
    /// </summary>
    public string? HashOnDisk(string sha256)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path)) return null;
        try
        {
            using var s = SealedFile.OpenRead(path, keys());
            return SealedFile.HashPlain(s);
        }
        catch (CryptographicException) { return "unreadable (it does not decrypt: changed or cut short)"; }
    }

    /// <summary>
    /// Seals a store written before evidence was encrypted: every plain file (named by its SHA-256, not starting
    /// like a sealed file) is encrypted under its keyed name and the plain one removed. Run at start-up; safe to run
    /// again (a sealed file is left alone; a crash between the two steps leaves both, and the next run finishes).
    /// Returns how many files it sealed.
    /// </summary>
    public async Task<int> SealPlainFilesAsync(CancellationToken ct)
    {
        if (!Directory.Exists(Root)) return 0;
        // After `keys destroy` nothing can be sealed or opened: start for the public pages and leave the files be.
        try { keys().Hash("evidence.probe"); }
        catch (InvalidOperationException) { return 0; }
        int sealedCount = 0;
        var head = new byte[8];
        foreach (var path in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).ToList())
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith('.'))
            {
                // An upload cut off by a crash.
                File.Delete(path);
                continue;
            }
            if (name.Length != 64 || !name.All(Uri.IsHexDigit)) continue;
            int got;
            await using (var probe = File.OpenRead(path)) got = await probe.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
            if (SealedFile.LooksSealed(head.AsSpan(0, got)) && IsSealed(path)) continue;
            if (PathOf(name) == path) continue;
            await using (var plain = File.OpenRead(path))
                await SaveAsync(plain, long.MaxValue, storeAs: name, ct);
            File.SetAttributes(path, FileAttributes.Normal);
            File.Delete(path);
            sealedCount++;
        }
        // The plain files' folders were named by their hashes' first digits: the empty ones go.
        foreach (var dir in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).ToList())
            if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        if (!OperatingSystem.IsWindows())
            foreach (var dir in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories).Prepend(Root))
                File.SetUnixFileMode(dir, DirectoryMode);
        return sealedCount;
    }

    private bool IsSealed(string path)
    {
        try
        {
            using var _ = SealedFile.OpenRead(path, keys());
            return true;
        }
        catch (CryptographicException) { return false; }
        catch (FormatException) { return false; }
    }
}
