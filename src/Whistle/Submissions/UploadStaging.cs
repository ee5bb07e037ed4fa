using System.Buffers.Binary;
using System.Security.Cryptography;
using Whistle.Privacy;

namespace Whistle.Submissions;

/// <summary>
/// Where a tus upload's bytes wait until the last one is in: one file per upload under &lt;data dir&gt;/uploads/ (0700,
/// files 0600), encrypted as the bytes arrive, so a server seized mid-upload yields no plaintext of a partial video.
/// </summary>
/// <remarks>
/// Append-friendly, unlike <see cref="Incidents.SealedFile"/> (whose chunks are fixed): a PATCH ends wherever the
/// phone's connection did, so each write is its own record.
/// <code>
/// header:   "WHUP" | format 1 | key version | wrapped-key length (u16 BE) | wrapped upload key
/// record:   plaintext length (u32 BE) | nonce (12, random) | AES-256-GCM(upload key, associated data = plaintext offset u64 BE) | tag (16)
/// </code>
/// A record's associated data is where its bytes sit in the file: records cannot be reordered, dropped or replayed
/// without the read failing. The database's Offset is the truth: after a crash between a write and its commit,
/// <see cref="Session.TruncateTo"/> cuts the records back to it.
/// </remarks>
public sealed class UploadStaging(string root, Func<KeyRing> keys)
{
    public const string KeyPurpose = "upload.staging";
    /// <summary>The most plaintext one record holds (a PATCH body is cut into records of this size as it streams).</summary>
    public const int RecordSize = 64 * 1024;
    private const int RecordHeader = 4 + 12;
    private const int TagSize = 16;
    private static ReadOnlySpan<byte> Magic => "WHUP"u8;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string Root { get; } = root;

    /// <summary>The staging file of an upload. The id is checked to be the 26 lower-case base32 characters ids are made of.</summary>
    public string PathOf(string uploadId) =>
        TusProtocol.IsUploadId(uploadId) ? Path.Combine(Root, uploadId) : throw new ArgumentException("Not an upload id.", nameof(uploadId));

    public bool Exists(string uploadId) => File.Exists(PathOf(uploadId));

