using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Incidents;
using Whistle.Privacy;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>An incident with a photo, a PDF, a timeline entry, a claim and two witnesses, exported once for everyone and once for legal counsel.</summary>
public sealed class EvidenceBundleFixture : IAsyncLifetime
{
    public CustomApp Source { get; } = new([]);
    public HttpClient Documenter { get; private set; } = null!;
    public Guid Incident { get; private set; }
    public byte[] Jpeg { get; } = [.. JpegWithGps(), .. Guid.NewGuid().ToByteArray()];
    public byte[] Pdf { get; } = Encoding.ASCII.GetBytes("%PDF-1.4\n" + Guid.NewGuid() + "\n%%EOF\n");
    public byte[] Bundle { get; private set; } = [];
    public byte[] LegalBundle { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Documenter = await Source.StaffAsync(Roles.Documenter);
        Incident = await CreateIncidentAsync(Source);
        var photo = await Documenter.PostAsync($"/api/v1/incidents/{Incident}/evidence?fileName=scene.jpg&lat=44.95&lon=-93.25", Body(Jpeg, "image/jpeg"));
        var photoId = (await photo.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Created, (await Documenter.PostAsync($"/api/v1/incidents/{Incident}/evidence?fileName=report.pdf", Body(Pdf, "application/pdf"))).StatusCode);
        await AddRecordsAsync(Source, Incident, photoId);
        Bundle = await ExportAsync(false);
        LegalBundle = await ExportAsync(true);
    }

    public async Task<byte[]> ExportAsync(bool legal)
    {
        var res = await Documenter.PostAsync($"/api/v1/incidents/{Incident}/export{(legal ? "?legal=true" : "")}", null);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("application/zip", res.Content.Headers.ContentType!.MediaType);
        return await res.Content.ReadAsByteArrayAsync();
    }

    public Task DisposeAsync()
    {
        Source.Dispose();
        return Task.CompletedTask;
    }

    public static byte[] Entry(byte[] zip, string name)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var s = archive.GetEntry(name)!.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    public static JsonObject Manifest(byte[] zip) => JsonNode.Parse(Entry(zip, "manifest.json"))!.AsObject();

    /// <summary>The bundle with a change made to it; SHA256SUMS recomputed when <paramref name="resum"/>.</summary>
    public static byte[] Tamper(byte[] zip, Action<ZipArchive> change, bool resum = false)
    {
        var m = new MemoryStream();
        m.Write(zip);
        using (var archive = new ZipArchive(m, ZipArchiveMode.Update, leaveOpen: true))
        {
            change(archive);
            if (resum)
            {
                var sums = new StringBuilder();
                foreach (var e in archive.Entries.Where(e => e.FullName != "SHA256SUMS").ToList())
                {
                    using var s = e.Open();
                    sums.Append($"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s))}  {e.FullName}\n");
                }
                Replace(archive, "SHA256SUMS", Encoding.UTF8.GetBytes(sums.ToString()));
            }
        }
        return m.ToArray();
    }

    public static void Replace(ZipArchive archive, string name, byte[] content)
    {
        archive.GetEntry(name)?.Delete();
        using var s = archive.CreateEntry(name).Open();
        s.Write(content);
    }
}

public sealed class EvidenceBundleTests(EvidenceBundleFixture source) : IClassFixture<EvidenceBundleFixture>
{
    private static ByteArrayContent Zip(byte[] bytes) => Body(bytes, "application/zip");

