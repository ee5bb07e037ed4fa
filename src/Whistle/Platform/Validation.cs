namespace Whistle.Platform;

/// <summary>A request body that checks itself; the route group's filter turns its errors into a 400.</summary>
public interface IValidatable
{
    void Validate(Problems problems, IServiceProvider services);
}

/// <summary>Field → messages, as RFC 7807 validation problems carry them.</summary>
public sealed class Problems
{
    private readonly Dictionary<string, List<string>> _errors = [];
    public bool Any => _errors.Count > 0;

    public Problems Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public void Require(bool ok, string field, string message)
    {
        if (!ok) Add(field, message);
    }

    public void MaxLength(string? value, int max, string field)
    {
        if (value is { Length: var n } && n > max) Add(field, $"At most {max} characters ({n} given).");
    }

    public void LatLon(double? lat, double? lon, string prefix = "")
    {
        if (lat is null != lon is null) Add(prefix + (lat is null ? "lat" : "lon"), "Give both lat and lon, or neither.");
        if (lat is { } a && (!double.IsFinite(a) || a is < -90 or > 90)) Add(prefix + "lat", "Latitude must be between -90 and 90.");
        if (lon is { } o && (!double.IsFinite(o) || o is < -180 or > 180)) Add(prefix + "lon", "Longitude must be between -180 and 180.");
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}

public sealed class ValidationFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var problems = new Problems();
        foreach (var arg in context.Arguments)
            if (arg is IValidatable v) v.Validate(problems, context.HttpContext.RequestServices);
        if (problems.Any)
            return TypedResults.ValidationProblem(problems.ToDictionary(), title: "The request has invalid fields");
        return await next(context);
    }
}

public static class ValidationExtensions
{
    /// <summary>Validates every <see cref="IValidatable"/> body of the group's endpoints, once for all.</summary>
    public static RouteGroupBuilder WithValidation(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter<ValidationFilter>();
        return group;
    }
}

public static class Problem
{
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the current state");
}
