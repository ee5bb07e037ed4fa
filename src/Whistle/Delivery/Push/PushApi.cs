using Microsoft.AspNetCore.Http.HttpResults;

namespace Whistle.Delivery.Push;

/// <param name="PublicKey">The VAPID public key, base64url: the applicationServerKey for pushManager.subscribe().</param>
public sealed record PushKey(string PublicKey);

public static class PushApi
{
    public static RouteGroupBuilder MapPush(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/push").WithTags("Push").AllowAnonymous();
        group.MapGet("/key", Key);
        return group;
    }

    private static Ok<PushKey> Key(VapidKeys keys) => TypedResults.Ok(new PushKey(keys.PublicKeyBase64Url));
}
