using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Whistle.Identity;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// 500 MB through a real Kestrel socket into the store. In the timed collection (nothing else runs meanwhile),
/// so the process-wide memory figures below are this upload's alone.
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class EvidenceStreamingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long Size = 500L * 1024 * 1024;
    private const long Budget = 64L * 1024 * 1024;

    [Fact]
    public async Task A_500_MB_upload_streams_through_with_bounded_memory_and_the_hash_computed_while_generating()
    {
        int port = CustomApp.FreePort();
        // No relay: its polling would allocate in the background and blur the measure.
        using var app = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false" }, kestrelPort: port);
        var staff = await app.StaffAsync(Roles.Documenter);
        // A plain client on the Kestrel port: the factory's own client follows redirects by copying each
        // request body into memory first (Mvc.Testing's RedirectHandler), which is the test's memory, not the server's.
        using var doc = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(3) };
        doc.DefaultRequestHeaders.Authorization = staff.DefaultRequestHeaders.Authorization;
        var incident = await CreateIncidentAsync(app);

        // The measure: everything the process allocates while the file goes through (client and server share
        // it), and the managed heap sampled every 16 MB the client sends. A server that buffered the body —
        // IFormFile, a MemoryStream, model binding — would allocate at least the 500 MB and grow the heap with
        // it; streaming allocates a few buffers. Kestrel's default 30 MB body limit also proves the endpoint
        // raised its own limit.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long heapBefore = GC.GetTotalMemory(false);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var content = new GeneratedContent(Size, seed: 20261126);
        content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        var clock = Stopwatch.StartNew();
        var res = await doc.PostAsync($"/api/v1/incidents/{incident}/evidence?fileName=long-video.mp4", content);
        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long heapGrowth = content.PeakHeap - heapBefore;
        output.WriteLine($"500 MB in {clock.Elapsed.TotalSeconds:F1} s; allocated {allocated / 1048576.0:F1} MB in all; " +
                         $"managed heap peak {heapGrowth / 1048576.0:F1} MB over the start ({content.Samples} samples)");

        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var item = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(content.Sha256, item["sha256"]!.GetValue<string>());
        Assert.Equal(Size, item["size"]!.GetValue<long>());
        Assert.Equal(Size, Store(app).OpenRead(content.Sha256).Length);
        Assert.True(content.Samples >= 30);
        Assert.True(allocated < Budget, $"{allocated / 1048576} MB allocated while 500 MB went through");
        Assert.True(heapGrowth < Budget, $"the managed heap grew by {heapGrowth / 1048576} MB");
        Assert.DoesNotContain(StoreFiles(app), f => Path.GetFileName(f).StartsWith('.'));

        // The export streams the same 500 MB back inside a ZIP, read here as it arrives and not kept.
        allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        clock.Restart();
        using var export = await doc.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/incidents/{incident}/export"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        long received = 0;
        var buffer = new byte[1 << 16];
        var tail = new byte[22];
        await using (var zip = await export.Content.ReadAsStreamAsync())
        {
            int n;
            while ((n = await zip.ReadAsync(buffer)) > 0)
            {
                received += n;
                // The last 22 bytes: the ZIP's end-of-central-directory record.
                if (n >= tail.Length) Array.Copy(buffer, n - tail.Length, tail, 0, tail.Length);
                else { Array.Copy(tail, n, tail, 0, tail.Length - n); Array.Copy(buffer, 0, tail, tail.Length - n, n); }
            }
        }
        long exportAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"export: {received / 1048576.0:F1} MB in {clock.Elapsed.TotalSeconds:F1} s (the chain verified first); allocated {exportAllocated / 1048576.0:F1} MB");
        Assert.True(received > Size);
        Assert.Equal(new byte[] { 0x50, 0x4B, 0x05, 0x06 }, tail[..4]);
        Assert.True(exportAllocated < Budget, $"{exportAllocated / 1048576} MB allocated while a 500 MB bundle went out");
    }

    /// <summary>
    /// A body made on the fly: an MP4 file-type box, then pseudo-random bytes from a seeded generator, 64 KB at a
    /// time into one reused buffer, hashed as they are sent. Never the whole file in memory.
    /// </summary>
    private sealed class GeneratedContent(long length, int seed) : HttpContent
    {
        private static readonly byte[] Ftyp = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m', 0, 0, 2, 0, (byte)'i', (byte)'s', (byte)'o', (byte)'m', (byte)'m', (byte)'p', (byte)'4', (byte)'1'];
        public string Sha256 { get; private set; } = "";
        public long PeakHeap { get; private set; }
        public int Samples { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var random = new Random(seed);
            var buffer = new byte[1 << 16];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long sent = 0;
            while (sent < length)
            {
                int n = (int)Math.Min(buffer.Length, length - sent);
                random.NextBytes(buffer.AsSpan(0, n));
                if (sent == 0) Ftyp.CopyTo(buffer, 0);
                hash.AppendData(buffer, 0, n);
                await stream.WriteAsync(buffer.AsMemory(0, n));
                sent += n;
                if (sent % (16 << 20) == 0)
                {
                    PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(false));
                    Samples++;
                }
            }
            Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }
    }
}
