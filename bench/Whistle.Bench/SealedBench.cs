using System.Diagnostics;
using System.Security.Cryptography;
using Whistle.Incidents;
using Whistle.Privacy;

/// <summary>
/// Evidence encrypted at rest, at the size limit: a generated stream of --mb megabytes (default 2048, never in memory)
/// sealed to a temporary file and read back through the decrypting stream. Prints time, throughput, bytes allocated
/// and the process's peak working set.
///   dotnet run -c Release --project bench/Whistle.Bench -- sealed [--mb 2048]
/// </summary>
public static class SealedBench
{
    public static async Task RunAsync(long megabytes)
    {
        long size = megabytes << 20;
        var keys = KeyRing.CreateNew();
        var path = Path.Combine(Path.GetTempPath(), $"whistle-sealed-{Guid.NewGuid():N}");
        try
        {
            GC.Collect();
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            string sha;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                (sha, _) = await SealedFile.SealAsync(new Generated(size), file, keys, long.MaxValue, default);
            var seal = clock.Elapsed;
            long sealAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;

            allocated = GC.GetTotalAllocatedBytes(precise: true);
            clock.Restart();
            string back;
            using (var plain = SealedFile.OpenRead(path, keys)) back = SealedFile.HashPlain(plain);
            var open = clock.Elapsed;
            long openAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            using var self = Process.GetCurrentProcess();
            self.Refresh();
            Console.WriteLine($"{megabytes} MB: sealed in {seal.TotalSeconds:F1} s ({megabytes / seal.TotalSeconds:F0} MB/s, {sealAllocated / 1048576.0:F1} MB allocated); " +
                              $"decrypted and hashed in {open.TotalSeconds:F1} s ({megabytes / open.TotalSeconds:F0} MB/s, {openAllocated / 1048576.0:F1} MB allocated); " +
                              $"file {new FileInfo(path).Length - size} bytes larger than the plaintext; peak working set {self.PeakWorkingSet64 / 1048576.0:F0} MB; " +
                              $"hash {(sha == back ? "matches" : "DIFFERS")}");
        }
        finally { File.Delete(path); }
    }

    private sealed class Generated(long length) : Stream
    {
        private readonly Random _random = new(2026);
        private long _sent;
        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - _sent);
            if (n <= 0) return 0;
            _random.NextBytes(buffer[..n]);
            _sent += n;
            return n;
        }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
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
}
