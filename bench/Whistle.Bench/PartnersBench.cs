using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Federation;

/// <summary>
/// The public partner alerts (GET /api/v1/partner-alerts) as partners send a small feed, then their worst allowed feed
/// (issue 14 §1, decision 0033). Each partner's messages go through the import rules (simplification, per-message and
/// per-partner budgets) into a SQLite database; then the endpoint's work is timed: the one build after a change, and a
/// request served from the shared document (one stamp query), with bytes allocated per request and the answer's size.
/// The last column is what the old endpoint did on every request (load the newest 200, serialise them), for contrast.
///   dotnet run -c Release --project bench/Whistle.Bench -- partners [--partners 4] [--requests 200]
/// </summary>
public static class PartnersBench
{
    public static async Task RunAsync(int partners, int requests)
    {
        Console.WriteLine("feed   partners  rows  vertices  build ms  bytes      per request µs  alloc/request  old per request ms  old bytes");
        await RunCaseAsync("small", partners, worst: false, requests);
        await RunCaseAsync("worst", partners, worst: true, requests);
    }

    private static async Task RunCaseAsync(string name, int partners, bool worst, int requests)
    {
        var dir = Directory.CreateTempSubdirectory("whistle-partners-bench-").FullName;
        try
        {
            WhistleDb NewDb() => new SqliteWhistleDb(new DbContextOptionsBuilder<SqliteWhistleDb>()
                .UseSqlite(DataSetup.SqliteConnectionString(dir)).AddInterceptors(SqlitePragmas.Instance).Options);
            var options = new WhistleOptions();
            var o = options.Federation;
            for (int p = 0; p < partners; p++) o.Partners.Add(new PartnerOptions { Name = $"Partner {p}", FeedUrl = $"https://p{p}.example.org/feed" });
            var now = DateTimeOffset.UtcNow;
            await using (var db = NewDb())
            {
                await db.Database.MigrateAsync();
                foreach (var partner in o.Partners)
                {
                    int held = 0, vertices = 0;
                    for (int i = 0; i < (worst ? 200 : 1); i++) // a hostile feed sends 200 entries; the budgets decide what stays
                    {
                        var xml = Message($"{partner.Name}-{i}", now.AddMinutes(-i), worst ? 4 : 0, worst ? 500 : 0, i); // 4 × 500 saw-tooth points: each ring survives simplification at its cap
                        PartnerAlert row;
                        try { row = FederationImport.ToRow(partner.Name, Cap.Parse(XElement.Parse(xml), now), now, o); }
                        catch (FeedRejected) { continue; }
                        if (held + 1 > o.MaxActivePerPartner || vertices + row.Vertices > o.MaxVerticesPerPartner) continue; // refused
                        row.ChainId = row.Id;
                        db.PartnerAlerts.Add(row);
                        (held, vertices) = (held + 1, vertices + row.Vertices);
                    }
                }
                await db.SaveChangesAsync();
            }
            int rows, totalVertices;
            await using (var db = NewDb())
            {
                rows = await db.PartnerAlerts.CountAsync();
                totalVertices = await db.PartnerAlerts.SumAsync(p => p.Vertices);
            }

            var json = new Microsoft.AspNetCore.Http.Json.JsonOptions();
            var shown = new PublicPartnerAlerts(Options.Create(options), Options.Create(json), TimeProvider.System, NullLogger<PublicPartnerAlerts>.Instance);
            var clock = Stopwatch.StartNew();
            PublicPartnerAlerts.Snapshot snapshot;
            await using (var db = NewDb()) snapshot = await shown.GetAsync(db, default);
            var build = clock.Elapsed;

            // Served: what every later request costs until the next change.
            await using (var db = NewDb()) await shown.GetAsync(db, default); // warm
            GC.Collect();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            clock.Restart();
            for (int i = 0; i < requests; i++)
                await using (var db = NewDb()) await shown.GetAsync(db, default);
            var perRequest = clock.Elapsed / requests;
            long alloc = (GC.GetTotalAllocatedBytes(precise: true) - before) / requests;

            // The old endpoint: every request loaded the newest 200 shown rows and serialised them.
            int oldRuns = Math.Max(1, requests / 20);
            long oldBytes = 0;
            clock.Restart();
            for (int i = 0; i < oldRuns; i++)
                await using (var db = NewDb())
                    oldBytes = JsonSerializer.SerializeToUtf8Bytes(FederationApi.GeoJson(await FederationImport.Shown(db, DateTimeOffset.UtcNow)
                        .OrderByDescending(p => p.Sent).Take(200).ToListAsync()), json.SerializerOptions).Length;
            var old = clock.Elapsed / oldRuns;

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-6} {partners,8} {rows,5} {totalVertices,9} {build.TotalMilliseconds,9:F1}  {snapshot.Json.Length,-9}  {perRequest.TotalMicroseconds,13:F0}  {alloc,13:N0}  {old.TotalMilliseconds,18:F1}  {oldBytes}"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A CAP alert: a small circle, or <paramref name="polygons"/> saw-tooth rings of <paramref name="points"/> points (no simplifier can smooth them).</summary>
    private static string Message(string id, DateTimeOffset sent, int polygons, int points, int seed)
    {
        var sb = new StringBuilder();
        sb.Append($"<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>{id.Replace(' ', '-')}</identifier><sender>bench@example.org</sender>");
        sb.Append($"<sent>{sent:yyyy-MM-ddTHH:mm:ssK}</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>");
        sb.Append("<info><language>en-US</language><category>Safety</category><event>Immigration enforcement activity</event>");
        sb.Append("<urgency>Immediate</urgency><severity>Moderate</severity><certainty>Observed</certainty>");
        sb.Append($"<expires>{sent.AddYears(70):yyyy-MM-ddTHH:mm:ssK}</expires><headline>Checkpoint {seed}</headline><description>Agents seen.</description><area><areaDesc>Lake St</areaDesc>");
        if (polygons == 0) sb.Append("<circle>44.9485,-93.2555 1.5</circle>");
        for (int k = 0; k < polygons; k++)
        {
            sb.Append("<polygon>");
            var first = "";
            for (int i = 0; i < points - 1; i++)
            {
                double a = 2 * Math.PI * i / (points - 1), r = 0.01 + (i % 2 == 0 ? 0.002 : 0);
                var pt = string.Create(CultureInfo.InvariantCulture, $"{44.95 + k * 0.001 + r * Math.Sin(a):F6},{-93.26 + r * Math.Cos(a):F6}");
                if (i == 0) first = pt;
                sb.Append(pt).Append(' ');
            }
            sb.Append(first).Append("</polygon>");
        }
        sb.Append("</area></info></alert>");
        return sb.ToString();
    }
}
