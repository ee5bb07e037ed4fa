using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Fakes;
using Whistle.Identity;
using Whistle.Incidents;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Two Whistles on one database engine: one with a local RFC 3161 time-stamping authority (a test CA, a TSA
/// certificate, openssl ts -reply behind HTTP), one with none configured.
/// </summary>
public abstract class PinningFixture(Db db) : IAsyncLifetime
{
    public FakeTsa Tsa { get; private set; } = null!;
    public CustomApp App { get; private set; } = null!;
    public CustomApp Plain { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Tsa = await FakeTsa.StartAsync();
        App = new CustomApp(new()
        {
            ["Whistle:Custody:TsaUrl"] = Tsa.Url,
            ["Whistle:Custody:PinAfterSeconds"] = "0.3",
            ["Whistle:Custody:PollSeconds"] = "0.2",
        }, db: db);
        Plain = new CustomApp(new()
        {
            ["Whistle:Custody:PinAfterSeconds"] = "0.3",
            ["Whistle:Custody:PollSeconds"] = "0.2",
        }, db: db);
        _ = App.Server;
        _ = Plain.Server;
    }

    public async Task DisposeAsync()
    {
        App.Dispose();
        Plain.Dispose();
        await Tsa.DisposeAsync();
    }
}

public sealed class PinningFixtureSqlite() : PinningFixture(Db.Sqlite);
public sealed class PinningFixturePostgres() : PinningFixture(Db.Postgres);

public abstract class CustodyPinningTests<TFixture>(TFixture f) where TFixture : PinningFixture
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

    /// <summary>The README's commands exactly as printed there (each on a line of its own starting with the tool's name).</summary>
    private static List<string> Commands(string dir, string prefix) => File.ReadAllLines(Path.Combine(dir, "README.txt"))
        .Select(l => l.Trim()).Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    private static async Task<(HttpClient Documenter, Guid Incident)> IncidentWithFileAsync(WhistleApp app)
    {
        var documenter = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n" + Guid.NewGuid() + "\n%%EOF\n");
        Assert.Equal(HttpStatusCode.Created, (await documenter.PostAsync($"/api/v1/incidents/{incident}/evidence?fileName=report.pdf", Body(pdf, "application/pdf"))).StatusCode);
        return (documenter, incident);
    }

    private static async Task<string> UnzipAsync(HttpClient documenter, Guid incident)
    {
        var res = await documenter.PostAsync($"/api/v1/incidents/{incident}/export", null);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var dir = Directory.CreateTempSubdirectory("whistle-pinned-").FullName;
        ZipFile.ExtractToDirectory(new MemoryStream(await res.Content.ReadAsByteArrayAsync()), dir);
        return dir;
    }

    private static void Flip(string path, int at = 0)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[at < 0 ? bytes.Length + at : at] ^= 1;
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public async Task An_export_verifies_with_the_READMEs_sha256sum_and_openssl_commands_and_each_tampering_fails()
    {
        var (documenter, incident) = await IncidentWithFileAsync(f.App);
        var dir = await UnzipAsync(documenter, incident);
        try
        {
            foreach (var name in new[] { "custody-key.pem", "custody/head.txt", "custody/head.sig", "custody/head.tsr", "custody/tsa-chain.pem" })
                Assert.True(File.Exists(Path.Combine(dir, name)), name + " is in the bundle");
            // The lawyer's copy of the TSA's root, from the TSA (here: the test CA), not from the bundle.
            File.WriteAllText(Path.Combine(dir, "TSA-CA.pem"), f.Tsa.CaPem);

            var sha = Assert.Single(Commands(dir, "sha256sum "));
            var dgst = Assert.Single(Commands(dir, "openssl dgst "));
            var ts = Assert.Single(Commands(dir, "openssl ts -verify "));
            Assert.Equal("openssl dgst -sha256 -verify custody-key.pem -signature custody/head.sig custody/head.txt", dgst);
            Assert.Equal("openssl ts -verify -data custody/head.txt -in custody/head.tsr -CAfile TSA-CA.pem", ts);
            var headJq = Commands(dir, "jq ").Single(c => c.Contains("custody/head.txt"));

            var (code, output) = Run(dir, sha);
            Assert.True(code == 0, output);
            Assert.Contains("custody/head.txt: OK", output);
            (code, output) = Run(dir, dgst);
            Assert.True(code == 0, output);
            Assert.Contains("Verified OK", output);
            (code, output) = Run(dir, ts);
            Assert.True(code == 0, output);
            Assert.Contains("Verification: OK", output);
            if (Run(dir, "command -v jq").Code == 0)
            {
                (code, output) = Run(dir, headJq);
                Assert.True(code == 0 && output.Trim() == "true", output);
            }

            // The head names the chain the bundle ships: its last entry.
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
            var last = manifest["custody"]!.AsArray()[^1]!;
            var head = File.ReadAllText(Path.Combine(dir, "custody/head.txt"));
            Assert.Contains($"\nseq {last["seq"]}\nhash {last["hash"]}\n", head);

            // The key the network publishes is the key in the bundle.
            var published = await f.App.CreateClient().GetStringAsync("/.well-known/whistle-custody-key.pem");
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "custody-key.pem")), published);

            // One byte of head.txt: the signature, the timestamp and SHA256SUMS all fail.
            var headPath = Path.Combine(dir, "custody/head.txt");
            var original = File.ReadAllBytes(headPath);
            Flip(headPath, original.Length - 3);
            Assert.NotEqual(0, Run(dir, dgst).Code);
            Assert.NotEqual(0, Run(dir, ts).Code);
            Assert.NotEqual(0, Run(dir, sha).Code);
            File.WriteAllBytes(headPath, original);
            Assert.Equal(0, Run(dir, dgst).Code);

            // One byte of the signature: openssl dgst fails.
            var sigPath = Path.Combine(dir, "custody/head.sig");
            var sig = File.ReadAllBytes(sigPath);
            Flip(sigPath, -1);
            Assert.NotEqual(0, Run(dir, dgst).Code);
            File.WriteAllBytes(sigPath, sig);

            // One byte of the token: openssl ts fails.
            var tsrPath = Path.Combine(dir, "custody/head.tsr");
            var tsr = File.ReadAllBytes(tsrPath);
            Flip(tsrPath, -10);
            Assert.NotEqual(0, Run(dir, ts).Code);
            File.WriteAllBytes(tsrPath, tsr);
            Assert.Equal(0, Run(dir, ts).Code);

            // Another TSA's root is not this TSA's: openssl ts fails.
            await using (var other = await FakeTsa.StartAsync())
            {
                File.WriteAllText(Path.Combine(dir, "TSA-CA.pem"), other.CaPem);
                Assert.NotEqual(0, Run(dir, ts).Code);
            }

            // One byte of an evidence file: sha256sum -c fails, naming it.
            var evidence = Directory.GetFiles(Path.Combine(dir, "evidence")).First();
            Flip(evidence, -1);
            (code, output) = Run(dir, sha);
            Assert.NotEqual(0, code);
            Assert.Contains($"{Path.GetFileName(evidence)}: FAILED", output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_chain_rewritten_consistently_in_the_database_is_caught_by_verify_through_its_pin()
    {
        var (documenter, incident) = await IncidentWithFileAsync(f.App);
        Assert.Equal(HttpStatusCode.Created, (await documenter.PostAsJsonAsync($"/api/v1/incidents/{incident}/timeline",
            new { at = DateTimeOffset.UtcNow.AddHours(-3), source = "witness 1", text = "Two vehicles stop" })).StatusCode);
        // The background service pins the head once it has settled.
        await WhistleApp.EventuallyAsync(() => documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/pins"),
            p => p!["pins"]!.AsArray().Any(x => x!["seq"]!.GetValue<long>() >= 3 && x["timestamped"]!.GetValue<bool>()), "a timestamped pin of the head");
        var before = await documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/verify");
        Assert.True(before!["intact"]!.GetValue<bool>(), before.ToJsonString());

        // Whoever controls the server rewrites who added the evidence (entry 2) and every hash after it, consistently.
        await using (var scope = f.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var chain = await db.Custody.AsNoTracking().Where(c => c.IncidentId == incident).OrderBy(c => c.Seq).ToListAsync();
            chain[1].Actor = "someone.else@example.org";
            for (int i = 1; i < chain.Count; i++)
            {
                chain[i].PreviousHash = chain[i - 1].Hash;
                chain[i].Hash = CustodyChain.HashOf(chain[i]);
            }
            Assert.True(CustodyChain.Verify(chain).Intact); // internally consistent: the chain alone cannot tell
            foreach (var e in chain.Skip(1))
                await db.Custody.Where(c => c.Id == e.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Actor, e.Actor).SetProperty(c => c.PreviousHash, e.PreviousHash).SetProperty(c => c.Hash, e.Hash));
        }

        var after = await documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/verify");
        Assert.False(after!["intact"]!.GetValue<bool>(), after.ToJsonString());
        Assert.Contains("rewritten", after["reason"]!.GetValue<string>());
        // And no bundle is made of a chain that does not verify.
        Assert.Equal(HttpStatusCode.Conflict, (await documenter.PostAsync($"/api/v1/incidents/{incident}/export", null)).StatusCode);
    }

    [Fact]
    public async Task A_pins_signature_or_token_changed_in_the_database_is_caught_by_verify()
    {
        var (documenter, incident) = await IncidentWithFileAsync(f.App);
        var pins = await WhistleApp.EventuallyAsync(() => documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/pins"),
            p => p!["pins"]!.AsArray().Any(x => x!["timestamped"]!.GetValue<bool>()), "a timestamped pin");
        var pinId = pins!["pins"]!.AsArray().First(x => x!["timestamped"]!.GetValue<bool>())!["id"]!.GetValue<long>();
        await using var scope = f.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var pin = await db.Pins.AsNoTracking().SingleAsync(p => p.Id == pinId);

        var token = pin.Token!.ToArray();
        token[^10] ^= 1;
        await db.Pins.Where(p => p.Id == pinId).ExecuteUpdateAsync(s => s.SetProperty(p => p.Token, token));
        var verdict = await documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/verify");
        Assert.False(verdict!["intact"]!.GetValue<bool>());
        Assert.Contains("timestamp token", verdict["reason"]!.GetValue<string>());

        var signature = pin.Signature.ToArray();
        signature[^1] ^= 1;
        await db.Pins.Where(p => p.Id == pinId).ExecuteUpdateAsync(s => s.SetProperty(p => p.Token, pin.Token).SetProperty(p => p.Signature, signature));
        verdict = await documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/verify");
        Assert.False(verdict!["intact"]!.GetValue<bool>());
        Assert.Contains("signature", verdict["reason"]!.GetValue<string>());

        await db.Pins.Where(p => p.Id == pinId).ExecuteUpdateAsync(s => s.SetProperty(p => p.Signature, pin.Signature));
        verdict = await documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/verify");
        Assert.True(verdict!["intact"]!.GetValue<bool>(), verdict.ToJsonString());
    }

    [Fact]
    public async Task A_TSA_that_is_down_never_blocks_the_documenter_and_the_head_is_timestamped_once_it_answers()
    {
        f.Tsa.Down = true;
        try
        {
            var (documenter, incident) = await IncidentWithFileAsync(f.App);
            // The export does not wait for a TSA that does not answer: the bundle is signed, not timestamped, and says so.
            var dir = await UnzipAsync(documenter, incident);
            try
            {
                Assert.True(File.Exists(Path.Combine(dir, "custody/head.sig")));
                Assert.False(File.Exists(Path.Combine(dir, "custody/head.tsr")));
                Assert.Contains("NOT independently timestamped", File.ReadAllText(Path.Combine(dir, "README.txt")));
                Assert.Equal(0, Run(dir, Assert.Single(Commands(dir, "openssl dgst "))).Code);
                Assert.Empty(Commands(dir, "openssl ts "));
            }
            finally { Directory.Delete(dir, recursive: true); }
            var status = await documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/pins");
            Assert.False(status!["status"]!["timestamped"]!.GetValue<bool>());
            Assert.True(status["status"]!["tsaConfigured"]!.GetValue<bool>());

            f.Tsa.Down = false;
            await WhistleApp.EventuallyAsync(() => documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/pins"),
                p => p!["status"]!["timestamped"]!.GetValue<bool>(), "the head timestamped after the TSA came back");
        }
        finally { f.Tsa.Down = false; }
    }

    [Fact]
    public async Task Without_a_TSA_the_API_says_not_independently_timestamped_and_the_bundle_is_signed_only()
    {
        var (documenter, incident) = await IncidentWithFileAsync(f.Plain);
        var pins = await WhistleApp.EventuallyAsync(() => documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/pins"),
            p => p!["pins"]!.AsArray().Count > 0, "a signed pin");
        var status = pins!["status"]!;
        Assert.False(status["tsaConfigured"]!.GetValue<bool>());
        Assert.False(status["timestamped"]!.GetValue<bool>());
        Assert.Equal("not independently timestamped", status["summary"]!.GetValue<string>());
        Assert.Null(status["lastTimestampAt"]);

        var dir = await UnzipAsync(documenter, incident);
        try
        {
            Assert.False(File.Exists(Path.Combine(dir, "custody/head.tsr")));
            Assert.Contains("NOT independently timestamped", File.ReadAllText(Path.Combine(dir, "README.txt")));
            var (code, output) = Run(dir, Assert.Single(Commands(dir, "openssl dgst ")));
            Assert.True(code == 0, output);
            Assert.Equal(await f.Plain.CreateClient().GetStringAsync("/.well-known/whistle-custody-key.pem"),
                File.ReadAllText(Path.Combine(dir, "custody-key.pem")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task The_timestamp_time_is_shown_in_the_networks_time_zone()
    {
        var (documenter, incident) = await IncidentWithFileAsync(f.App);
        var pins = await WhistleApp.EventuallyAsync(() => documenter.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}/custody/pins"),
            p => p!["status"]!["timestamped"]!.GetValue<bool>(), "a timestamped pin");
        var at = pins!["status"]!["lastTimestampAt"]!.GetValue<DateTimeOffset>();
        var chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
        var local = TimeZoneInfo.ConvertTime(at, chicago);
        var shown = pins["status"]!["lastTimestampLocal"]!.GetValue<string>();
        Assert.StartsWith(local.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), shown);
        Assert.Matches("C[SD]T$", shown);
    }

    [Fact]
    public async Task The_custody_key_is_public_PEM_and_anonymous_and_the_pins_need_staff()
    {
        var anonymous = f.App.CreateClient();
        var res = await anonymous.GetAsync("/.well-known/whistle-custody-key.pem");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var pem = await res.Content.ReadAsStringAsync();
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem);
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(pem);
        Assert.Equal(256, key.KeySize);
        var (_, incident) = await IncidentWithFileAsync(f.App);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/incidents/{incident}/custody/pins")).StatusCode);
    }
}

public sealed class CustodyPinningTestsSqlite(PinningFixtureSqlite f) : CustodyPinningTests<PinningFixtureSqlite>(f), IClassFixture<PinningFixtureSqlite>;
public sealed class CustodyPinningTestsPostgres(PinningFixturePostgres f) : CustodyPinningTests<PinningFixturePostgres>(f), IClassFixture<PinningFixturePostgres>;
