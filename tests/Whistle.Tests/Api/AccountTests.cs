using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Identity;

namespace Whistle.Tests.Api;

/// <summary>A test app that believes X-Forwarded-For from loopback, so tests can log in from several networks.</summary>
// The product's password cost: a test here times an unknown e-mail's login against a real one's.
public sealed class AccountSqliteApp() : WhistleApp(Db.Sqlite, new(RealPasswordCost) { ["Whistle:TrustedProxies"] = "127.0.0.1" });
public sealed class AccountPostgresApp() : WhistleApp(Db.Postgres, new(RealPasswordCost) { ["Whistle:TrustedProxies"] = "127.0.0.1" });

/// <summary>
/// Issue 11 §6, staff accounts under attack: sessions end when they must (role change, password reset, logout, an
/// admin), tokens are short and refresh tokens single-use, failed logins slow their source but lock no one out,
/// unknown e-mails are indistinguishable, passwords are not common ones, second factors (TOTP, recovery codes).
/// </summary>
public abstract class AccountTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static int _net = 10;
    /// <summary>A fresh "network" (X-Forwarded-For behind the trusted loopback proxy) per caller, so throttles do not mix.</summary>
    private static string NewSource() => $"198.51.{Interlocked.Increment(ref _net) % 250}.{RandomNumberGenerator.GetInt32(1, 250)}";

    private HttpClient Client(string? source = null)
    {
        var c = app.CreateClient();
        c.DefaultRequestHeaders.Add("X-Forwarded-For", source ?? NewSource());
        return c;
    }

    private async Task<(string Email, string Password, string Id)> AccountAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = app.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<StaffUser>>();
        return (email, password, (await users.FindByEmailAsync(email))!.Id);
    }

    private static async Task<(HttpResponseMessage Res, JsonObject? Body)> LoginAsync(HttpClient c, string email, string password, string? code = null)
    {
        var res = await c.PostAsJsonAsync("/api/v1/auth/login", new { email, password, code });
        var text = await res.Content.ReadAsStringAsync();
        return (res, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    /// <summary>A client holding a fresh session's access token; also its refresh token.</summary>
    private async Task<(HttpClient Client, string Refresh, JsonObject Tokens)> SessionAsync(string email, string password, string? code = null)
    {
        var c = Client();
        var (res, body) = await LoginAsync(c, email, password, code);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body!["accessToken"]!.GetValue<string>());
        return (c, body["refreshToken"]!.GetValue<string>(), body);
    }

    private static Task<HttpResponseMessage> RefreshAsync(HttpClient c, string refresh) =>
        c.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = refresh });

    [Fact]
    public async Task A_demoted_admins_old_token_can_neither_promote_itself_back_nor_create_an_admin()
    {
        var boss = await app.StaffAsync("admin");
        var (email, password, id) = await AccountAsync("admin");
        var (rogue, refresh, _) = await SessionAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, (await rogue.GetAsync("/api/v1/users")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await boss.PutAsJsonAsync($"/api/v1/users/{id}", new { role = "verifier" })).StatusCode);

        // The old token (which still says "admin") is refused at once: no self-promotion, no new admin, no refresh.
        Assert.Equal(HttpStatusCode.Unauthorized, (await rogue.PutAsJsonAsync($"/api/v1/users/{id}", new { role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rogue.PostAsJsonAsync("/api/v1/users", new { email = $"new-{Guid.NewGuid():N}@staff.test", role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), refresh)).StatusCode);
        var list = (await boss.GetFromJsonAsync<JsonArray>("/api/v1/users"))!;
        Assert.Equal(["verifier"], list.Single(u => u!["id"]!.GetValue<string>() == id)!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        // Logging in again gives a verifier's session.
        var (again, _, _) = await SessionAsync(email, password);
        Assert.Equal(HttpStatusCode.Forbidden, (await again.GetAsync("/api/v1/users")).StatusCode);
    }

    [Fact]
    public async Task A_password_reset_ends_every_session_of_the_account_with_its_refresh_tokens()
    {
        var admin = await app.StaffAsync("admin");
        var (email, password, id) = await AccountAsync("dispatcher");
        var (one, refresh1, _) = await SessionAsync(email, password);
        var (two, refresh2, _) = await SessionAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/api/v1/sightings")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/users/{id}/password", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await one.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await two.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), refresh1)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), refresh2)).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session_its_access_token_and_its_refresh_token_but_not_the_other_sessions()
    {
        var (email, password, _) = await AccountAsync("verifier");
        var (phone, refresh, _) = await SessionAsync(email, password);
        var (laptop, _, _) = await SessionAsync(email, password);

        Assert.Equal(HttpStatusCode.NoContent, (await phone.PostAsync("/api/v1/auth/logout", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), refresh)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/api/v1/auth/me")).StatusCode);
    }

    [Fact]
    public async Task Refresh_tokens_rotate_and_a_copied_one_used_again_ends_the_session()
    {
        var (email, password, _) = await AccountAsync("dispatcher");
        var (victim, refresh, tokens) = await SessionAsync(email, password);
        Assert.True(tokens["expiresIn"]!.GetValue<long>() is > 0 and <= 15 * 60, $"expiresIn {tokens["expiresIn"]}");

        // The owner refreshes: a new access token and a new refresh token.
        var rotated = await RefreshAsync(Client(), refresh);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var next = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotEqual(refresh, next["refreshToken"]!.GetValue<string>());
        var fresh = Client();
        fresh.DefaultRequestHeaders.Authorization = new("Bearer", next["accessToken"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/v1/sightings")).StatusCode);

        // A thief replays the copied (already used) refresh token: refused, and the whole session ends for everyone.
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), refresh)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await victim.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), next["refreshToken"]!.GetValue<string>())).StatusCode);

        // A guessed secret for a real session id is refused without ending that session (no denial of service by id).
        var (other, otherRefresh, _) = await SessionAsync(email, password);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(Client(), otherRefresh[..33] + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await RefreshAsync(Client(), "")).StatusCode);
    }

    [Fact]
    public async Task An_admin_sees_a_users_sessions_without_addresses_and_revokes_one_or_all()
    {
        var admin = await app.StaffAsync("admin");
        var (email, password, id) = await AccountAsync("dispatcher");
        var (one, _, t1) = await SessionAsync(email, password);
        var (two, _, _) = await SessionAsync(email, password);

        var listed = await admin.GetAsync($"/api/v1/users/{id}/sessions");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var text = await listed.Content.ReadAsStringAsync();
        Assert.DoesNotContain("198.51.", text);
        Assert.DoesNotContain("127.0.0.1", text);
        var sessions = JsonNode.Parse(text)!.AsArray();
        Assert.Equal(2, sessions.Count);
        // The person sees the same list, their current one marked.
        var mine = (await one.GetFromJsonAsync<JsonArray>("/api/v1/auth/sessions"))!;
        Assert.True(mine.Single(s => s!["id"]!.GetValue<Guid>() == t1["sessionId"]!.GetValue<Guid>())!["current"]!.GetValue<bool>());

        var sid = t1["sessionId"]!.GetValue<Guid>();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/users/{id}/sessions/{sid}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await one.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>($"/api/v1/users/{id}/sessions"))!);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/users/{id}/sessions")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await two.GetAsync("/api/v1/auth/me")).StatusCode);

        // Only admins: the dispatcher cannot list or end an admin's sessions.
        var (d, _, _) = await SessionAsync(email, password);
        var adminId = await WhistleApp.IdAsync(admin);
        Assert.Equal(HttpStatusCode.Forbidden, (await d.GetAsync($"/api/v1/users/{adminId}/sessions")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await d.DeleteAsync($"/api/v1/users/{adminId}/sessions")).StatusCode);
        // Nor end them through its own list.
        var adminSession = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!["sessionId"]!.GetValue<Guid>();
        Assert.Equal(HttpStatusCode.NotFound, (await d.DeleteAsync($"/api/v1/auth/sessions/{adminSession}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/users")).StatusCode);
    }

    [Fact]
    public async Task A_strangers_failed_logins_slow_the_stranger_but_do_not_lock_the_owner_out_on_their_own_network()
    {
        var (email, password, _) = await AccountAsync("dispatcher");
        var stranger = Client("203.0.113.66");
        HttpResponseMessage? last = null;
        for (int i = 0; i < 12; i++)
        {
            (last, _) = await LoginAsync(stranger, email, $"guess-number-{i}-xyz");
            if (last.StatusCode == HttpStatusCode.TooManyRequests) break;
            Assert.Equal(HttpStatusCode.Unauthorized, last.StatusCode);
        }
        // The stranger is made to wait (429 + Retry-After) — even with the right password from there.
        Assert.Equal(HttpStatusCode.TooManyRequests, last!.StatusCode);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(stranger, email, password)).Res.StatusCode);
        // A neighbour of the stranger on the same /24 waits too (the source is the network, not the device).
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(Client("203.0.113.200"), email, password)).Res.StatusCode);

        // The owner, on their own network, logs straight in: no lockout.
        var (owner, _) = await LoginAsync(Client("192.0.2.10"), email, password);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);

        // The source is the network, not the device.
        Assert.Equal("203.0.113.0/24", Whistle.Platform.ClientSource.Prefix(IPAddress.Parse("203.0.113.66")));
        Assert.Equal("2001:db8:1::/48", Whistle.Platform.ClientSource.Prefix(IPAddress.Parse("2001:db8:1:2:3::9")));
    }

    [Fact]
    public async Task An_unknown_email_gets_the_same_answer_at_the_same_cost_and_the_same_throttle()
    {
        var (email, _, _) = await AccountAsync("dispatcher");
        var unknown = $"nobody-{Guid.NewGuid():N}@staff.test";
        // Identical status and body, whatever the e-mail (title, detail; the trace id aside).
        var (k, kb) = await LoginAsync(Client(), email, "wrong-password-xyz-1");
        var (u, ub) = await LoginAsync(Client(), unknown, "wrong-password-xyz-1");
        Assert.Equal(k.StatusCode, u.StatusCode);
        Assert.Equal(kb!["title"]!.ToJsonString(), ub!["title"]!.ToJsonString());
        Assert.Equal(kb["detail"]!.ToJsonString(), ub["detail"]!.ToJsonString());
        Assert.Equal(kb.Select(p => p.Key).Order(), ub.Select(p => p.Key).Order());

        // Same cost: medians of interleaved attempts, each from its own network (so no throttle is involved).
        var known = new List<double>();
        var nobody = new List<double>();
        for (int i = 0; i < 9; i++)
        {
            known.Add(await TimeAsync(email));
            nobody.Add(await TimeAsync(unknown));
        }
        double mk = Median(known), mu = Median(nobody);
        // Before: ~3 ms for an unknown e-mail against 140–300 ms for a real one. Now both pay the PBKDF2 cost.
        // The attack shows as a factor of ~50; a loaded 2-core CI machine moves medians by up to ~1.7× (seen: 187 vs 307 ms).
        Assert.True(mu > mk * 0.4 && mu < mk * 2.5, $"median known {mk:F1} ms, unknown {mu:F1} ms");

        // Both are throttled alike: an unknown address earns the same 429 from the same source after the same failures.
        var s1 = NewSource();
        var s2 = NewSource();
        var codesKnown = new List<HttpStatusCode>();
        var codesUnknown = new List<HttpStatusCode>();
        for (int i = 0; i < 7; i++)
        {
            codesKnown.Add((await LoginAsync(Client(s1), email, "wrong-password-abc-" + i)).Res.StatusCode);
            codesUnknown.Add((await LoginAsync(Client(s2), unknown, "wrong-password-abc-" + i)).Res.StatusCode);
        }
        Assert.Equal(codesKnown, codesUnknown);
        Assert.Contains(HttpStatusCode.TooManyRequests, codesKnown);

        async Task<double> TimeAsync(string who)
        {
            var c = Client();
            var sw = Stopwatch.StartNew();
            var (res, _) = await LoginAsync(c, who, "wrong-password-xyz-2");
            sw.Stop();
            Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
            return sw.Elapsed.TotalMilliseconds;
        }
        static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
    }

    [Fact]
    public async Task Short_and_common_passwords_are_refused_for_every_account_the_bootstrap_admin_included()
    {
        await using var scope = app.Services.CreateAsyncScope();
        foreach (var weak in new[] { "short-1A!", "password1234", "Password1234!", "qwertyuiop123", "iloveyou2024!!", "aaaaaaaaaaaaaa", "123456789012" })
        {
            var r = await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, $"w-{Guid.NewGuid():N}@staff.test", "admin", weak);
            Assert.False(r.Succeeded, weak);
        }
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, $"w-{Guid.NewGuid():N}@staff.test", "admin", "otter lantern 41 gravel")).Succeeded);
        Assert.True(CommonPasswords.Count > 50_000);

        // The bootstrap admin goes through the same check: a listed password stops the start with a clear message.
        var settings = new Dictionary<string, string?> { ["Whistle:Bootstrap:AdminEmail"] = "boot@staff.test", ["Whistle:Bootstrap:AdminPassword"] = "password123456" };
        var boot = new CustomApp(settings);
        var error = Record.Exception(() => boot.CreateClient());
        try { boot.Dispose(); } catch (Exception) { /* a host that never started */ }
        Assert.NotNull(error);
        Assert.Contains("Bootstrap admin not created", error.ToString());
    }

    [Fact]
    public async Task An_authenticator_app_and_recovery_codes_guard_the_login()
    {
        var (email, password, _) = await AccountAsync("dispatcher");
        var (c, _, _) = await SessionAsync(email, password);
        var setup = await c.PostAsync("/api/v1/auth/totp/setup", null);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var key = (await setup.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PostAsJsonAsync("/api/v1/auth/totp/enable", new { code = "000000" == Totp.Code(key) ? "111111" : "000000" })).StatusCode);
        var enabled = await c.PostAsJsonAsync("/api/v1/auth/totp/enable", new { code = Totp.Code(key) });
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        var codes = (await enabled.Content.ReadFromJsonAsync<JsonObject>())!["codes"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Equal(10, codes.Count);
        // Setting it up did not end the session it was set up in.
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/sightings")).StatusCode);

        // The password alone is no longer enough.
        var (noCode, body) = await LoginAsync(Client(), email, password);
        Assert.Equal(HttpStatusCode.Unauthorized, noCode.StatusCode);
        Assert.Contains("totp", body!["secondFactor"]!.ToJsonString());
        Assert.Null(body["accessToken"]);
        var wrong = Totp.Code(key) == "123456" ? "654321" : "123456";
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(Client(), email, password, wrong)).Res.StatusCode);
        // A wrong password with a right code gets the ordinary answer.
        Assert.Equal(AuthApi.WrongLogin, (await LoginAsync(Client(), email, "not-the-password-9", Totp.Code(key))).Body!["detail"]!.GetValue<string>());

        await SessionAsync(email, password, Totp.Code(key));
        // A recovery code works once.
        await SessionAsync(email, password, codes[0]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(Client(), email, password, codes[0])).Res.StatusCode);

        // An admin resets the factor (lost phone): every session ends, the password alone works again.
        var admin = await app.StaffAsync("admin");
        var id = await WhistleApp.IdAsync(c);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/users/{id}/second-factor/reset", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/api/v1/sightings")).StatusCode);
        await SessionAsync(email, password);
    }

    [Fact]
    public async Task A_role_that_requires_a_second_factor_gets_only_the_setup_until_one_is_set_up()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var own = new CustomApp([], s => s.AddSingleton<TimeProvider>(fake));
        var admin = await own.StaffAsync("admin");
        var policy = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/second-factor-policy"))!;
        Assert.Empty(policy["roles"]!.AsArray()); // a demo network requires none by default
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/api/v1/second-factor-policy", new { roles = new[] { "root" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/second-factor-policy", new { roles = new[] { "dispatcher" } })).StatusCode);

        var email = $"d-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = own.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, "dispatcher", password)).Succeeded);
        var c = own.CreateClient();
        var login = (await (await c.PostAsJsonAsync("/api/v1/auth/login", new { email, password })).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(login["mustEnrol"]!.GetValue<bool>());
        c.DefaultRequestHeaders.Authorization = new("Bearer", login["accessToken"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await c.GetAsync("/api/v1/sightings")).StatusCode);
        var key = (await (await c.PostAsync("/api/v1/auth/totp/setup", null)).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await c.PostAsJsonAsync("/api/v1/auth/totp/enable", new { code = Totp.Code(key) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/sightings")).StatusCode);
        // With the factor required, it cannot simply be turned off again.
        Assert.Equal(HttpStatusCode.Conflict, (await c.PostAsJsonAsync("/api/v1/auth/totp/disable", new { code = Totp.Code(key) })).StatusCode);

        // Access tokens expire after 15 minutes; the refresh token carries on.
        fake.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/api/v1/sightings")).StatusCode);
        var refreshed = await c.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = login["refreshToken"]!.GetValue<string>() });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        c.DefaultRequestHeaders.Authorization = new("Bearer", (await refreshed.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/sightings")).StatusCode);
        // After the shift (12 h), the session is over.
        fake.Advance(TimeSpan.FromHours(12));
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/api/v1/sightings")).StatusCode);

        // Ended sessions are kept a week for admins to see, then housekeeping deletes them.
        async Task<int> Sessions()
        {
            await using var scope = own.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>().StaffSessions.CountAsync();
        }
        var housekeeping = own.Services.GetRequiredService<Whistle.Privacy.Housekeeping>();
        await housekeeping.RunOnceAsync(default);
        Assert.True(await Sessions() >= 2);
        fake.Advance(SessionRules.EndedKeptFor);
        await housekeeping.RunOnceAsync(default);
        Assert.Equal(0, await Sessions());
    }
}

public sealed class SqliteAccountTests(AccountSqliteApp app) : AccountTests<AccountSqliteApp>(app);

public sealed class PostgresAccountTests(AccountPostgresApp app) : AccountTests<AccountPostgresApp>(app);

/// <summary>RFC 6238 with SHA-1, 6 digits, 30 s — what an authenticator app computes.</summary>
public static class Totp
{
    public static string Code(string base32Key, DateTimeOffset? at = null)
    {
        var key = Base32(base32Key);
        long step = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() / 30;
        var counter = BitConverter.GetBytes(step);
        if (BitConverter.IsLittleEndian) Array.Reverse(counter);
        var hash = HMACSHA1.HashData(key, counter);
        int offset = hash[^1] & 0x0f;
        int binary = (hash[offset] & 0x7f) << 24 | hash[offset + 1] << 16 | hash[offset + 2] << 8 | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6");
    }

    private static byte[] Base32(string s)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var ch in s.TrimEnd('=').ToUpperInvariant())
        {
            buffer = buffer << 5 | alphabet.IndexOf(ch);
            bits += 5;
            if (bits >= 8) { bytes.Add((byte)(buffer >> (bits - 8))); bits -= 8; }
        }
        return bytes.ToArray();
    }
}
