using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Identity;
using Whistle.Privacy;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 13 §1 and docs/seizure.md, row by row: distinctive values seeded through the HTTP API, then every file of the
/// data directory (database, -wal, -shm, key files, evidence, token keys) read byte by byte — while the app runs (WAL
/// not checkpointed) and after it stopped (checkpointed) — for each value as UTF-8, UTF-16 and, for coordinates, as
/// IEEE doubles (both byte orders: SQLite stores REAL big-endian) and as decimal text at 3, 4 and 5 decimals.
/// The development outbox (dev-outbox.jsonl: the SMS/e-mail sink used only without a provider) is left out: it holds
/// every message sent, by design, and docs/seizure.md says so.
/// </summary>
public sealed class SeizureTests
{
    private const string NetworkName = "Seizure Test Network";
    private const string Email = "seized.subscriber.q7@example.org";
    private const string Phone = "+16125550931";
    private const double CircleLat = 44.93817, CircleLon = -93.24163;
    private const double ReportLat = 44.94127, ReportLon = -93.25219;
    private const string ReportText = "Two agents in grey vests QZTEXTMARK near the bus shelter";
    private const string PlaceText = "behind the laundromat QZPLACEMARK";
    private const string ReportContact = "+16125550932";
    private const string WitnessName = "Witnessname Qzseizure";
    private const string WitnessContact = "+16125550933";
    private const string Statement = "I saw them take him QZSTATEMENTMARK from the porch";
    private const string StatusNote = "Family asked us QZSTATUSNOTEMARK to wait";
    private const string TimelineText = "Lawyer called QZTIMELINEMARK at noon";
    private const string FollowUp = "Call the family QZFOLLOWUPMARK tomorrow";
    private const string EvidenceMarker = "QZEVIDENCEMARK-8d1f";

    private sealed record Value(string Name, byte[][] Patterns);

    private static Value Text(string name, string text) => new(name,
        [Encoding.UTF8.GetBytes(text), Encoding.Unicode.GetBytes(text), Encoding.BigEndianUnicode.GetBytes(text)]);

    private static Value Coordinate(string name, double value)
    {
        var le = BitConverter.GetBytes(value);
        var be = le.Reverse().ToArray();
        var texts = new[] { 5, 4, 3 }.SelectMany(d => new[]
        {
            Math.Round(value, d).ToString("F" + d, System.Globalization.CultureInfo.InvariantCulture),
            (Math.Truncate(value * Math.Pow(10, d)) / Math.Pow(10, d)).ToString("F" + d, System.Globalization.CultureInfo.InvariantCulture),
        }).Distinct();
        return new(name, [le, be, .. texts.SelectMany(t => new[] { Encoding.UTF8.GetBytes(t), Encoding.Unicode.GetBytes(t) })]);
    }

    /// <summary>
    /// What docs/seizure.md says stays in clear on purpose: an incident's timeline (public events, what an export gives
    /// lawyers). The first row checks that the table tells the truth about it too.
    /// </summary>
    private static readonly Value[] InClearByDesign = [Text("incident timeline text", "QZTIMELINEMARK")];

    private static readonly Value[] Values =
    [
        Text("subscriber e-mail", Email), Text("subscriber phone", Phone), Text("subscriber phone (national)", "6125550931"),
        Coordinate("circle centre lat", CircleLat), Coordinate("circle centre lon", CircleLon),
        Coordinate("report lat", ReportLat), Coordinate("report lon", ReportLon),
        Text("report text", "QZTEXTMARK"), Text("report place text", "QZPLACEMARK"), Text("report contact", ReportContact),
        Text("witness name", WitnessName), Text("witness contact", WitnessContact), Text("witness statement", "QZSTATEMENTMARK"),
        Text("incident status note", "QZSTATUSNOTEMARK"), Text("incident follow-up", "QZFOLLOWUPMARK"),
        Text("evidence file content", EvidenceMarker),
    ];

    private static Dictionary<string, string?> Settings(string dataDir, Dictionary<string, string?>? more = null)
    {
        var s = new Dictionary<string, string?>
        {
            ["Whistle:DataDir"] = dataDir, ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://network.test",
            ["Whistle:Network:Name"] = NetworkName, ["Whistle:Network:TimeZone"] = "America/Chicago",
        };
        foreach (var (k, v) in more ?? []) s[k] = v;
        return s;
    }

