using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Whistle.Site;

/// <summary>
/// Problem details in the reader's language. Endpoints write their titles, details and field messages in English
/// (the gettext way: the English is the source); on the way out, every problem response passes here and each text
/// that is the English of a <c>problem.*</c> entry of the translation files is replaced by that entry in the
/// request's language. An entry may hold placeholders (<c>{max}</c>): its English then matches as a pattern and the
/// values are carried over (themselves translated when they are known texts). Type and status never change. A text
/// without an entry stays English, so a missed message degrades to English, never to a raw key.
/// </summary>
public static class ProblemWords
{
    private const string Prefix = "problem.";
    private static Index? _index;

    private sealed record Index(Dictionary<string, string> Exact, List<(Regex Pattern, string Key, string[] Names)> Patterns);

    private static Index Build()
    {
        var exact = new Dictionary<string, string>(StringComparer.Ordinal);
        var patterns = new List<(Regex, string, string[])>();
        foreach (var (key, english) in Ui.English)
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            var names = Regex.Matches(english, @"\{(\w+)\}").Select(m => m.Groups[1].Value).ToArray();
            if (names.Length == 0) { exact.TryAdd(english, key); continue; }
            var pattern = "^" + Regex.Replace(Regex.Escape(english), @"\\\{(\w+)}", m => $"(?<{m.Groups[1].Value}>.+?)") + "$";
            patterns.Add((new Regex(pattern, RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)), key, names));
        }
        // the longest English first: a more specific pattern wins over a shorter one
        patterns.Sort((a, b) => b.Item1.ToString().Length.CompareTo(a.Item1.ToString().Length));
        return new Index(exact, patterns);
    }

    /// <summary>The text in the language if it is a known server message, else the text as it is.</summary>
    public static string Translate(string lang, string english, int depth = 0)
    {
        if (lang == "en" || string.IsNullOrEmpty(english) || depth > 2) return english;
        var index = _index ??= Build();
        if (index.Exact.TryGetValue(english, out var key)) return Ui.T(lang, key);
        foreach (var (pattern, k, names) in index.Patterns)
        {
            Match m;
            try { m = pattern.Match(english); }
            catch (RegexMatchTimeoutException) { continue; }
            if (!m.Success) continue;
            var text = Ui.T(lang, k);
            foreach (var name in names) text = text.Replace("{" + name + "}", Translate(lang, m.Groups[name].Value, depth + 1), StringComparison.Ordinal);
            return text;
        }
        return english;
    }

    /// <summary>Puts a problem's title, detail and field messages in the request's language; says which in Content-Language.</summary>
    public static void Localise(HttpContext http, Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        var lang = Ui.LanguageOf(http);
        if (!http.Response.HasStarted) http.Response.Headers.ContentLanguage = lang;
        if (lang == "en") return;
        if (problem.Title is { } title) problem.Title = Translate(lang, title);
        if (problem.Detail is { } detail) problem.Detail = Translate(lang, detail);
        if (problem is Microsoft.AspNetCore.Http.HttpValidationProblemDetails validation)
            foreach (var field in validation.Errors.Keys.ToList())
                validation.Errors[field] = validation.Errors[field].Select(e => Translate(lang, e)).ToArray();
    }
}