    public void Delete(string uploadId)
    {
        var path = PathOf(uploadId);
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>Every upload id with a staging file, and when it was last written.</summary>
    public IEnumerable<(string UploadId, DateTimeOffset LastWrite)> All() =>
        !Directory.Exists(Root) ? []
        : Directory.EnumerateFiles(Root).Select(p => (Id: Path.GetFileName(p), Path: p)).Where(f => TusProtocol.IsUploadId(f.Id))
            .Select(f => (f.Id, new DateTimeOffset(File.GetLastWriteTimeUtc(f.Path), TimeSpan.Zero)));

    /// <summary>
    /// Opens (creating when needed) the upload's staging file for writing, exclusively: a second writer of the same upload
    /// — another request, another process — gets null (the caller answers 409).
    /// </summary>
    public Session? OpenWrite(string uploadId)
    {
        EnsureRoot();
        var path = PathOf(uploadId);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        FileStream file;
        try { file = new FileStream(path, options); }
        catch (IOException) { return null; }
        try
        {
            var ring = keys();
            if (file.Length == 0)
            {
                var key = RandomNumberGenerator.GetBytes(32);
                var wrapped = ring.Encrypt(Convert.ToBase64String(key), KeyPurpose);
                var header = new byte[8 + wrapped.Length];
                Magic.CopyTo(header);
                header[4] = 1;
                header[5] = (byte)ring.CurrentVersion;
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), checked((ushort)wrapped.Length));
                wrapped.CopyTo(header, 8);
                file.Write(header);
                file.Flush(flushToDisk: true);
                return new Session(file, key, header.Length);
            }
            var (fileKey, headerLength) = ReadHeader(file, ring);
            return new Session(file, fileKey, headerLength);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The plaintext of the first <paramref name="length"/> staged bytes, decrypted as it is read (for the server's hash and the store).</summary>
    public Stream OpenRead(string uploadId, long length)
    {
        var file = new FileStream(PathOf(uploadId), FileMode.Open, FileAccess.Read, FileShare.Read, 0);
        try
        {
            var (key, headerLength) = ReadHeader(file, keys());
            return new PlainStream(file, key, headerLength, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void EnsureRoot()
    {
        if (Directory.Exists(Root)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(Root);
        else Directory.CreateDirectory(Root, DirectoryMode);
    }

    private static (byte[] Key, int HeaderLength) ReadHeader(Stream file, KeyRing ring)
    {
        file.Position = 0;
        var fixedPart = new byte[8];
        file.ReadExactly(fixedPart);
        if (!fixedPart.AsSpan(0, 4).SequenceEqual(Magic) || fixedPart[4] != 1) throw new CryptographicException("Not a staging file.");
        int wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(6));
        var wrapped = new byte[wrappedLength];
        file.ReadExactly(wrapped);
        return (Convert.FromBase64String(ring.Decrypt(wrapped, KeyPurpose)), 8 + wrappedLength);
    }

    /// <summary>One writer's hold on a staging file: append records, cut back to an offset, and let go.</summary>
    public sealed class Session : IDisposable
    {
        private readonly FileStream _file;
        private readonly AesGcm _gcm;
        private readonly int _headerLength;
        private readonly byte[] _record = new byte[RecordHeader + RecordSize + TagSize];
        private readonly byte[] _ad = new byte[8];

        internal Session(FileStream file, byte[] key, int headerLength)
        {
            _file = file;
            _gcm = new AesGcm(key, TagSize);
            CryptographicOperations.ZeroMemory(key);
            _headerLength = headerLength;
        }

        /// <summary>
        /// Cuts the file back to exactly <paramref name="offset"/> plaintext bytes (the committed offset); false when the
        /// file holds fewer (then the staged bytes are lost and the caller starts again at 0).
        /// </summary>
        public bool TruncateTo(long offset)
        {
            long position = _headerLength, plain = 0;
            var lengthBytes = new byte[4];
            while (plain < offset)
            {
                if (position + 4 > _file.Length) return false;
                _file.Position = position;
                _file.ReadExactly(lengthBytes);
                long n = BinaryPrimitives.ReadUInt32BigEndian(lengthBytes);
                if (n == 0 || n > RecordSize || plain + n > offset) return false;
                position += RecordHeader + n + TagSize;
                plain += n;
            }
            if (position > _file.Length) return false;
            _file.SetLength(position);
            _file.Position = position;
            return true;
        }

        /// <summary>Starts the file again, empty (header kept).</summary>
        public void Reset()
        {
            _file.SetLength(_headerLength);
            _file.Position = _headerLength;
        }

        /// <summary>Where the next record goes (to cut back to, when a chunk is refused).</summary>
        public long Mark => _file.Position;

        public void CutBackTo(long mark)
        {
            _file.SetLength(mark);
            _file.Position = mark;
        }

        /// <summary>Encrypts and appends <paramref name="plain"/> (at most <see cref="RecordSize"/> bytes) as the bytes at <paramref name="offset"/>.</summary>
        public async Task AppendAsync(ReadOnlyMemory<byte> plain, long offset, CancellationToken ct)
        {
            int n = plain.Length;
            if (n == 0) return;
            if (n > RecordSize) throw new ArgumentOutOfRangeException(nameof(plain));
            BinaryPrimitives.WriteUInt32BigEndian(_record, (uint)n);
            RandomNumberGenerator.Fill(_record.AsSpan(4, 12));
            BinaryPrimitives.WriteInt64BigEndian(_ad, offset);
            _gcm.Encrypt(_record.AsSpan(4, 12), plain.Span, _record.AsSpan(RecordHeader, n), _record.AsSpan(RecordHeader + n, TagSize), _ad);
            await _file.WriteAsync(_record.AsMemory(0, RecordHeader + n + TagSize), ct);
        }

        public void Flush() => _file.Flush(flushToDisk: true);

        public void Dispose()
        {
            _gcm.Dispose();
            _file.Dispose();
        }
    }

    /// <summary>The staged plaintext, record by record; a record that does not authenticate throws.</summary>
    private sealed class PlainStream : Stream
    {
        private readonly FileStream _file;
        private readonly AesGcm _gcm;
        private readonly long _length;
        private readonly byte[] _cipher = new byte[RecordSize + TagSize];
        private readonly byte[] _plain = new byte[RecordSize];
        private readonly byte[] _head = new byte[RecordHeader];
        private readonly byte[] _ad = new byte[8];
        private long _position;
        private int _have, _used;

        public PlainStream(FileStream file, byte[] key, int headerLength, long length)
        {
            _file = file;
            _gcm = new AesGcm(key, TagSize);
            CryptographicOperations.ZeroMemory(key);
            _file.Position = headerLength;
            _length = length;
        }

        public override int Read(Span<byte> buffer)
        {
            if (_used == _have)
            {
                if (_position >= _length) return 0;
                try { _file.ReadExactly(_head); }
                catch (EndOfStreamException) { throw new CryptographicException("The staged upload is cut short."); }
                int n = (int)BinaryPrimitives.ReadUInt32BigEndian(_head);
                if (n == 0 || n > RecordSize) throw new CryptographicException("The staged upload was changed.");
                try { _file.ReadExactly(_cipher, 0, n + TagSize); }
                catch (EndOfStreamException) { throw new CryptographicException("The staged upload is cut short."); }
                BinaryPrimitives.WriteInt64BigEndian(_ad, _position);
                _gcm.Decrypt(_head.AsSpan(4, 12), _cipher.AsSpan(0, n), _cipher.AsSpan(n, TagSize), _plain.AsSpan(0, n), _ad);
                _have = (int)Math.Min(n, _length - _position);
                _used = 0;
            }
            int take = Math.Min(buffer.Length, _have - _used);
            _plain.AsSpan(_used, take).CopyTo(buffer);
            _used += take;
            _position += take;
            return take;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            ct.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _gcm.Dispose();
                _file.Dispose();
                CryptographicOperations.ZeroMemory(_plain);
            }
            base.Dispose(disposing);
        }
    }
}
