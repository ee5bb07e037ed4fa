using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Platform;

/// <summary>
/// Whistle:PublicBaseUrl is the only source of absolute URLs (CAP sender and links, Atom, e-mail, push, SMS):
/// a request's Host header never is, so nobody can make the server sign or link as another site.
/// Outside the demo it is required at start-up.
/// </summary>
public static class PublicUrl
{
    /// <summary>What a demo without a configured URL links to (the default listening address).</summary>
    public const string DemoDefault = "http://localhost:5080";

    /// <summary>The configured base URL without a trailing slash; in a demo without one, <see cref="DemoDefault"/>.</summary>
    public static string Base(WhistleOptions o) =>
        string.IsNullOrWhiteSpace(o.PublicBaseUrl) ? DemoDefault : o.PublicBaseUrl.Trim().TrimEnd('/');

    /// <summary>Why the value cannot be the public base URL, or null when it can.</summary>
    public static string? Problem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "it is not set";
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http"))
            return $"\"{url}\" is not an absolute http(s) URL";
        if (u.UserInfo.Length > 0 || u.Query.Length > 0 || u.Fragment.Length > 0)
            return $"\"{url}\" must not carry a user, a query or a fragment";
        return null;
    }

    /// <summary>Refuses to start without a usable PublicBaseUrl, unless this is the demo (where a bad one is still refused).</summary>
    public static void RequireAtStartup(WebApplication app, bool demo)
    {
        var url = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value.PublicBaseUrl;
        if (demo && string.IsNullOrWhiteSpace(url)) return;
        if (Problem(url) is { } why)
            throw new InvalidOperationException(
                $"Whistle:PublicBaseUrl is required outside --demo, and {why}. Set it to the address people reach this network at, " +
                "e.g. https://alerts.example.org (appsettings.json \"Whistle\": { \"PublicBaseUrl\": ... }, or the environment variable " +
                "Whistle__PublicBaseUrl). It is the only source of the links and the CAP sender in alerts, feeds, e-mails and texts; " +
                "a request's Host header never is.");
    }
}
