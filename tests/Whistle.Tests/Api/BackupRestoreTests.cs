using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Incidents;
using Whistle.Privacy;
using Whistle.Subscriptions;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 16 §2 with the built Whistle.dll: `backup` of a network mid-use while it runs, `restore` into an empty data
/// dir and database, and Whistle started on it finds every subscriber, sighting, alert, incident, evidence file and
/// submission, custody intact. A changed backup, a key ring inside the backup and a non-empty target are refused
/// before anything is written. Decision 0048.
/// </summary>
public abstract class BackupRestoreTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private Db Db => app.Settings.GetValueOrDefault("Whistle:Database:Provider") == "postgres" ? Db.Postgres : Db.Sqlite;

    private static string NewPath(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..10]);

    private static readonly GeoPoint Here = new(44.9485, -93.2555);
    private static object Circle(GeoPoint c, double r) => new { lat = c.Lat, lon = c.Lon, radiusMeters = r };

    [Fact]
    public async Task A_network_mid_use_backed_up_while_it_runs_restores_into_an_empty_data_dir_and_database_with_everything_intact()
    {
        // Paced sends and short leases: the alert is still going out when the backup is taken.
        using var source = new SubmissionApp(Db, new()
        {
            ["Whistle:Delivery:DevSinkPerSecond"] = "20",
            ["Whistle:Delivery:BatchSize"] = "5",
            ["Whistle:Delivery:LeaseSeconds"] = "2",
        });
        var public_ = source.CreateClient();
        var dispatcher = await source.StaffAsync("dispatcher");
        var verifier = await source.StaffAsync("verifier");
        var documenter = await source.StaffAsync("documenter");

        await source.SubscribeAsync(public_, "sms", "+16125550101", "es", circle: Circle(Here.Offset(300, 90), 100));
        await source.SubscribeAsync(public_, "email", "restored-reader@example.org", "en", circle: Circle(Here.Offset(200, 0), 100));
        await Seed.SubscribersAsync(source, 120, Here.Lat, Here.Lon);

        var report = await public_.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = Here.Lat, lon = Here.Lon, agents = 3, agency = "ice" });
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        var sighting = Guid.Parse((await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>());
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed", note = "two vehicles" })).StatusCode);

        var sent = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = Circle(Here, 1000) });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var created = (await sent.Content.ReadFromJsonAsync<JsonObject>())!;
        var alertId = Guid.Parse(created["id"]!.GetValue<string>());
        int recipients = created["recipients"]!.GetValue<int>();
        Assert.Equal(122, recipients);

        var incident = await EvidenceFixtures.CreateIncidentAsync(source, "Detention outside the laundromat");
        var file = RandomNumberGenerator.GetBytes(40_000);
        "%PDF-1.4"u8.CopyTo(file);
        var upload = await documenter.PostAsync($"/api/v1/incidents/{incident}/evidence", EvidenceFixtures.Body(file, "application/pdf"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        await SubmissionApp.CreatedAsync(await source.FromNewNetwork().PostAsJsonAsync("/api/v1/submissions", SubmissionApp.Body()));

        // Partly sent when the backup starts.
        var progress = await WhistleApp.EventuallyAsync(async () => (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
            a => a["deliveries"]!["sent"]!.GetValue<int>() > 0, "the first deliveries");
        Assert.True(progress["deliveries"]!["pending"]!.GetValue<int>() > 0, progress.ToJsonString());

        var backup = NewPath("whistle-backup-");
        var keys = NewPath("whistle-keys-") + ".json";
        var made = await DataOpsProcess.RunAsync(DataOpsProcess.Env(source), "backup", backup, "--keys", keys);
        Assert.True(made.ExitCode == 0, made.All);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(source.DataDir, KeyStore.PlainName)), await File.ReadAllTextAsync(keys));
        // The key ring is nowhere in the backup.
        var ring = KeyRing.FromJson(await File.ReadAllTextAsync(keys));
        Assert.DoesNotContain(Directory.EnumerateFiles(backup, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith("keys", StringComparison.Ordinal));
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(backup, "manifest.json")))!;
        Assert.Equal(Db == Db.Postgres ? "postgres" : "sqlite", manifest["provider"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(manifest["schemaMigration"]!.GetValue<string>()));

        // What the source holds (the things that no longer change).
        var before = await SnapshotAsync(source);

        var target = Directory.CreateTempSubdirectory("whistle-restored-").FullName;
        var targetDb = Db == Db.Postgres ? TestPostgres.NewDatabase() : null;
        try
        {
            var restore = await DataOpsProcess.RunAsync(DataOpsProcess.Env(target, targetDb), "restore", backup, "--keys", keys);
            Assert.True(restore.ExitCode == 0, restore.All);
            Assert.Matches(@"subscribers\s+" + before.Subscribers.Count, restore.Out);
            Assert.Matches(@"incidents\s+" + before.Incidents.Count, restore.Out);

            var settings = new Dictionary<string, string?> { ["Whistle:DataDir"] = target };
            if (targetDb is not null)
            {
                settings["Whistle:Database:Provider"] = "postgres";
                settings["Whistle:Database:ConnectionString"] = targetDb;
            }
            using (var restored = new CustomApp(settings))
            {
                var after = await SnapshotAsync(restored);
                Assert.Equal(before.Subscribers, after.Subscribers);
                Assert.Equal(before.Sightings, after.Sightings);
                Assert.Equal(before.Alerts, after.Alerts);
                Assert.Equal(before.Incidents, after.Incidents);
                Assert.Equal(before.Evidence, after.Evidence);
                Assert.Equal(before.Submissions, after.Submissions);
                Assert.Equal(before.Reports, after.Reports);
                Assert.Contains(sighting + ":Confirmed", after.Sightings);

                await using (var scope = restored.Services.CreateAsyncScope())
                {
                    var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
                    var keyRing = scope.ServiceProvider.GetRequiredService<KeyRing>();
                    // The restored ring reads the restored data: an address, and every evidence file's bytes hash as recorded.
                    var hash = keyRing.Hash(Addresses.LookupKey(SubscriberChannel.Email, "restored-reader@example.org"));
                    Assert.Equal(ring.Hash(Addresses.LookupKey(SubscriberChannel.Email, "restored-reader@example.org")), hash);
                    var reader = await db.Subscribers.SingleAsync(s => s.AddressHash == hash);
                    Assert.Equal("restored-reader@example.org", keyRing.Decrypt(reader.AddressCipher!, Purpose.SubscriberAddress));
                    var store = scope.ServiceProvider.GetRequiredService<EvidenceStore>();
                    var items = await db.Evidence.AsNoTracking().ToListAsync();
                    Assert.Contains(items, i => i.Sha256 == Convert.ToHexStringLower(SHA256.HashData(file)));
                    foreach (var item in items)
                    {
                        await using var read = store.OpenRead(item.Sha256);
                        Assert.Equal(item.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(read)));
                    }
                    foreach (var id in before.Incidents.Select(Guid.Parse))
                        Assert.True((await EvidenceFixtures.VerifyAsync(restored, id)).Intact, $"custody of {id}");
                }

                // `custody verify` from the command line, on the restored network.
                var verify = await DataOpsProcess.RunAsync(DataOpsProcess.Env(target, targetDb), "custody", "verify", incident.ToString());
                Assert.True(verify.ExitCode == 0, verify.All);
                Assert.Contains("intact", verify.Out);

                // The restored network finishes the alert: everyone reached, nobody twice by the restored node.
                var staff = await restored.StaffAsync("dispatcher");
                var done = await WhistleApp.EventuallyAsync(async () => (await staff.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
                    a => a["deliveries"]!["pending"]!.GetValue<int>() == 0, "the restored network to finish the alert", timeoutMs: 60_000);
                Assert.Equal(recipients, done["deliveries"]!["sent"]!.GetValue<int>());
                var again = restored.Outbox().Where(l => l.AlertId == alertId).Select(l => l.Recipient).ToList();
                Assert.Equal(again.Count, again.Distinct().Count());
            }
        }
        finally
        {
            if (targetDb is not null) TestPostgres.DropDatabase(targetDb);
            SqliteConnection.ClearAllPools();
            foreach (var path in new[] { target, backup }) try { Directory.Delete(path, recursive: true); } catch (IOException) { }
            File.Delete(keys);
        }
    }

    private sealed record Snapshot(List<string> Subscribers, List<string> Sightings, List<string> Alerts, List<string> Incidents,
        List<string> Evidence, List<string> Submissions, int Reports);

    private static async Task<Snapshot> SnapshotAsync(WhistleApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        return new(
            (await db.Subscribers.Select(s => new { s.Id, s.AddressHash, s.State }).ToListAsync()).Select(s => $"{s.Id}:{Convert.ToHexString(s.AddressHash)}:{s.State}").Order().ToList(),
            (await db.Sightings.Select(s => new { s.Id, s.State }).ToListAsync()).Select(s => $"{s.Id}:{s.State}").Order().ToList(),
            (await db.Alerts.Select(a => a.Id).ToListAsync()).Select(a => a.ToString()).Order().ToList(),
            (await db.Incidents.Select(i => i.Id).ToListAsync()).Select(i => i.ToString()).Order().ToList(),
            (await db.Evidence.Select(e => new { e.IncidentId, e.Sha256 }).ToListAsync()).Select(e => $"{e.IncidentId}:{e.Sha256}").Order().ToList(),
            (await db.Submissions.Select(s => s.Id).ToListAsync()).Select(s => s.ToString()).Order().ToList(),
            await db.Reports.CountAsync());
    }

    private async Task<string> BackupAsync()
    {
        _ = app.Services;
        var dir = NewPath("whistle-backup-");
        var run = await DataOpsProcess.RunAsync(DataOpsProcess.Env(app), "backup", dir);
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("key ring was NOT written", run.Out);
        return dir;
    }

    /// <summary>A target that is empty, restored into, and found still empty: nothing in its data dir, no table in its database.</summary>
    private async Task RefusedIntoEmptyTargetAsync(string backup, string expected, params string[] extra)
    {
        var target = Directory.CreateTempSubdirectory("whistle-target-").FullName;
        var targetDb = Db == Db.Postgres ? TestPostgres.NewDatabase() : null;
        try
        {
            var run = await DataOpsProcess.RunAsync(DataOpsProcess.Env(target, targetDb), ["restore", backup, .. extra]);
            Assert.True(run.ExitCode == 1, run.All);
            Assert.Contains(expected, run.Err);
            Assert.Contains("Nothing was written", run.Err);
            Assert.All(Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories), f => Assert.Equal(0, new FileInfo(f).Length));
            if (targetDb is not null) Assert.Equal(0, DataOpsProcess.TableCount(targetDb));
        }
        finally
        {
            if (targetDb is not null) TestPostgres.DropDatabase(targetDb);
            try { Directory.Delete(target, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("database")]
    [InlineData("evidence")]
    [InlineData("added")]
    [InlineData("manifest")]
    public async Task A_changed_backup_is_refused_before_anything_is_written(string change)
    {
        var backup = await BackupAsync();
        try
        {
            var database = Path.Combine(backup, Db == Db.Postgres ? "database.pgdump" : "database.sqlite");
            var evidence = Directory.EnumerateFiles(Path.Combine(backup, "files", "evidence"), "*", SearchOption.AllDirectories).First();
            string expected;
            switch (change)
            {
                case "database" or "evidence":
                {
                    var path = change == "database" ? database : evidence;
                    var bytes = await File.ReadAllBytesAsync(path);
                    bytes[bytes.Length / 2] ^= 0x01; // one bit
                    await File.WriteAllBytesAsync(path, bytes);
                    expected = "differs from the backup's manifest";
                    break;
                }
                case "added":
                    await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(evidence)!, "planted"), "not from the backup");
                    expected = "not in its manifest";
                    break;
                default:
                {
                    // A manifest rewritten to send a file outside the data dir on restore.
                    var manifestPath = Path.Combine(backup, "manifest.json");
                    var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
                    manifest["files"]!.AsArray().Add(new JsonObject { ["path"] = "files/../../escape", ["size"] = 1, ["sha256"] = "00" });
                    await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString());
                    expected = "outside the backup";
                    break;
                }
            }
            await RefusedIntoEmptyTargetAsync(backup, expected);
        }
        finally
        {
            try { Directory.Delete(backup, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("keys.json")]
    [InlineData("sub/../keys.json")]
    [InlineData(".")]
    public async Task A_key_ring_written_inside_the_backup_is_refused(string inside)
    {
        _ = app.Services;
        var backup = NewPath("whistle-backup-");
        var keys = Path.Combine(backup, inside);
        var run = await DataOpsProcess.RunAsync(DataOpsProcess.Env(app), "backup", backup, "--keys", keys);
        Assert.True(run.ExitCode == 1, run.All);
        Assert.Contains("inside the backup", run.Err);
        Assert.Contains("a stolen backup without its keys reads nothing", run.Err);
        Assert.False(Directory.Exists(backup)); // nothing written
    }

    [Fact]
    public async Task Restore_never_writes_over_a_live_network()
    {
        var backup = await BackupAsync();
        try
        {
            await using (var scope = app.Services.CreateAsyncScope())
                Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<WhistleDb>().Network.CountAsync());
            // Into the running network itself: its data dir and its database.
            var live = await DataOpsProcess.RunAsync(DataOpsProcess.Env(app), "restore", backup);
            Assert.True(live.ExitCode == 1, live.All);
            Assert.Contains("is not empty", live.Err);

            // An empty data dir, but the live database (PostgreSQL); or a data dir with anything in it (SQLite).
            var dir = Directory.CreateTempSubdirectory("whistle-target-").FullName;
            try
            {
                if (Db == Db.Postgres)
                {
                    var run = await DataOpsProcess.RunAsync(DataOpsProcess.Env(dir, app.Settings["Whistle:Database:ConnectionString"]), "restore", backup);
                    Assert.True(run.ExitCode == 1, run.All);
                    Assert.Contains("already holds", run.Err);
                    Assert.Empty(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories));
                }
                else
                {
                    await File.WriteAllTextAsync(Path.Combine(dir, "notes.txt"), "an organiser's file");
                    var run = await DataOpsProcess.RunAsync(DataOpsProcess.Env(dir), "restore", backup);
                    Assert.True(run.ExitCode == 1, run.All);
                    Assert.Contains("is not empty", run.Err);
                    Assert.Equal(0, new FileInfo(Path.Combine(dir, "whistle.db")).Length);
                }
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }

            // The network goes on as it was.
            Assert.True((await app.CreateClient().GetAsync("/healthz")).IsSuccessStatusCode);
            await using (var scope = app.Services.CreateAsyncScope())
                Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<WhistleDb>().Network.CountAsync());
        }
        finally
        {
            try { Directory.Delete(backup, recursive: true); } catch (IOException) { }
        }
    }
}

public sealed class BackupRestoreTestsSqlite(SqliteApp a) : BackupRestoreTests<SqliteApp>(a);

public sealed class BackupRestoreTestsPostgres(PostgresApp a) : BackupRestoreTests<PostgresApp>(a);
