using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Whistle.Tests.Api;

public sealed class TemplateApiTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Templates_not_written_by_a_native_speaker_need_review_until_an_admin_approves_them()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        var all = (await dispatcher.GetFromJsonAsync<JsonArray>("/api/v1/templates"))!;
        Assert.Equal(["en", "es", "hmn", "so"], all.Select(t => t!["language"]!.GetValue<string>()).Distinct().Order());
        Assert.All(all, t => Assert.Equal(t!["language"]!.GetValue<string>() != "en", t["needsReview"]!.GetValue<bool>()));

        // Message templates carry their worst-case SMS size and cost; fragments do not.
        JsonNode T(string lang, string key) => all.Single(t => t!["language"]!.GetValue<string>() == lang && t["key"]!.GetValue<string>() == key)!;
        var en = T("en", "alert")["sms"]!;
        Assert.Equal("gsm7", en["encoding"]!.GetValue<string>());
        Assert.Equal(en["segments"]!.GetValue<int>() * 0.0083m, en["costPerMessage"]!.GetValue<decimal>());
        Assert.Equal("ucs2", T("es", "update")["sms"]!["encoding"]!.GetValue<string>()); // ACTUALIZACIÓN
        Assert.Null(T("en", "marker.verified")["sms"]);
        Assert.Equal(1, T("so", "confirm.code")["sms"]!["segments"]!.GetValue<int>());

        var somaliAlert = all.Single(t => t!["language"]!.GetValue<string>() == "so" && t["key"]!.GetValue<string>() == "alert")!;
        var id = somaliAlert["id"]!.GetValue<int>();
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsync($"/api/v1/templates/{id}/approve", null)).StatusCode);
        var approved = await (await admin.PostAsync($"/api/v1/templates/{id}/approve", null)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.False(approved!["needsReview"]!.GetValue<bool>());
        Assert.EndsWith("@staff.test", approved["reviewedBy"]!.GetValue<string>());

        // An edit needs review again; dropping the marker is refused.
        var bad = await admin.PutAsJsonAsync($"/api/v1/templates/{id}", new { text = "{activity} meel u dhow {place}." });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var edited = await (await admin.PutAsJsonAsync($"/api/v1/templates/{id}", new { text = "{marker}: {activity} - {place}, {time}. {advice}" })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(edited!["needsReview"]!.GetValue<bool>());

        // Past the SMS segment budget (2 by default) an edit is refused, naming the count.
        var budget = en["budget"]!.GetValue<int>();
        Assert.All(all.Where(t => t!["sms"] is not null), t => Assert.True(t!["sms"]!["segments"]!.GetValue<int>() <= budget, t.ToJsonString()));
        var tooLong = await admin.PutAsJsonAsync($"/api/v1/templates/{id}", new { text = "{marker}: {activity} - {place}, {time}. {advice} " + new string('x', 500) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var problem = (await tooLong.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains($"the network's budget is {budget}", problem["detail"]!.GetValue<string>());
        Assert.NotNull(problem["errors"]!["text"]);
    }
}
