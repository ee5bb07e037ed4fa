using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Identity;
using Whistle.Tests.Unit;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §6 over HTTP: a multi-picture JPEG's public copy holds no GPS; every byte of evidence served is covered
/// by a "viewed" custody entry, whatever the Range syntax; nothing behind a login is cacheable.
/// </summary>
public abstract class FilesAndLinksTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static string Url(Guid incident, string rest = "") => $"/api/v1/incidents/{incident}/evidence{rest}";

    private async Task<(Guid Incident, long Id, byte[] Bytes)> PdfAsync(HttpClient doc)
    {
        var incident = await CreateIncidentAsync(app);
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% a statement " + Guid.NewGuid() + "\n" + new string('x', 2000) + "\n%%EOF\n");
        var res = await doc.PostAsync(Url(incident, "?fileName=statement.pdf"), Body(pdf, "application/pdf"));
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (incident, (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>(), pdf);
    }

    /// <summary>
    /// A GET with the Range header exactly as written (HttpClient would re-write some forms, "bytes=00-10" to
    /// "bytes=0-10"): the request is built on the test server's HttpContext itself.
    /// </summary>
    private async Task<(int Status, byte[] Body)> RawGetAsync(HttpClient who, string path, string? range)
    {
        var ctx = await app.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = path;
            c.Request.Headers.Authorization = who.DefaultRequestHeaders.Authorization!.ToString();
            if (range is not null) c.Request.Headers.Range = range;
        });
        var body = new MemoryStream();
        await ctx.Response.Body.CopyToAsync(body);
        return (ctx.Response.StatusCode, body.ToArray());
    }

    [Fact]
    public async Task The_public_copy_of_a_multi_picture_JPEG_holds_no_GPS_of_its_second_picture()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var res = await doc.PostAsync(Url(incident, "?fileName=IMG_0001.jpg"), Body(PublicCopyTests.MultiPictureJpeg(), "image/jpeg"));
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var item = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var copy = await doc.GetByteArrayAsync(Url(incident, $"/{item["id"]}/public"));
        PublicCopyTests.AssertNoLocation(copy, "public copy");
        Assert.Equal(JpegWithoutMetadata(), copy);
        Assert.Equal(item["publicSha256"]!.GetValue<string>(), Sha(copy));
        Assert.True((await VerifyAsync(app, incident)).Intact);
    }

    [Fact]
    public async Task WebP_and_HEIC_are_kept_as_evidence_with_no_public_copy_at_all()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        byte[] webp = [.. "RIFF"u8, 40, 0, 0, 0, .. "WEBP"u8, .. "EXIF"u8, 30, 0, 0, 0, .. ExifWithGps()[6..36]];
        var item = (await (await doc.PostAsync(Url(incident), Body(webp, "image/webp"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Null(item["publicSha256"]);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.GetAsync(Url(incident, $"/{item["id"]}/public"))).StatusCode);
    }

    [Theory]
    [InlineData("bytes=0-0")]
    [InlineData("BYTES=0-10")]
    [InlineData("Bytes=0-10")]
    [InlineData("bytes=00-10")]
    [InlineData("bytes=000-10")]
    [InlineData("bytes=-500")]
    [InlineData("bytes=0-1,5-9")]
    [InlineData("bytes=5-9,0-1")]
    [InlineData("bytes= 0-1")]
    [InlineData("bytes=1-")]
    [InlineData("bytes=100-199")]
    [InlineData("bytes=99999-")] // unsatisfiable: no bytes, logged all the same
    public async Task Every_range_form_that_serves_evidence_bytes_is_a_viewed_custody_entry(string range)
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var (incident, id, pdf) = await PdfAsync(doc);
        int before = (await CustodyAsync(app, incident)).Count;
        var (status, body) = await RawGetAsync(doc, Url(incident, $"/{id}"), range);
        Assert.True(status is 200 or 206 or 416, $"{range}: {status}");
        if (status != 416) Assert.NotEmpty(body);
        var chain = await CustodyAsync(app, incident);
        var viewed = Assert.Single(chain.Skip(before));
        Assert.Equal(("viewed", "evidence", id.ToString(), Sha(pdf)), (viewed.Action, viewed.ObjectType, viewed.ObjectId, viewed.ObjectHash));
        Assert.StartsWith("documenter-", viewed.Actor);
        Assert.True((await VerifyAsync(app, incident)).Intact);
    }

    [Fact]
    public async Task A_players_follow_up_ranges_are_the_same_persons_view_another_persons_range_is_its_own()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var (incident, id, _) = await PdfAsync(doc);
        async Task Get(HttpClient c, string? range) => Assert.True((await RawGetAsync(c, Url(incident, $"/{id}"), range)).Status is 200 or 206);
        int Views(List<Whistle.Incidents.CustodyEntry> chain) => chain.Count(c => c.Action == "viewed");
        await Get(doc, "bytes=-100");
        await Get(doc, "bytes=0-10");
        await Get(doc, "bytes=200-300");
        Assert.Equal(1, Views(await CustodyAsync(app, incident)));
        var admin = await app.StaffAsync(Roles.Admin);
        await Get(admin, "bytes=200-300");
        Assert.Equal(2, Views(await CustodyAsync(app, incident)));
        await Get(doc, null); // a whole download is always its own entry
        Assert.Equal(3, Views(await CustodyAsync(app, incident)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("bytes=-10")]
    [InlineData("BYTES=0-5")]
    public async Task Downloading_the_public_copy_is_a_viewed_entry_for_that_copy(string? range)
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        byte[] jpeg = [.. JpegWithGps(), .. Encoding.ASCII.GetBytes(Guid.NewGuid().ToString())];
        var item = (await (await doc.PostAsync(Url(incident), Body(jpeg, "image/jpeg"))).Content.ReadFromJsonAsync<JsonObject>())!;
        int before = (await CustodyAsync(app, incident)).Count;
        var (status, _) = await RawGetAsync(doc, Url(incident, $"/{item["id"]}/public"), range);
        Assert.True(status is 200 or 206, status.ToString());
        var viewed = Assert.Single((await CustodyAsync(app, incident)).Skip(before));
        Assert.Equal(("viewed", item["id"]!.ToString(), item["publicSha256"]!.GetValue<string>()), (viewed.Action, viewed.ObjectId, viewed.ObjectHash));
    }

    private static void AssertNoStore(HttpResponseMessage res, string what)
    {
        Assert.True(res.Headers.CacheControl?.NoStore == true, $"{what}: Cache-Control is '{res.Headers.CacheControl}'");
        Assert.Contains("no-cache", res.Headers.Pragma.Select(p => p.Name));
        Assert.Null(res.Content.Headers.LastModified);
        Assert.Null(res.Headers.ETag);
    }

    [Fact]
    public async Task Login_sightings_users_and_evidence_are_no_store_and_evidence_has_no_Last_Modified()
    {
        var email = $"dispatcher-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Dispatcher, password)).Succeeded);
        var login = await app.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        AssertNoStore(login, "login");
        AssertNoStore(await app.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email, password = "wrong" }), "failed login");

        var dispatcher = await app.StaffAsync(Roles.Dispatcher);
        AssertNoStore(await dispatcher.GetAsync("/api/v1/sightings"), "sightings");
        var admin = await app.StaffAsync(Roles.Admin);
        AssertNoStore(await admin.GetAsync("/api/v1/users"), "users");
        AssertNoStore(await app.CreateClient().GetAsync("/api/v1/users"), "users, anonymous 401");
        AssertNoStore(await app.CreateClient().GetAsync("/console/login"), "login page");

        var doc = await app.StaffAsync(Roles.Documenter);
        var (incident, id, _) = await PdfAsync(doc);
        var file = await doc.GetAsync(Url(incident, $"/{id}"));
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        AssertNoStore(file, "evidence");
        using var part = new HttpRequestMessage(HttpMethod.Get, Url(incident, $"/{id}"));
        part.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
        var partial = await doc.SendAsync(part);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        AssertNoStore(partial, "evidence range");

        // Public outputs asked anonymously keep their caching.
        var registry = await app.CreateClient().GetAsync("/api/v1/registry/incidents");
        Assert.True(registry.Headers.CacheControl?.Public == true, registry.Headers.CacheControl?.ToString());
        Assert.NotEqual(true, (await app.CreateClient().GetAsync("/api/v1/alerts/active")).Headers.CacheControl?.NoStore);
    }
}

