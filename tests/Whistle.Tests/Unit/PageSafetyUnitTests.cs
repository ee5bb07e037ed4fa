using System.Text.RegularExpressions;
using Whistle.Content;
using Whistle.Site;

namespace Whistle.Tests.Unit;

/// <summary>
/// Guards for every present and future page script and Razor page: no HTML strings from data (the sinks a
/// string turns into markup through), nothing inline the Content-Security-Policy would block; and the Markdown
/// and policy rules, without a host.
/// </summary>
public sealed class PageSafetyUnitTests
{
    // ---- Shipped scripts: no HTML sinks ----

    private static readonly (string Name, Regex Pattern)[] Sinks =
    [
        ("innerHTML/outerHTML assignment", new(@"\.(inner|outer)HTML\s*\+?=(?!=)")),
        ("insertAdjacentHTML", new(@"\binsertAdjacentHTML\s*\(")),
        ("document.write", new(@"\bdocument\.write(ln)?\s*\(")),
        ("createContextualFragment", new(@"\bcreateContextualFragment\s*\(")),
        ("srcdoc", new(@"\bsrcdoc\b")),
        ("eval / new Function", new(@"(?<![\w.])eval\s*\(|\bnew\s+Function\s*\(")),
        ("string timer", new(@"\bset(Timeout|Interval)\s*\(\s*[""'`]")),
        ("javascript: URL", new(@"javascript:", RegexOptions.IgnoreCase)),
        ("L.divIcon with html", new(@"\bdivIcon\s*\(\s*\{[^}]*\bhtml\s*:")),
        ("jQuery-like .html()", new(@"\.html\s*\(\s*[^)\s]")),
    ];

    /// <summary>Leaflet inserts a string popup/tooltip as HTML: only elements may go in.</summary>
    private static readonly Regex LeafletContent = new(@"\.(bindPopup|bindTooltip|setContent|setPopupContent|setTooltipContent)\s*\(\s*([^\s,)]+)");

