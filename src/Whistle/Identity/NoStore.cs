using Microsoft.AspNetCore.Authorization;

namespace Whistle.Identity;

/// <summary>
/// Nothing behind a login is kept by a browser's or a proxy's cache (issue 14 §6): a leaver's shared computer, a
/// seized laptop's disk cache or a caching proxy must not hold sightings, users or evidence. A response is private,
/// and gets <c>Cache-Control: no-store</c> and <c>Pragma: no-cache</c> with any <c>Last-Modified</c> and <c>ETag</c>
/// removed, when any of these holds:
/// <list type="bullet">
/// <item>its endpoint requires authorization (whoever asked: a 401 or 403 says something too);</item>
/// <item>it is a console page (<c>/console/…</c>, the login page included) or an account call (<c>/api/v1/auth/…</c>:
/// login, refresh, passkeys);</item>
/// <item>it answers a logged-in caller under <c>/api/v1</c> or <c>/hubs</c> (a public endpoint asked with a token).</item>
/// </list>
/// Public outputs asked anonymously (alert feeds, CAP, Atom, the registry, map data, static files) keep their own
/// caching headers. Decided when the response starts, so error responses are covered too.
/// </summary>
public static class NoStore
{
    public static WebApplication UseNoStoreBehindLogin(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                if (!IsPrivate(context)) return Task.CompletedTask;
                var h = context.Response.Headers;
                h.CacheControl = "no-store";
                h.Pragma = "no-cache";
                h.Remove("Last-Modified");
                h.Remove("ETag");
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    public static bool IsPrivate(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/console") || path.StartsWithSegments("/api/v1/auth")) return true;
        if (context.GetEndpoint() is { } endpoint && RequiresAuthorization(endpoint)) return true;
        return context.User.Identity?.IsAuthenticated == true && (path.StartsWithSegments("/api/v1") || path.StartsWithSegments("/hubs"));
    }

    /// <summary>Whether an endpoint carries authorization metadata (a policy, roles, [Authorize]) and no [AllowAnonymous].</summary>
    public static bool RequiresAuthorization(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null
        && (endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null || endpoint.Metadata.GetMetadata<AuthorizationPolicy>() is not null);
}
