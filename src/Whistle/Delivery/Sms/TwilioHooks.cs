using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Delivery.Sms;

/// <summary>
/// Twilio's status callbacks: `POST /hooks/twilio/status?ref=…`, form-encoded, accepted only with a
/// valid X-Twilio-Signature over Whistle:PublicBaseUrl + path + query. The outbox row named by ref
/// records the carrier's final word: delivered, or undelivered/failed (then it is dead, with the code).
/// </summary>
public static class TwilioHooks
{
    public static RouteGroupBuilder MapTwilioHooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/hooks/twilio").WithTags("Hooks").AllowAnonymous().DisableAntiforgery();
        group.MapPost("/status", StatusAsync);
        return group;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> StatusAsync(
        HttpRequest request, WhistleDb db, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (!request.HasFormContentType)
            return TypedResults.Problem(statusCode: 400, title: "Form expected", detail: "Twilio posts application/x-www-form-urlencoded.");
        var form = await request.ReadFormAsync(ct);
        var url = $"{(o.PublicBaseUrl ?? "").TrimEnd('/')}{request.Path}{request.QueryString}";
        if (!TwilioSignature.IsValid(o.Sms.Twilio.AuthToken ?? "", url, TwilioSignature.Fields(form), request.Headers[TwilioSignature.Header]))
            return TypedResults.Problem(statusCode: 403, title: "Signature not valid", detail: "The X-Twilio-Signature header does not match this request.");

        var status = form["MessageStatus"].ToString();
        var reference = request.Query["ref"].ToString();
        if (status is not ("delivered" or "undelivered" or "failed")) return TypedResults.NoContent(); // queued, sent: nothing to record
        var error = status == "delivered" ? null : $"carrier: {status}{(form["ErrorCode"].ToString() is { Length: > 0 } c ? " error " + c : "")}";
        var state = status == "delivered" ? DeliveryState.Sent : DeliveryState.Dead;

        if (reference.StartsWith('m') && long.TryParse(reference[1..], out var messageId))
            await db.Messages.Where(m => m.Id == messageId).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.ProviderStatus, status).SetProperty(m => m.State, state).SetProperty(m => m.LastError, error), ct);
        else if (Parse(reference) is var (seq, subscriber))
            await db.Deliveries.Where(d => d.AlertSeq == seq && d.SubscriberId == subscriber).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.ProviderStatus, status).SetProperty(d => d.State, state).SetProperty(d => d.LastError, error), ct);
        else
            return TypedResults.Problem(statusCode: 400, title: "Unknown reference", detail: "The ref parameter names no outbox row.");
        return TypedResults.NoContent();
    }

    private static (long Seq, long Subscriber)? Parse(string reference)
    {
        var parts = reference.StartsWith('a') ? reference[1..].Split('-') : [];
        return parts.Length == 2 && long.TryParse(parts[0], out var seq) && long.TryParse(parts[1], out var sub) ? (seq, sub) : null;
    }
}
