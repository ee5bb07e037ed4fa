using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Whistle.Privacy;

namespace Whistle.Incidents;

/// <summary>
/// An evidence file encrypted at rest: streamed in and out 64 KiB at a time (a 2 GB video never sits in memory),
/// each chunk sealed on its own so a reader can seek (a video player's range requests) and any change — a flipped
/// byte, chunks swapped or reordered, the file cut short at a chunk boundary — is refused.
/// </summary>
/// <remarks>
/// The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over AES-256-GCM:
/// <code>
/// header:  "WHEV" | format 1 | key version | wrapped-key length (u16 BE) | wrapped file key | nonce prefix (8)
/// chunk i: AES-GCM(file key, nonce = prefix ‖ i (u32 BE), associated data = [1 if last else 0], 64 KiB plaintext) ‖ tag (16)
/// </code>
/// Every chunk but the last holds exactly 64 KiB; the last holds 0 to 64 KiB (an empty file is one empty last
/// chunk), so the plaintext length follows from the file length. The per-file random 256-bit key is wrapped by the
/// key ring's current key (<see cref="KeyRing.Encrypt"/>, purpose <see cref="FilePurpose"/>): destroying the ring
/// makes every file unreadable at once, and rotating it leaves old files readable (their header names their version).
/// </remarks>
public static class SealedFile
{
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    public const int NoncePrefixSize = 8;
    public const string FilePurpose = "evidence.file";
    public static ReadOnlySpan<byte> Magic => "WHEV"u8;
    public const byte Format = 1;

    /// <summary>Bytes a sealed file adds to <paramref name="plainLength"/> bytes: its header and one tag per chunk.</summary>
    public static long Overhead(long plainLength, int headerLength) => headerLength + TagSize * Chunks(plainLength);

    private static long Chunks(long plainLength) => Math.Max(1, (plainLength + ChunkSize - 1) / ChunkSize);

    /// <summary>
    /// Reads <paramref name="plain"/> to its end, writing it sealed to <paramref name="sealedOut"/>, and returns the
    /// SHA-256 of the plaintext (hex) and its length. More than <paramref name="maxBytes"/>: <see cref="TooLargeException"/>.
    /// Holds two chunks in memory, whatever the size.
    /// </summary>
    public static async Task<(string Sha256, long Size)> SealAsync(Stream plain, Stream sealedOut, KeyRing keys, long maxBytes, CancellationToken ct)
    {
        var fileKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var wrapped = keys.Encrypt(Convert.ToBase64String(fileKey), FilePurpose);
            var header = new byte[8 + wrapped.Length + NoncePrefixSize];
            Magic.CopyTo(header);
            header[4] = Format;
            header[5] = (byte)keys.CurrentVersion;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), checked((ushort)wrapped.Length));
            wrapped.CopyTo(header, 8);
            RandomNumberGenerator.Fill(header.AsSpan(8 + wrapped.Length, NoncePrefixSize));
            var prefix = header.AsSpan(8 + wrapped.Length, NoncePrefixSize).ToArray();
            await sealedOut.WriteAsync(header, ct);

            using var gcm = new AesGcm(fileKey, TagSize);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var current = new byte[ChunkSize];
            var next = new byte[ChunkSize];
            var output = new byte[ChunkSize + TagSize];
            var nonce = new byte[12];
            prefix.CopyTo(nonce, 0);
            long size = 0;
            uint counter = 0;
            int have = await FillAsync(plain, current, ct);
            while (true)
            {
                size += have;
                if (size > maxBytes) throw new TooLargeException(maxBytes);
                hash.AppendData(current, 0, have);
                // A full chunk is the last only if nothing follows it: look ahead one chunk.
                int following = have == ChunkSize ? await FillAsync(plain, next, ct) : 0;
                bool last = following == 0;
                BinaryPrimitives.WriteUInt32BigEndian(nonce.AsSpan(NoncePrefixSize), counter);
                gcm.Encrypt(nonce, current.AsSpan(0, have), output.AsSpan(0, have), output.AsSpan(have, TagSize), last ? LastFlag : MiddleFlag);
                await sealedOut.WriteAsync(output.AsMemory(0, have + TagSize), ct);
                if (last) break;
                counter = checked(counter + 1);
                (current, next) = (next, current);
                have = following;
            }
            return (CustodyChain.Hex(hash.GetHashAndReset()), size);
        }
        finally { CryptographicOperations.ZeroMemory(fileKey); }
    }

    internal static readonly byte[] LastFlag = [1], MiddleFlag = [0];

    private static async Task<int> FillAsync(Stream s, byte[] buffer, CancellationToken ct) =>
        await s.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);

    /// <summary>Whether the file starts the way a sealed file does (its magic and format).</summary>
    public static bool LooksSealed(ReadOnlySpan<byte> head) => head.Length >= 5 && head.StartsWith(Magic) && head[4] == Format;

    /// <summary>A seekable stream of the plaintext of the sealed file at <paramref name="path"/>; refuses a wrong key at once.</summary>
    public static SealedReadStream OpenRead(string path, KeyRing keys) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess), keys);

    /// <summary>SHA-256 (hex) of the plaintext of a sealed stream, read through once.</summary>
    public static string HashPlain(Stream sealedPlain)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        int n;
        while ((n = sealedPlain.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        return CustodyChain.Hex(hash.GetHashAndReset());
    }
}