    private static async Task<(HttpClient Client, string Password)> AdminAsync(WhistleApp app)
    {
        var email = $"admin-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Admin, password)).Succeeded);
        var client = app.CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>());
        return (client, password);
    }

    private static async Task<JsonObject> Created(HttpResponseMessage res)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK or HttpStatusCode.Accepted, $"{(int)res.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Every value of the table, through the API as people enter them.</summary>
    private static async Task SeedAsync(WhistleApp app)
    {
        var client = app.CreateClient();
        // Not the subject here: staff of this new network may work without a second factor (the demo's policy).
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
            var profile = db.Network.OrderBy(n => n.Id).First();
            profile.SecondFactorRoles = "";
            await db.SaveChangesAsync();
        }
        var circle = new { lat = CircleLat, lon = CircleLon, radiusMeters = 300 };
        await app.SubscribeAsync(client, "email", Email, "en", circle: circle);
        await app.SubscribeAsync(client, "sms", Phone, "es", circle: circle);
        await Created(await client.PostAsJsonAsync("/api/v1/reports", new
        {
            activity = "arrest", lat = ReportLat, lon = ReportLon, placeText = PlaceText, text = ReportText, contact = ReportContact,
        }));
        var doc = await app.StaffAsync("documenter");
        var incident = await Created(await doc.PostAsJsonAsync("/api/v1/incidents", new
        {
            title = "Arrest on a porch", occurredAt = DateTimeOffset.UtcNow.AddHours(-2), place = "Longfellow", category = "arrest",
            agencies = new[] { "ice" }, peopleAffected = 1, statusNote = StatusNote,
        }));
        var id = incident["id"]!.GetValue<string>();
        await Created(await doc.PostAsJsonAsync($"/api/v1/incidents/{id}/witnesses", new
        {
            text = Statement, consent = "internal", consentAt = DateTimeOffset.UtcNow.AddMinutes(-5), name = WitnessName, contact = WitnessContact,
        }));
        await Created(await doc.PostAsJsonAsync($"/api/v1/incidents/{id}/timeline", new { at = DateTimeOffset.UtcNow.AddHours(-1), source = "documenter", text = TimelineText }));
        await Created(await doc.PostAsJsonAsync($"/api/v1/incidents/{id}/follow-ups", new { kind = "other", description = FollowUp, owner = "documenter" }));
        var evidence = new ByteArrayContent(Encoding.UTF8.GetBytes($"Scene notes.\n{EvidenceMarker}\nEnd.\n"));
        evidence.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain; charset=utf-8");
        await Created(await doc.PostAsync($"/api/v1/incidents/{id}/evidence?fileName=scene-notes.txt", evidence));
    }

    private static byte[] ReadShared(string file)
    {
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var ms = new MemoryStream();
            fs.CopyTo(ms);
            return ms.ToArray();
        }
        catch (FileNotFoundException) { return []; } // a -wal checkpointed away between listing and reading
    }

    /// <summary>Every file of the data dir; -wal and -shm before the database (a checkpoint moves their pages into it).</summary>
    private static List<(string Name, byte[] Bytes)> Files(string dataDir) =>
        Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "dev-outbox.jsonl")
            .OrderBy(f => f.EndsWith("whistle.db") ? 1 : 0)
            .Select(f => (Path.GetRelativePath(dataDir, f), ReadShared(f))).ToList();

    private static List<string> Find(string dataDir, IEnumerable<Value> values)
    {
        var found = new List<string>();
        var files = Files(dataDir);
        Assert.Contains(files, f => f.Name == "whistle.db");
        foreach (var value in values)
            foreach (var (name, bytes) in files)
                if (value.Patterns.Any(p => bytes.AsSpan().IndexOf(p) >= 0)) { found.Add($"{value.Name} in {name}"); break; }
        return found;
    }

    /// <summary>The key material of a ring: each key as base64 (as in keys.json) and as raw bytes.</summary>
    private static Value[] KeyMaterial(string ringJson)
    {
        var node = JsonNode.Parse(ringJson)!;
        var b64 = node["keys"]!.AsObject().Select(k => k.Value!.GetValue<string>()).Append(node["hmac"]!.GetValue<string>()).ToList();
        return b64.Select((k, i) => new Value($"key material #{i}", [Encoding.UTF8.GetBytes(k), Convert.FromBase64String(k)])).ToArray();
    }

    private static void AssertNothingFound(string dataDir, string when)
    {
        var found = Find(dataDir, Values);
        Assert.True(found.Count == 0, $"Plain values found in the data directory ({when}):\n  " + string.Join("\n  ", found));
    }

    private static async Task StopAsync(WhistleApp app)
    {
        await app.DisposeAsync();
        SqliteConnection.ClearAllPools(); // the last connection closes: SQLite checkpoints the WAL into the database
    }

    [Fact]
    public async Task Key_file_on_the_disk_no_value_in_clear_but_ten_lines_of_script_with_keys_json_decrypt_the_addresses()
    {
        var dir = Directory.CreateTempSubdirectory("whistle-seize-a-").FullName;
        var app = new CustomApp(Settings(dir));
        await SeedAsync(app);
        var whileRunning = Find(dir, Values);
        Assert.True(Find(dir, InClearByDesign).Count == InClearByDesign.Length, "docs/seizure.md says timelines are in clear; the files disagree");
        await StopAsync(app);

        // The seizer's ten lines: the key file beside the database opens every address.
        var ring = KeyRing.FromJson(await File.ReadAllTextAsync(Path.Combine(dir, "keys.json")));
        var addresses = new List<string>();
        await using (var conn = new SqliteConnection($"Data Source={Path.Combine(dir, "whistle.db")};Mode=ReadOnly;Pooling=False"))
        {
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT AddressCipher FROM Subscribers WHERE AddressCipher IS NOT NULL";
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) addresses.Add(ring.Decrypt((byte[])reader[0], Purpose.SubscriberAddress));
        }
        Assert.Contains(Email, addresses);
        Assert.Contains(Phone, addresses);

        Assert.True(whileRunning.Count == 0, "Plain values found while running (WAL not checkpointed):\n  " + string.Join("\n  ", whileRunning));
        AssertNothingFound(dir, "after stop, WAL checkpointed");
    }

    [Theory]
    [InlineData("setting")]
    [InlineData("key-file")]
    public async Task Key_kept_elsewhere_neither_values_nor_key_material_are_in_the_data_directory(string where)
    {
        var dir = Directory.CreateTempSubdirectory("whistle-seize-b-").FullName;
        var ring = KeyRing.CreateNew();
        var json = ring.ToJson();
        var more = new Dictionary<string, string?>();
        if (where == "setting") more["Whistle:Encryption:Keys"] = json;
        else
        {
            var stick = Path.Combine(Directory.CreateTempSubdirectory("whistle-stick-").FullName, "keys.json");
            ring.Save(stick);
            more["Whistle:Encryption:KeyFile"] = stick;
        }
        var app = new CustomApp(Settings(dir, more));
        await SeedAsync(app);
        var keysWhileRunning = Find(dir, KeyMaterial(json));
        var whileRunning = Find(dir, Values);
        await StopAsync(app);

        Assert.False(File.Exists(Path.Combine(dir, "keys.json")));
        Assert.Empty(keysWhileRunning);
        Assert.Empty(Find(dir, KeyMaterial(json)));
        Assert.True(whileRunning.Count == 0, "Plain values found while running (WAL not checkpointed):\n  " + string.Join("\n  ", whileRunning));
        AssertNothingFound(dir, "after stop, WAL checkpointed");
    }

    [Fact]
    public async Task After_keys_destroy_from_the_console_nothing_is_recoverable_public_pages_run_and_keyed_operations_answer_503()
    {
        var dir = Directory.CreateTempSubdirectory("whistle-seize-c-").FullName;
        var app = new CustomApp(Settings(dir));
        await SeedAsync(app);
        var ringJson = await File.ReadAllTextAsync(Path.Combine(dir, "keys.json"));
        var (admin, password) = await AdminAsync(app);

        // A wrong name or password destroys nothing.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/keys/destroy", new { confirmation = "seizure test", password })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/keys/destroy", new { confirmation = NetworkName, password = "not it" })).StatusCode);
        Assert.True(File.Exists(Path.Combine(dir, "keys.json")));
        var dispatcher = await app.StaffAsync("dispatcher");
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsJsonAsync("/api/v1/keys/destroy", new { confirmation = NetworkName, password = "x" })).StatusCode);

        var destroyed = await Created(await admin.PostAsJsonAsync("/api/v1/keys/destroy", new { confirmation = NetworkName, password }));
        Assert.True(destroyed["destroyed"]!.GetValue<bool>());
        Assert.Contains(app.Logs, l => l.Contains("Key ring destroyed by staff"));
        Assert.DoesNotContain(app.Logs, l => l.Contains(Email) || l.Contains(WitnessName));
        await AssertDestroyedServiceAsync(app);
        var keysWhileRunning = Find(dir, KeyMaterial(ringJson));
        var whileRunning = Find(dir, Values);
        await StopAsync(app);

        Assert.False(File.Exists(Path.Combine(dir, "keys.json")));
        var marker = await File.ReadAllTextAsync(Path.Combine(dir, "keys.destroyed"));
        Assert.Contains(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"), marker);
        Assert.Empty(keysWhileRunning);
        Assert.Empty(Find(dir, KeyMaterial(ringJson)));

        // A restart does not make a new ring: it still refuses what needs the keys and serves the public side.
        var again = new CustomApp(Settings(dir));
        await AssertDestroyedServiceAsync(again);
        Assert.False(File.Exists(Path.Combine(dir, "keys.json")));
        await StopAsync(again);

        Assert.True(whileRunning.Count == 0, "Plain values found while running (WAL not checkpointed):\n  " + string.Join("\n  ", whileRunning));
        AssertNothingFound(dir, "after stop, WAL checkpointed");
    }

    private static async Task AssertDestroyedServiceAsync(WhistleApp app)
    {
        var client = app.CreateClient();
        foreach (var page in new[] { "/", "/api/v1/alerts/active", "/feeds/alerts.atom", "/healthz" })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(page)).StatusCode);
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "email", address = "new.person@example.org", language = "en", circle = new { lat = 44.95, lon = -93.26, radiusMeters = 300 } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(KeyRingSetup.DestroyedType, problem["type"]!.GetValue<string>());
        var report = await client.PostAsJsonAsync("/api/v1/reports", new { activity = "arrest", lat = 44.95, lon = -93.26, contact = "+16125550144" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, report.StatusCode);
        Assert.Contains("keys-destroyed", await (await client.GetAsync("/console/login")).Content.ReadAsStringAsync());
    }
}
