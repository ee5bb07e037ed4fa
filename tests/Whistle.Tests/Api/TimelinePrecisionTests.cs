using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Network;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12 §4, date precision. Seen: every timeline entry of the demo incident showed "3/15/2024, 5:00:00 AM", a
/// precision the source never had. Now an entry keeps how precisely its time is known, from the API on.
/// </summary>
public abstract class TimelinePrecisionTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const string Base = "/api/v1/incidents";

    private async Task<TimeZoneInfo> ZoneAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await NetworkLookup.TimeZoneAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), default);
    }

    [Fact]
    public async Task A_timeline_entry_known_only_to_the_day_is_stored_and_returned_as_that_day()
    {
        var doc = await app.StaffAsync("documenter");
        var created = await doc.PostAsJsonAsync(Base, new
        {
            title = "Shooting reported by an article", occurredAt = "2024-03-15T15:00:00Z", place = "south of downtown", category = "shooting",
            agencies = new[] { "ice" }, peopleAffected = 1, injured = 0, deaths = 1, status = "open",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        var zone = await ZoneAsync();

        // The article gives the day only: whatever time of day a form sent along, the day is what is kept.
        var res = await doc.PostAsJsonAsync($"{Base}/{id}/timeline",
            new { at = "2024-03-15T15:42:17Z", precision = "day", source = "article", text = "Date as the article gives it." });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var entry = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("day", entry["precision"]!.GetValue<string>());
        var at = entry["at"]!.GetValue<DateTimeOffset>();
        Assert.Equal(Clock.Truncate(new DateTimeOffset(2024, 3, 15, 15, 42, 17, TimeSpan.Zero), TimePrecision.Day, zone), at);
        Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTime(at, zone).TimeOfDay); // the local midnight that starts the day
        Assert.Equal("2024-03-15", Clock.Iso(at, TimePrecision.Day, zone));

        // A month, and an exact time (the default), kept as given.
        var month = await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2024-03-20T12:00:00Z", precision = "month", source = "DHS statement", text = "In March." });
        Assert.Equal("2024-03", Clock.Iso((await month.Content.ReadFromJsonAsync<JsonObject>())!["at"]!.GetValue<DateTimeOffset>(), TimePrecision.Month, zone));
        var exact = (await (await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2024-03-15T15:42:17Z", source = "video E1", text = "Shots." }))
            .Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("exact", exact["precision"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2024, 3, 15, 15, 42, 17, TimeSpan.Zero), exact["at"]!.GetValue<DateTimeOffset>());

        // Read back: each with its precision.
        var list = (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/timeline"))!;
        Assert.Equal(["day", "exact", "month"], list.Select(t => t!["precision"]!.GetValue<string>()).Order());

        // A precision that is not one is a problem, not a 500, and nothing is added.
        var bad = await doc.PostAsJsonAsync($"{Base}/{id}/timeline", new { at = "2024-03-15T15:42:17Z", precision = "fortnight", source = "x", text = "y" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(3, (await doc.GetFromJsonAsync<JsonArray>($"{Base}/{id}/timeline"))!.Count);
    }
}

public sealed class TimelinePrecisionTestsSqlite(SqliteApp a) : TimelinePrecisionTests<SqliteApp>(a);
public sealed class TimelinePrecisionTestsPostgres(PostgresApp a) : TimelinePrecisionTests<PostgresApp>(a);
