using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Whistle.Incidents;
using Whistle.Privacy;
using Whistle.Tests.Api;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 13 §1: evidence files encrypted at rest. The sealed format round-trips at every chunk edge, refuses any
/// change (a flipped byte, chunks swapped, reordered or cut off, another key ring), and seeks.
/// </summary>
public sealed class SealedFileTests
{
    private static readonly KeyRing Keys = KeyRing.CreateNew();
    private const int K = SealedFile.ChunkSize;

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<(byte[] Sealed, string Sha, long Size)> SealAsync(byte[] plain, KeyRing? keys = null)
    {
        var output = new MemoryStream();
        var (sha, size) = await SealedFile.SealAsync(new MemoryStream(plain), output, keys ?? Keys, long.MaxValue, default);
        return (output.ToArray(), sha, size);
    }

    private static byte[] Open(byte[] sealedBytes, KeyRing? keys = null)
    {
        using var s = new SealedReadStream(new MemoryStream(sealedBytes), keys ?? Keys);
        var back = new MemoryStream();
        s.CopyTo(back);
        Assert.Equal(back.Length, s.Length);
        return back.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(K - 1)]
    [InlineData(K)]
    [InlineData(K + 1)]
    [InlineData(2 * K)]
    [InlineData(5 * 1024 * 1024 + 123)]
    public async Task Round_trips_at_every_chunk_edge_the_hash_is_the_plaintexts_and_the_plaintext_is_not_in_the_file(int length)
    {
        var plain = Random(length, length);
        var (sealedBytes, sha, size) = await SealAsync(plain);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(plain)), sha);
        Assert.Equal(length, size);
        Assert.Equal(plain, Open(sealedBytes));
        Assert.True(SealedFile.LooksSealed(sealedBytes));
        if (length >= 32) Assert.Equal(-1, sealedBytes.AsSpan().IndexOf(plain.AsSpan(0, 32)));
    }

    [Fact]
    public async Task The_same_file_sealed_twice_differs_each_file_has_its_own_key()
    {
        var plain = Random(1000, 7);
        var a = await SealAsync(plain);
        var b = await SealAsync(plain);
        Assert.Equal(a.Sha, b.Sha);
        Assert.NotEqual(a.Sealed, b.Sealed);
    }

    private static int HeaderLength(byte[] sealedBytes) => 8 + BinaryPrimitives.ReadUInt16BigEndian(sealedBytes.AsSpan(6)) + SealedFile.NoncePrefixSize;

    [Fact]
    public async Task A_flipped_byte_anywhere_is_refused()
    {
        var (sealedBytes, _, _) = await SealAsync(Random(3 * K + 100, 1));
        int header = HeaderLength(sealedBytes);
        foreach (var at in new[] { 0, 5, 10, header - 1, header, header + K + 3, sealedBytes.Length - 1 })
        {
            var bad = (byte[])sealedBytes.Clone();
            bad[at] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => Open(bad));
        }
    }

    [Fact]
    public async Task Chunks_swapped_or_reordered_or_cut_off_at_a_chunk_edge_are_refused()
    {
        var (sealedBytes, _, _) = await SealAsync(Random(3 * K + 100, 2));
        int header = HeaderLength(sealedBytes);
        int chunk = K + SealedFile.TagSize;
        // Chunks 0 and 1 swapped.
        var swapped = (byte[])sealedBytes.Clone();
        sealedBytes.AsSpan(header, chunk).CopyTo(swapped.AsSpan(header + chunk));
        sealedBytes.AsSpan(header + chunk, chunk).CopyTo(swapped.AsSpan(header));
        Assert.ThrowsAny<CryptographicException>(() => Open(swapped));
        // Chunk 1 dropped (the rest moved up).
        byte[] dropped = [.. sealedBytes.AsSpan(0, header + chunk), .. sealedBytes.AsSpan(header + 2 * chunk)];
        Assert.ThrowsAny<CryptographicException>(() => Open(dropped));
        // Cut off after two whole chunks: the new last chunk was not sealed as the last.
        Assert.ThrowsAny<CryptographicException>(() => Open(sealedBytes[..(header + 2 * chunk)]));
        // Cut off inside a chunk, or inside the header.
        Assert.ThrowsAny<CryptographicException>(() => Open(sealedBytes[..^1]));
        Assert.ThrowsAny<CryptographicException>(() => Open(sealedBytes[..(header + 5)]));
        Assert.ThrowsAny<CryptographicException>(() => Open(sealedBytes[..20]));
        // A chunk from another file sealed with the same ring, in the same place.
        var (other, _, _) = await SealAsync(Random(3 * K + 100, 3));
        var spliced = (byte[])sealedBytes.Clone();
        other.AsSpan(HeaderLength(other) + chunk, chunk).CopyTo(spliced.AsSpan(header + chunk));
        Assert.ThrowsAny<CryptographicException>(() => Open(spliced));
    }

    [Fact]
    public async Task Another_key_ring_cannot_open_it_and_a_rotated_ring_still_can()
    {
        var plain = Random(K + 5, 4);
        var (sealedBytes, _, _) = await SealAsync(plain);
        Assert.ThrowsAny<CryptographicException>(() => Open(sealedBytes, KeyRing.CreateNew()));
        Assert.Equal(plain, Open(sealedBytes, KeyRing.FromJson(Keys.ToJson()).Rotate()));
    }

    [Fact]
    public async Task Reads_from_any_position_for_range_requests()
    {
        var plain = Random(3 * K + 77, 5);
        var (sealedBytes, _, _) = await SealAsync(plain);
        using var s = new SealedReadStream(new MemoryStream(sealedBytes), Keys);
        foreach (var (at, count) in new[] { (0L, 10), (K - 3L, 10), (2L * K + 1, 5000), (3L * K + 70, 7), (3L * K + 77, 10) })
        {
            s.Seek(at, SeekOrigin.Begin);
            var buffer = new byte[count];
            int got = s.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
            Assert.Equal(plain.AsSpan((int)at, got).ToArray(), buffer[..got]);
            Assert.Equal((int)Math.Min(count, plain.Length - at), got);
        }
    }

    [Fact]
    public async Task More_than_the_limit_is_refused()
    {
        await Assert.ThrowsAsync<TooLargeException>(() => SealedFile.SealAsync(new MemoryStream(new byte[K + 1]), new MemoryStream(), Keys, K, default));
    }
}

