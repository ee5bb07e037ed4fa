using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Platform;

/// <summary>
/// The first response to a POST that carried an <c>Idempotency-Key</c> header (draft-ietf-httpapi-idempotency-key-header),
/// kept for <see cref="IdempotencyFilter.Lifetime"/> so that a repeat of the same request — a retried POST, a second tab,
/// a double click — gets the same answer instead of doing the work twice. Scoped by who asked, the key and the endpoint.
/// <see cref="Status"/> is null while the first request is still being handled.
/// </summary>
public class IdempotentRequest
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public string Key { get; set; } = "";
    /// <summary>Method and path, e.g. "POST /api/v1/alerts/{id}/cancel" with the id filled in.</summary>
    public string Endpoint { get; set; } = "";
    /// <summary>SHA-256 of the request's bound body: the same key with other words is refused (422).</summary>
    public string Fingerprint { get; set; } = "";
    public int? Status { get; set; }
    public string? ContentType { get; set; }
    public string? Body { get; set; }
    public string? Location { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// Makes a POST idempotent when the client sends <c>Idempotency-Key</c>: the key is reserved (a unique row per user, key and
/// endpoint) before the handler runs and the handler's response is stored after it; a repeat gets the stored response,
/// a repeat while the first is still running gets 409, the same key with a different body 422. Without the header
/// nothing changes. Responses of 500 and up are not kept (the work did not happen; the client may retry with the key).
/// </summary>
public sealed class IdempotencyFilter : IEndpointFilter
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(Header, out var values)) return await next(context);
        if (ParseKey(values) is not { } key)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad Idempotency-Key",
                detail: $"One {Header} header: a string of 1 to {MaxKeyLength} printable ASCII characters, e.g. a UUID.");

        var services = http.RequestServices;
        var db = services.GetRequiredService<WhistleDb>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var user = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? http.User.Identity?.Name ?? "";
        var endpoint = $"{http.Request.Method} {http.Request.Path.Value?.TrimEnd('/').ToLowerInvariant()}";
        var fingerprint = Fingerprint(context.Arguments, json);

        // Keys live a day; whoever comes next sweeps the expired ones away.
        await db.IdempotentRequests.Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(http.RequestAborted);

        var reserved = new IdempotentRequest
        {
            UserId = user, Key = key, Endpoint = endpoint, Fingerprint = fingerprint, CreatedAt = now, ExpiresAt = now + Lifetime,
        };
        db.IdempotentRequests.Add(reserved);
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateException)
        {
            db.Entry(reserved).State = EntityState.Detached;
            var first = await db.IdempotentRequests.AsNoTracking()
                .FirstOrDefaultAsync(r => r.UserId == user && r.Key == key && r.Endpoint == endpoint, http.RequestAborted);
            if (first is not null && first.Fingerprint != fingerprint)
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                    detail: $"This {Header} was already used for a different request. Use a new key for a new request.");
            if (first?.Status is null)
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request in progress",
                    detail: $"A request with this {Header} is still being handled. Wait for its answer, then repeat to read it.");
            return new Replay(first);
        }

        object? result;
        try
        {
            result = await next(context);
        }
        catch
        {
            await ForgetAsync(db, reserved.Id);
            throw;
        }

        var inner = result;
        while (inner is INestedHttpResult nested) inner = nested.Result;
        int status = (inner as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
        if (status >= 500)
        {
            await ForgetAsync(db, reserved.Id);
            return result;
        }
        var value = (inner as IValueHttpResult)?.Value;
        string? body = value is null ? null : JsonSerializer.Serialize(value, value.GetType(), json);
        string? contentType = value is null ? null : inner is ProblemHttpResult ? "application/problem+json" : "application/json";
        string? location = inner?.GetType().GetProperty("Location")?.GetValue(inner) as string;
        await db.IdempotentRequests.Where(r => r.Id == reserved.Id).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.Status, status).SetProperty(r => r.Body, body)
            .SetProperty(r => r.ContentType, contentType).SetProperty(r => r.Location, location), CancellationToken.None);
        return result;
    }

    /// <summary>The header's value: an sf-string ("…") or, leniently, the bare token; printable ASCII, at most 255.</summary>
    public static string? ParseKey(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1 || values[0] is not { } raw) return null;
        raw = raw.Trim();
        if (raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"') raw = raw[1..^1];
        if (raw.Length is 0 or > MaxKeyLength) return null;
        foreach (var c in raw) if (c is < (char)0x20 or > (char)0x7E or '"' or '\\') return null;
        return raw;
    }

    private static string Fingerprint(IList<object?> arguments, JsonSerializerOptions json)
    {
        var bodies = arguments.OfType<IValidatable>().Select(a => JsonSerializer.Serialize(a, a.GetType(), json));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", bodies))));
    }

    private static Task ForgetAsync(WhistleDb db, long id) =>
        db.IdempotentRequests.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);

    /// <summary>The stored first response, as it was: status, body and Location.</summary>
    private sealed class Replay(IdempotentRequest first) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => first.Status;

        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = first.Status ?? StatusCodes.Status200OK;
            if (first.Location is { } location) http.Response.Headers.Location = location;
            http.Response.Headers["Idempotent-Replayed"] = "true";
            if (first.Body is { } body)
            {
                http.Response.ContentType = first.ContentType ?? "application/json";
                await http.Response.WriteAsync(body, Encoding.UTF8);
            }
        }
    }
}

public static class IdempotencyExtensions
{
    /// <summary>Honours <c>Idempotency-Key</c> on this endpoint (see <see cref="IdempotencyFilter"/>).</summary>
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder endpoint) => endpoint.AddEndpointFilter<IdempotencyFilter>();
}