    public static List<string> FindSinks(string file, string js)
    {
        var found = new List<string>();
        var lines = js.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = Regex.Replace(lines[i], @"^\s*//.*$", ""); // a whole-line comment may name a sink
            foreach (var (name, pattern) in Sinks)
                if (pattern.IsMatch(line)) found.Add($"{file}:{i + 1}: {name}: {lines[i].Trim()}");
            foreach (Match m in LeafletContent.Matches(line))
            {
                var arg = m.Groups[2].Value;
                var element = arg.StartsWith("Object.assign(document.createElement(", StringComparison.Ordinal)
                    || (Regex.IsMatch(arg, @"^[A-Za-z_$][\w$]*$")
                        && Regex.IsMatch(js, $@"\b(var|let|const)\s+{Regex.Escape(arg)}\s*=\s*(document\.createElement|C\.el)\s*\("));
                if (!element) found.Add($"{file}:{i + 1}: Leaflet {m.Groups[1].Value} with a string (inserted as HTML): {lines[i].Trim()}");
            }
        }
        return found;
    }

    private static IEnumerable<string> ShippedScripts() =>
        Directory.EnumerateFiles(Path.Combine(SourceRoot(), "Web"), "*.js", SearchOption.AllDirectories)
            .Where(f => !f.Replace('\\', '/').Contains("/Web/lib/"));

    [Fact]
    public void No_shipped_script_turns_a_string_into_markup()
    {
        var scripts = ShippedScripts().ToList();
        Assert.True(scripts.Count >= 15, $"found only {scripts.Count} scripts under Web/");
        var found = scripts.SelectMany(f => FindSinks(Path.GetRelativePath(SourceRoot(), f), File.ReadAllText(f))).ToList();
        Assert.True(found.Count == 0, "HTML sinks in shipped scripts (build DOM with textContent / C.el instead):\n" + string.Join("\n", found));
    }

    [Theory]
    [InlineData("list.innerHTML = '<li>' + name + '</li>';")]
    [InlineData("el.insertAdjacentHTML('beforeend', s);")]
    [InlineData("layer.bindTooltip(f.properties.name);")]
    [InlineData("shape.bindPopup(\"From \" + p.place).addTo(m);")]
    [InlineData("shape.bindPopup(`<b>${p.place}</b>`);")]
    [InlineData("popup.setContent(text);")]
    [InlineData("L.marker(ll, { icon: L.divIcon({ html: p.name }) });")]
    [InlineData("a.href = 'javascript:void(0)';")]
    [InlineData("document.write(x);")]
    public void The_sink_scan_catches_each_dangerous_shape(string js) =>
        Assert.NotEmpty(FindSinks("sample.js", js));

    [Theory]
    [InlineData("layer.bindTooltip(Object.assign(document.createElement(\"span\"), { textContent: f.properties.name }));")]
    [InlineData("var popup = document.createElement(\"div\");\npopup.textContent = text;\nshape.bindPopup(popup);")]
    [InlineData("// never innerHTML = here\nel.textContent = s;")]
    public void The_sink_scan_lets_text_through(string js) =>
        Assert.Empty(FindSinks("sample.js", js));

    // ---- Razor pages: nothing inline for the policy to block ----

    [Fact]
    public void No_page_has_inline_script_event_handlers_or_inline_styles()
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(SourceRoot(), "Site", "Pages"), "*.cshtml", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            var name = Path.GetRelativePath(SourceRoot(), file);
            foreach (Match m in Regex.Matches(text, @"<script\b[^>]*>", RegexOptions.IgnoreCase))
                if (!m.Value.Contains("src=", StringComparison.OrdinalIgnoreCase) && !m.Value.Contains("type=\"application/json\"", StringComparison.OrdinalIgnoreCase))
                    found.Add($"{name}: inline script {m.Value}");
            foreach (Match m in Regex.Matches(text, @"<[a-z][^>]*\s(on[a-z]+|style)\s*=", RegexOptions.IgnoreCase))
                found.Add($"{name}: inline {m.Groups[1].Value}= in {m.Value}");
            if (Regex.IsMatch(text, @"<style\b", RegexOptions.IgnoreCase)) found.Add($"{name}: <style> element");
            if (text.Contains("javascript:", StringComparison.OrdinalIgnoreCase)) found.Add($"{name}: javascript: URL");
        }
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    // ---- Markdown links ----

    [Theory]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("<JaVaScRiPt:alert(1)>")]
    [InlineData("[x](JaVaScRiPt:alert(1))")]
    [InlineData("[x](&#106;avascript:alert(1))")]
    [InlineData("[x](<java\tscript:alert(1)>)")]
    [InlineData("[x][r]\n\n[r]: javascript:alert(1)")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("<data:text/html,<script>alert(1)</script>>")]
    [InlineData("[x](vbscript:msgbox(1))")]
    [InlineData("<vbscript:msgbox(1)>")]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("[![x](/a.png)](javascript:alert(1))")]
    public void Markdown_links_that_could_run_script_point_nowhere(string markdown)
    {
        var html = SafeMarkdown.ToHtml(markdown);
        Assert.DoesNotMatch(new Regex(@"(href|src)\s*=\s*""\s*(javascript|vbscript|data|java\s)", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("[help](https://example.org/help)", "href=\"https://example.org/help\"")]
    [InlineData("<https://example.org/a>", "href=\"https://example.org/a\"")]
    [InlineData("[mail](mailto:help@example.org)", "href=\"mailto:help@example.org\"")]
    [InlineData("<help@example.org>", "href=\"mailto:help@example.org\"")]
    [InlineData("[subscribe](/subscribe)", "href=\"/subscribe\"")]
    [InlineData("![logo](/icons/icon.svg)", "src=\"/icons/icon.svg\"")]
    public void Markdown_keeps_http_https_mailto_and_own_links(string markdown, string expected) =>
        Assert.Contains(expected, SafeMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("[call](tel:+16125550100)")]
    [InlineData("[sms](sms:+16125550100)")]
    [InlineData("[x](ftp://example.org/x)")]
    public void Markdown_links_to_any_other_scheme_go_nowhere(string markdown) =>
        Assert.DoesNotMatch(new Regex(@"href\s*=\s*""(tel|sms|ftp):", RegexOptions.IgnoreCase), SafeMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("[x](//evil.example/login)")]
    [InlineData("[x](/\\evil.example/login)")]
    public void Markdown_links_that_look_local_but_leave_the_site_point_nowhere(string markdown) =>
        Assert.Contains("href=\"#\"", SafeMarkdown.ToHtml(markdown));

    [Fact]
    public void Markdown_images_from_other_sites_become_their_alt_text()
    {
        var html = SafeMarkdown.ToHtml("![tracker](https://tracker.example/p.gif)");
        Assert.DoesNotContain("<img", html);
        Assert.Contains("tracker", html);
    }

    // ---- The policy ----

    [Theory]
    [InlineData("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org")]
    [InlineData("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org")]
    [InlineData("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8081")]
    [InlineData("", null)]
    [InlineData("/tiles/{z}/{x}/{y}.png", null)]
    [InlineData("javascript:alert(1)//{z}", null)]
    [InlineData("https://a.example; script-src *", null)]
    [InlineData("https://user:pw@tiles.example/{z}", null)]
    public void The_tile_origin_is_the_templates_scheme_host_and_port_or_nothing(string template, string? origin) =>
        Assert.Equal(origin, SecurityHeaders.TileOrigin(template));

    [Fact]
    public void The_policy_runs_only_this_sites_script_files()
    {
        var csp = SecurityHeaders.ContentSecurityPolicy("https://tile.openstreetmap.org/{z}/{x}/{y}.png");
        var directives = csp.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d);
        Assert.Equal("script-src 'self'", directives["script-src"]);
        Assert.Equal("default-src 'self'", directives["default-src"]);
        Assert.Equal("object-src 'none'", directives["object-src"]);
        Assert.Equal("base-uri 'none'", directives["base-uri"]);
        Assert.Equal("frame-ancestors 'none'", directives["frame-ancestors"]);
        Assert.Equal("img-src 'self' data: https://tile.openstreetmap.org", directives["img-src"]);
        Assert.DoesNotContain("unsafe", csp);
    }

    private static string SourceRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Whistle.slnx"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "src", "Whistle");
    }
}