public sealed class FilesAndLinksTestsSqlite(SqliteApp app) : FilesAndLinksTests<SqliteApp>(app);

public sealed class FilesAndLinksTestsPostgres(PostgresApp app) : FilesAndLinksTests<PostgresApp>(app);

/// <summary>
/// Issue 14 §6: every endpoint that requires a login (its authorization metadata), and every console page, answers
/// with <c>Cache-Control: no-store</c> — to a logged-in admin and to an anonymous caller alike.
/// </summary>
public sealed class NoStoreWalkTests(NoStoreWalkTests.App app) : IClassFixture<NoStoreWalkTests.App>
{
    public sealed class App() : WhistleApp(Db.Sqlite);

    [Fact]
    public async Task Every_endpoint_behind_a_login_and_every_console_page_is_no_store()
    {
        var source = app.Services.GetRequiredService<EndpointDataSource>();
        var endpoints = source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => Whistle.Identity.NoStore.RequiresAuthorization(e) || ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith("/console", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Pattern: "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'))))
            .Where(e => e is not { Method: "POST", Pattern: "/api/v1/auth/logout" })
            .Distinct().ToList();
        Assert.True(endpoints.Count > 50, $"only {endpoints.Count} endpoints found");
        var admin = await app.StaffAsync(Roles.Admin);
        var clients = new Dictionary<string, HttpClient> { ["anonymous"] = app.CreateClient(new() { AllowAutoRedirect = false }) };
        var staff = app.CreateClient(new() { AllowAutoRedirect = false });
        staff.DefaultRequestHeaders.Authorization = admin.DefaultRequestHeaders.Authorization;
        clients["admin"] = staff;
        var wrong = new ConcurrentBag<string>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(endpoints.SelectMany(e => clients.Select(c => (e, c))).Select(async x =>
        {
            await gate.WaitAsync();
            try
            {
                var path = AuthorizationMatrixTests.Fill(x.e.Pattern);
                using var req = new HttpRequestMessage(new HttpMethod(x.e.Method), path);
                if (x.e.Method is "POST" or "PUT" or "PATCH") req.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                using var res = await x.c.Value.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
                if (res.Headers.CacheControl?.NoStore != true || res.Content.Headers.LastModified is not null || res.Headers.ETag is not null)
                    wrong.Add($"{x.e.Method} {path} as {x.c.Key}: {(int)res.StatusCode}, Cache-Control '{res.Headers.CacheControl}'");
            }
            finally { gate.Release(); }
        }));
        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.OrderBy(w => w, StringComparer.Ordinal)));
    }
}