    [Fact]
    public async Task An_export_holds_every_file_the_manifest_and_sums_and_records_the_export_in_custody()
    {
        using var archive = new ZipArchive(new MemoryStream(source.Bundle), ZipArchiveMode.Read);
        var names = archive.Entries.Select(e => e.FullName).ToList();
        var manifest = EvidenceBundleFixture.Manifest(source.Bundle);
        var publicSha = manifest["evidence"]!.AsArray().Single(e => e!["fileName"]!.GetValue<string>() == "scene.jpg")!["publicSha256"]!.GetValue<string>();
        Assert.Equal(new[] { "README.txt", "manifest.json", "custody-key.pem", "custody/head.txt", "custody/head.sig", $"evidence/{Sha(source.Jpeg)}.jpg", $"evidence/{Sha(source.Pdf)}.pdf", $"evidence/{publicSha}.jpg", "SHA256SUMS" }, names);
        Assert.Equal(source.Jpeg, EvidenceBundleFixture.Entry(source.Bundle, $"evidence/{Sha(source.Jpeg)}.jpg"));
        var sums = Encoding.UTF8.GetString(EvidenceBundleFixture.Entry(source.Bundle, "SHA256SUMS")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(names.Where(n => n != "SHA256SUMS").Select(n => $"{Sha(EvidenceBundleFixture.Entry(source.Bundle, n))}  {n}"), sums);

        // The custody log in the manifest is the chain up to the export; the export's own entry holds the manifest's hash.
        var chain = await CustodyAsync(source.Source, source.Incident);
        var exported = chain.Where(c => c.Action == "exported").ToList();
        Assert.Equal(2, exported.Count);
        Assert.Equal(Sha(EvidenceBundleFixture.Entry(source.Bundle, "manifest.json")), exported[0].ObjectHash);
        Assert.Equal(Sha(EvidenceBundleFixture.Entry(source.LegalBundle, "manifest.json")), exported[1].ObjectHash);
        Assert.Equal(exported[0].Seq - 1, manifest["custody"]!.AsArray().Count);
        Assert.True((await VerifyAsync(source.Source, source.Incident)).Intact);

        // Witnesses: no names or contacts for everyone; for counsel, only those who consented to legal use.
        var everyone = manifest["witnesses"]!.AsArray();
        Assert.All(everyone, w => Assert.Null(w!["name"]));
        Assert.All(everyone, w => Assert.Null(w!["contact"]));
        Assert.Equal(-1, source.Bundle.AsSpan().IndexOf("Witness-Name"u8));
        var counsel = EvidenceBundleFixture.Manifest(source.LegalBundle)["witnesses"]!.AsArray();
        Assert.Equal("Legal Witness-Name", counsel.Single(w => w!["consent"]!.GetValue<string>() == "legal")!["name"]!.GetValue<string>());
        Assert.Equal("+16125550123", counsel.Single(w => w!["consent"]!.GetValue<string>() == "legal")!["contact"]!.GetValue<string>());
        Assert.Null(counsel.Single(w => w!["consent"]!.GetValue<string>() == "internal")!["name"]);
        Assert.DoesNotContain("Private Witness-Name", Encoding.UTF8.GetString(EvidenceBundleFixture.Entry(source.LegalBundle, "manifest.json")));
        Assert.Contains("sha256sum -c SHA256SUMS", Encoding.UTF8.GetString(EvidenceBundleFixture.Entry(source.Bundle, "README.txt")));
    }

    [Fact]
    public async Task A_bundle_imports_into_a_fresh_network_with_the_same_files_hashes_and_an_intact_chain()
    {
        using var target = new CustomApp([]);
        var doc = await target.StaffAsync(Roles.Documenter);
        var res = await doc.PostAsync("/api/v1/incidents/import", Zip(source.LegalBundle));
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        Assert.Equal(source.Incident, (await res.Content.ReadFromJsonAsync<JsonObject>())!["incidentId"]!.GetValue<Guid>());

        var manifest = EvidenceBundleFixture.Manifest(source.LegalBundle);
        var chain = await CustodyAsync(target, source.Incident);
        var theirs = manifest["custody"]!.AsArray();
        // Their chain as it came, "imported", then each record recorded under its id in this database.
        Assert.Equal(theirs.Select(c => c!["hash"]!.GetValue<string>()), chain.Take(theirs.Count).Select(c => c.Hash));
        var imported = chain[theirs.Count];
        Assert.All(chain.Skip(theirs.Count + 1), c => Assert.Equal(IncidentBundle.Recorded, c.Action));
        Assert.Equal(("imported", Sha(EvidenceBundleFixture.Entry(source.LegalBundle, "manifest.json"))), (imported.Action, imported.ObjectHash));
        Assert.Equal(theirs.Last()!["hash"]!.GetValue<string>(), imported.PreviousHash);
        var verdict = await VerifyAsync(target, source.Incident);
        Assert.True(verdict.Intact, verdict.Reason);

        var list = (await doc.GetFromJsonAsync<JsonArray>($"/api/v1/incidents/{source.Incident}/evidence"))!;
        Assert.Equal(new[] { Sha(source.Jpeg), Sha(source.Pdf) }, list.Select(e => e!["sha256"]!.GetValue<string>()));
        var photo = list.Single(e => e!["fileName"]!.GetValue<string>() == "scene.jpg")!;
        Assert.Equal(source.Jpeg, await doc.GetByteArrayAsync($"/api/v1/incidents/{source.Incident}/evidence/{photo["id"]}"));
        Assert.Equal(JpegWithoutMetadata(), (await doc.GetByteArrayAsync($"/api/v1/incidents/{source.Incident}/evidence/{photo["id"]}/public"))[..JpegWithoutMetadata().Length]);
        Assert.Equal(44.95, photo["lat"]!.GetValue<double>());

        await using (var scope = target.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
            Assert.Equal("Shooting at Lake St & 14th Ave", (await db.Incidents.SingleAsync(i => i.Id == source.Incident)).Title);
            Assert.Single(await db.Timeline.Where(t => t.IncidentId == source.Incident).ToListAsync());
            var claim = await db.Claims.Include(c => c.Evidence).SingleAsync(c => c.IncidentId == source.Incident);
            Assert.Equal(photo["id"]!.GetValue<long>(), Assert.Single(claim.Evidence).EvidenceId);
            var witnesses = await db.Witnesses.Where(w => w.IncidentId == source.Incident).OrderBy(w => w.Id).ToListAsync();
            Assert.Equal("Legal Witness-Name", keys.Decrypt(witnesses[0].NameCipher!, Purpose.WitnessName));
            Assert.Null(witnesses[1].NameCipher);
            // The bundle carries statements in plaintext (for lawyers); import stores them encrypted again.
            Assert.Equal("I saw it from the bus stop.", manifest["witnesses"]!.AsArray()[0]!["text"]!.GetValue<string>());
            Assert.All(witnesses, w => Assert.Null(w.Text));
            Assert.Equal("I saw it from the bus stop.", keys.Decrypt(witnesses[0].TextCipher!, Purpose.WitnessText));
        }

        // The same incident again, here or back at the source: 409.
        Assert.Equal(HttpStatusCode.Conflict, (await doc.PostAsync("/api/v1/incidents/import", Zip(source.LegalBundle))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await source.Documenter.PostAsync("/api/v1/incidents/import", Zip(source.Bundle))).StatusCode);
        var dispatcher = await target.StaffAsync(Roles.Dispatcher);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsync("/api/v1/incidents/import", Zip(source.Bundle))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsync($"/api/v1/incidents/{source.Incident}/export", null)).StatusCode);
    }

    [Fact]
    public async Task A_tampered_bundle_is_refused_naming_what_failed_and_nothing_is_written()
    {
        using var target = new CustomApp(new() { ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://network.test" }) /* an empty network: nothing in it before the import */;
        var doc = await target.StaffAsync(Roles.Documenter);
        var jpegPath = $"evidence/{Sha(source.Jpeg)}.jpg";
        var pdfPath = $"evidence/{Sha(source.Pdf)}.pdf";
        var manifest = Encoding.UTF8.GetString(EvidenceBundleFixture.Entry(source.Bundle, "manifest.json"));

        var cases = new (string Name, byte[] Bundle, string Expected)[]
        {
            ("a changed file", EvidenceBundleFixture.Tamper(source.Bundle, z =>
            {
                var bytes = EvidenceBundleFixture.Entry(source.Bundle, pdfPath);
                bytes[12] ^= 1;
                EvidenceBundleFixture.Replace(z, pdfPath, bytes);
            }), $"{pdfPath} does not match SHA256SUMS"),
            ("a changed file, sums recomputed", EvidenceBundleFixture.Tamper(source.Bundle, z =>
            {
                var bytes = EvidenceBundleFixture.Entry(source.Bundle, pdfPath);
                bytes[12] ^= 1;
                EvidenceBundleFixture.Replace(z, pdfPath, bytes);
            }, resum: true), $"{pdfPath} does not hash to {Sha(source.Pdf)}"),
            ("a changed manifest entry", EvidenceBundleFixture.Tamper(source.Bundle, z =>
                EvidenceBundleFixture.Replace(z, "manifest.json", Encoding.UTF8.GetBytes(manifest.Replace("report.pdf", "other.pdf")))),
                "manifest.json does not match SHA256SUMS"),
            ("a changed custody entry, sums recomputed", EvidenceBundleFixture.Tamper(source.Bundle, z =>
                EvidenceBundleFixture.Replace(z, "manifest.json", Encoding.UTF8.GetBytes(manifest.Replace("\"action\": \"created\"", "\"action\": \"edited\"")))
            , resum: true), "The custody log does not verify: entry 1"),
            ("a zip-slip name", EvidenceBundleFixture.Tamper(source.Bundle, z =>
                EvidenceBundleFixture.Replace(z, "../../etc/cron.d/evil", "* * * * * root true\n"u8.ToArray())), "../../etc/cron.d/evil"),
            ("an absolute name", EvidenceBundleFixture.Tamper(source.Bundle, z =>
                EvidenceBundleFixture.Replace(z, "/tmp/evil", "x"u8.ToArray())), "/tmp/evil"),
            ("a backslash name", EvidenceBundleFixture.Tamper(source.Bundle, z =>
                EvidenceBundleFixture.Replace(z, "evidence\\..\\evil", "x"u8.ToArray())), "backslashes"),
            ("a missing file", EvidenceBundleFixture.Tamper(source.Bundle, z => z.GetEntry(jpegPath)!.Delete()),
                $"SHA256SUMS lists {jpegPath}, which is not in the bundle"),
            ("a missing file, sums recomputed", EvidenceBundleFixture.Tamper(source.Bundle, z => z.GetEntry(jpegPath)!.Delete(), resum: true),
                $"{jpegPath} is missing from the bundle"),
            ("not a zip", "PK not really a zip"u8.ToArray(), "not a readable ZIP"),
        };
        foreach (var (name, bundle, expected) in cases)
        {
            var res = await doc.PostAsync("/api/v1/incidents/import", Zip(bundle));
            Assert.True(res.StatusCode == HttpStatusCode.BadRequest, $"{name}: {res.StatusCode}");
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
            var detail = (await res.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>();
            Assert.True(detail.Contains(expected), $"{name}: \"{detail}\" does not say \"{expected}\"");
        }
        await AssertNothingWrittenAsync(target);
    }

    [Fact]
    public async Task An_oversized_bundle_or_one_that_unpacks_past_the_cap_is_refused_and_nothing_is_written()
    {
        long unpacked;
        using (var archive = new ZipArchive(new MemoryStream(source.Bundle), ZipArchiveMode.Read)) unpacked = archive.Entries.Sum(e => e.Length);
        long cap = Math.Max(unpacked, source.Bundle.Length) + 4096;
        using var target = new CustomApp(new() { ["Whistle:Evidence:MaxImportBytes"] = cap.ToString(), ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://network.test" });
        var doc = await target.StaffAsync(Roles.Documenter);

        // Bigger than the cap as sent.
        var padded = EvidenceBundleFixture.Tamper(source.Bundle, z =>
        {
            using var s = z.CreateEntry("README.txt.padding", CompressionLevel.NoCompression).Open();
            s.Write(System.Security.Cryptography.RandomNumberGenerator.GetBytes((int)cap));
        });
        var big = await doc.PostAsync("/api/v1/incidents/import", Zip(padded));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Contains("limit", (await big.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());

        // Small as sent, a bomb unpacked: a few kilobytes of ZIP that would unpack to more than the cap.
        var bomb = EvidenceBundleFixture.Tamper(source.Bundle, z =>
        {
            using var s = z.CreateEntry($"evidence/{new string('b', 64)}.mp4", CompressionLevel.SmallestSize).Open();
            s.Write(new byte[cap + 1]);
        });
        Assert.True(bomb.Length < cap);
        var res = await doc.PostAsync("/api/v1/incidents/import", Zip(bomb));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("would unpack to more than", (await res.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());

        // Within the cap, the real bundle goes in.
        Assert.Equal(HttpStatusCode.Created, (await doc.PostAsync("/api/v1/incidents/import", Zip(source.Bundle))).StatusCode);
    }

    private static async Task AssertNothingWrittenAsync(WhistleApp target)
    {
        await using var scope = target.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        Assert.Equal(0, await db.Incidents.CountAsync());
        Assert.Equal(0, await db.Evidence.CountAsync());
        Assert.Equal(0, await db.Custody.CountAsync());
        Assert.Empty(StoreFiles(target)); // no evidence, no temporary bundle
    }
}

/// <summary>The README's promise, kept with the real tools: sha256sum and jq as processes on an unzipped export.</summary>
public sealed class EvidenceShellTests(EvidenceBundleFixture source) : IClassFixture<EvidenceBundleFixture>
{
    private static (int Code, string Output) Run(string dir, string script)
    {
        var psi = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    /// <summary>The commands of README.txt's steps, exactly as printed there (each on a line starting with the tool's name).</summary>
    private static List<string> Commands(string dir, string tool) => File.ReadAllLines(Path.Combine(dir, "README.txt"))
        .Select(l => l.Trim()).Where(l => l.StartsWith(tool + " ", StringComparison.Ordinal)).ToList();

    [Fact]
    public void An_unzipped_export_verifies_with_sha256sum_and_the_READMEs_jq_commands_and_a_flipped_byte_fails()
    {
        var dir = Directory.CreateTempSubdirectory("whistle-bundle-").FullName;
        try
        {
            ZipFile.ExtractToDirectory(new MemoryStream(source.Bundle), dir);
            var sha = Assert.Single(Commands(dir, "sha256sum"));
            Assert.Equal("sha256sum -c SHA256SUMS", sha);
            var (code, output) = Run(dir, sha);
            Assert.True(code == 0, output);
            // README, manifest, three evidence files, and the signed head: custody-key.pem, custody/head.txt, custody/head.sig.
            Assert.Equal(8, output.Split('\n').Count(l => l.EndsWith(": OK")));

            bool jq = Run(dir, "command -v jq").Code == 0;
            var jqs = Commands(dir, "jq");
            Assert.Equal(5, jqs.Count);
            if (jq)
            {
                foreach (var command in jqs)
                {
                    var (c, o) = Run(dir, command);
                    Assert.True(c == 0, $"{command}\n{o}");
                    Assert.DoesNotContain("BROKEN", o);
                    Assert.DoesNotContain("false", o);
                }
                Assert.Contains("ok 1", Run(dir, jqs[2]).Output);
            }

            // A flipped byte in an evidence file: sha256sum says so.
            var evidence = Directory.GetFiles(Path.Combine(dir, "evidence")).First();
            var bytes = File.ReadAllBytes(evidence);
            bytes[^1] ^= 1;
            File.WriteAllBytes(evidence, bytes);
            var (bad, badOutput) = Run(dir, sha);
            Assert.NotEqual(0, bad);
            Assert.Contains($"{Path.GetFileName(evidence)}: FAILED", badOutput);

            if (jq)
            {
                // A changed custody entry: the link check (step 3) and the hash check (step 4) say so.
                var manifest = File.ReadAllText(Path.Combine(dir, "manifest.json"));
                File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.Replace("\"action\": \"evidence_added\"", "\"action\": \"edited\""));
                Assert.Contains("BROKEN 2", Run(dir, jqs[2]).Output);
                var hashes = System.Text.Json.Nodes.JsonNode.Parse(manifest)!["custody"]!.AsArray();
                var first = hashes[0]!["hash"]!.GetValue<string>();
                File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.Replace($"\"previousHash\": \"{first}\"", $"\"previousHash\": \"{new string('f', 64)}\""));
                Assert.NotEqual(0, Run(dir, jqs[1]).Code);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
