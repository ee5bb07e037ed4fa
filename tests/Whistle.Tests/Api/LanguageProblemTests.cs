using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Whistle.Tests.Api;

/// <summary>
/// Seen: server messages reached Spanish, Somali and Hmong pages in English (the phone-number rule, invalid e-mail,
/// wrong code). Each bad request, asked in es, so and hmn, gets a title, detail and field messages that are not the
/// English ones and not raw keys, with the type and status of the English answer and a Content-Language header.
/// </summary>
public static partial class LanguageProblemCases
{
    public static TheoryData<string, string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string, string>();
            foreach (var lang in new[] { "es", "so", "hmn" })
                foreach (var (name, _, _) in Requests) cases.Add(name, lang, "header");
            // the language chosen on the site (cookie) and by ?lang= count as well
            cases.Add("subscribe: bad phone", "so", "cookie");
            cases.Add("confirm: wrong code", "hmn", "query");
            return cases;
        }
    }

    public static readonly (string Name, string Path, string Body)[] Requests =
    [
        ("subscribe: bad phone", "/api/v1/subscriptions", "{\"channel\":\"sms\",\"address\":\"612-555\",\"language\":\"en\",\"zones\":[1]}"),
        ("subscribe: bad e-mail", "/api/v1/subscriptions", "{\"channel\":\"email\",\"address\":\"not-an-email\",\"language\":\"en\",\"zones\":[1]}"),
        ("subscribe: no area", "/api/v1/subscriptions", "{\"channel\":\"email\",\"address\":\"a@example.org\",\"language\":\"en\"}"),
        ("subscribe: unknown zone", "/api/v1/subscriptions", "{\"channel\":\"email\",\"address\":\"a@example.org\",\"language\":\"en\",\"zones\":[9999]}"),
        ("confirm: code malformed", "/api/v1/subscriptions/confirm", "{\"address\":\"+16125550100\",\"code\":\"12\"}"),
        ("confirm: wrong code", "/api/v1/subscriptions/confirm", "{\"address\":\"nobody-here@example.org\",\"channel\":\"email\",\"code\":\"123456\"}"),
        ("report: no activity", "/api/v1/reports", "{\"lat\":44.9,\"lon\":-93.2}"),
        ("report: no location", "/api/v1/reports", "{\"activity\":\"checkpoint\"}"),
        ("report: bad latitude", "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":999,\"lon\":-93.2}"),
        ("report: text too long", "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-93.2,\"text\":\"" + new string('x', 2001) + "\"}"),
        ("report: not JSON", "/api/v1/reports", "not json at all"),
        ("login: empty", "/api/v1/auth/login", "{\"email\":\"\"}"),
        ("login: wrong password", "/api/v1/auth/login", "{\"email\":\"nobody-{lang}@staff.test\",\"password\":\"wrong-password-1\"}"),
    ];

    [GeneratedRegex(@"\b(c|problem|sub|report|nav|activity|agency|registry|home)\.[a-zA-Z_]+(\.[a-zA-Z_0-9]+)*\b")]
    public static partial Regex RawKey();
}

public abstract class LanguageProblemTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    [Theory]
    [MemberData(nameof(LanguageProblemCases.Cases), MemberType = typeof(LanguageProblemCases))]
    public async Task A_problem_speaks_the_requests_language(string name, string lang, string how)
    {
        var (_, path, template) = LanguageProblemCases.Requests.Single(r => r.Name == name);
        var body = template.Replace("{lang}", lang, StringComparison.Ordinal); // one account per language: the login throttle stays out
        var english = await AskAsync(path, body, "en", "header");
        var local = await AskAsync(path, body, lang, how);

        Assert.Equal(english.Status, local.Status);
        Assert.Equal(english.Problem["type"]?.ToString(), local.Problem["type"]?.ToString());
        Assert.Equal(lang, local.ContentLanguage);
        Assert.Equal("en", english.ContentLanguage);
        var englishTexts = Texts(english.Problem);
        var localTexts = Texts(local.Problem);
        Assert.NotEmpty(localTexts);
        Assert.Equal(englishTexts.Count, localTexts.Count);
        for (var i = 0; i < localTexts.Count; i++)
        {
            Assert.NotEqual(englishTexts[i], localTexts[i]);
            Assert.DoesNotMatch(LanguageProblemCases.RawKey(), localTexts[i]);
        }
    }

    /// <summary>Title, detail and every field message, in order.</summary>
    private static List<string> Texts(JsonObject problem)
    {
        var texts = new List<string>();
        if (problem["title"]?.ToString() is { Length: > 0 } t) texts.Add(t);
        if (problem["detail"]?.ToString() is { Length: > 0 } d) texts.Add(d);
        if (problem["errors"] is JsonObject errors)
            foreach (var (_, messages) in errors.OrderBy(e => e.Key, StringComparer.Ordinal))
                foreach (var m in messages!.AsArray()) texts.Add(m!.ToString());
        return texts;
    }

    private async Task<(int Status, JsonObject Problem, string? ContentLanguage)> AskAsync(string path, string body, string lang, string how)
    {
        var client = app.CreateClient();
        var url = how == "query" ? path + "?lang=" + lang : path;
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (how == "header") request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(lang));
        if (how == "cookie") request.Headers.Add("Cookie", "whistle-lang=" + lang);
        var res = await client.SendAsync(request);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await res.Content.ReadAsStringAsync())!.AsObject();
        return ((int)res.StatusCode, problem, res.Content.Headers.ContentLanguage.FirstOrDefault() ?? res.Headers.GetValues("Content-Language").FirstOrDefault());
    }
}

public sealed class SqliteLanguageProblemTests(SqliteApp app) : LanguageProblemTests<SqliteApp>(app);

public sealed class PostgresLanguageProblemTests(PostgresApp app) : LanguageProblemTests<PostgresApp>(app);