/// <summary>
/// Reads a sealed file as its plaintext: seekable (chunk i sits at a computable offset), one chunk decrypted at a
/// time into one buffer. A chunk that does not authenticate — changed, moved, or a last chunk that is not marked
/// last — throws <see cref="CryptographicException"/>; nothing of it is returned.
/// </summary>
public sealed class SealedReadStream : Stream
{
    private readonly Stream _inner;
    private readonly AesGcm _gcm;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _cipher = new byte[SealedFile.ChunkSize + SealedFile.TagSize];
    private readonly byte[] _plain = new byte[SealedFile.ChunkSize];
    private readonly long _headerLength, _chunks, _length;
    private long _position, _loadedChunk = -1;
    private int _loadedLength;

    public SealedReadStream(Stream inner, KeyRing keys)
    {
        _inner = inner;
        try
        {
            var fixedPart = new byte[8];
            inner.ReadExactly(fixedPart);
            if (!SealedFile.LooksSealed(fixedPart)) throw new CryptographicException("Not a sealed evidence file.");
            int wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(6));
            var rest = new byte[wrappedLength + SealedFile.NoncePrefixSize];
            inner.ReadExactly(rest);
            // The header's key version is the wrapped key's own (which its AES-GCM tag covers): a changed one is refused.
            if (wrappedLength == 0 || rest[0] != fixedPart[5]) throw new CryptographicException("The sealed file's header was changed.");
            var fileKey = Convert.FromBase64String(keys.Decrypt(rest[..wrappedLength], SealedFile.FilePurpose));
            try { _gcm = new AesGcm(fileKey, SealedFile.TagSize); }
            finally { CryptographicOperations.ZeroMemory(fileKey); }
            rest.AsSpan(wrappedLength).CopyTo(_nonce);
            _headerLength = 8 + rest.Length;
            long body = inner.Length - _headerLength;
            const long sealedChunk = SealedFile.ChunkSize + SealedFile.TagSize;
            _chunks = Math.Max(1, (body + sealedChunk - 1) / sealedChunk);
            _length = body - _chunks * SealedFile.TagSize;
            long lastSealed = body - (_chunks - 1) * sealedChunk;
            if (_length < 0 || lastSealed < SealedFile.TagSize) throw new CryptographicException("The sealed file is cut short.");
        }
        catch (EndOfStreamException)
        {
            inner.Dispose();
            throw new CryptographicException("The sealed file is cut short.");
        }
        catch
        {
            inner.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    private void Load(long chunk)
    {
        if (chunk == _loadedChunk) return;
        _loadedChunk = -1;
        const long sealedChunk = SealedFile.ChunkSize + SealedFile.TagSize;
        _inner.Position = _headerLength + chunk * sealedChunk;
        bool last = chunk == _chunks - 1;
        int sealedLength = (int)(last ? _inner.Length - _inner.Position : sealedChunk);
        try { _inner.ReadExactly(_cipher, 0, sealedLength); }
        catch (EndOfStreamException) { throw new CryptographicException("The sealed file is cut short."); }
        int plainLength = sealedLength - SealedFile.TagSize;
        BinaryPrimitives.WriteUInt32BigEndian(_nonce.AsSpan(SealedFile.NoncePrefixSize), checked((uint)chunk));
        _gcm.Decrypt(_nonce, _cipher.AsSpan(0, plainLength), _cipher.AsSpan(plainLength, SealedFile.TagSize), _plain.AsSpan(0, plainLength),
            last ? SealedFile.LastFlag : SealedFile.MiddleFlag);
        _loadedChunk = chunk;
        _loadedLength = plainLength;
    }

    public override int Read(Span<byte> buffer)
    {
        if (_position >= _length || buffer.IsEmpty) return 0;
        long chunk = _position / SealedFile.ChunkSize;
        Load(chunk);
        int offset = (int)(_position - chunk * SealedFile.ChunkSize);
        int n = Math.Min(buffer.Length, _loadedLength - offset);
        _plain.AsSpan(offset, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // Chunk reads are from a local file; the decryption is CPU work either way.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gcm.Dispose();
            _inner.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }
        base.Dispose(disposing);
    }
}