/// <summary>
/// A 512 MB stream (never in memory: pseudo-random bytes made 64 KB at a time) sealed to a file and read back through
/// the decrypting stream, with allocations and the managed heap measured; in the timed collection so the
/// process-wide figures are this test's. The 2 GB figure: bench/Whistle.Bench (sealed), see docs/decisions/0032.
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class SealedFileMemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long Size = 512L * 1024 * 1024;
    private const long Budget = 16L * 1024 * 1024;

    [Fact]
    public async Task Half_a_gigabyte_seals_and_opens_with_bounded_memory()
    {
        var keys = KeyRing.CreateNew();
        var path = Path.Combine(Path.GetTempPath(), $"sealed-{Guid.NewGuid():N}");
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long heapBefore = GC.GetTotalMemory(true);
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var source = new GeneratedStream(Size, seed: 13);
            var clock = Stopwatch.StartNew();
            string sha;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                (sha, _) = await SealedFile.SealAsync(source, file, keys, long.MaxValue, default);
            var sealTime = clock.Elapsed;
            long sealAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Assert.Equal(source.Sha256, sha);

            allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            long peakHeap = 0;
            clock.Restart();
            string back;
            using (var plain = SealedFile.OpenRead(path, keys))
            {
                Assert.Equal(Size, plain.Length);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 16];
                long read = 0;
                int n;
                while ((n = await plain.ReadAsync(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    if ((read += n) % (32 << 20) == 0) peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                }
                back = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            long openAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            output.WriteLine($"512 MB sealed in {sealTime.TotalSeconds:F1} s (allocated {sealAllocated / 1048576.0:F1} MB, heap peak +{(source.PeakHeap - heapBefore) / 1048576.0:F1} MB); " +
                             $"read back in {clock.Elapsed.TotalSeconds:F1} s (allocated {openAllocated / 1048576.0:F1} MB, heap peak +{(peakHeap - heapBefore) / 1048576.0:F1} MB)");
            Assert.Equal(sha, back);
            Assert.True(sealAllocated < Budget, $"{sealAllocated / 1048576} MB allocated sealing 512 MB");
            Assert.True(openAllocated < Budget, $"{openAllocated / 1048576} MB allocated reading 512 MB");
            Assert.True(source.PeakHeap - heapBefore < Budget && peakHeap - heapBefore < Budget, "the managed heap grew with the file");
        }
        finally { File.Delete(path); }
    }
}

/// <summary>A read-only stream of <paramref name="length"/> pseudo-random bytes, hashed as they are read; never held whole.</summary>
public sealed class GeneratedStream(long length, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _sent;
    private string? _sha;
    public long PeakHeap { get; private set; }
    public string Sha256 => _sha ??= Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _sent);
        if (n <= 0) return 0;
        _random.NextBytes(buffer[..n]);
        _hash.AppendData(buffer[..n]);
        long before = _sent;
        _sent += n;
        if (before / (32 << 20) != _sent / (32 << 20)) PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(false));
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _sent; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
