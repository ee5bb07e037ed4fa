using System.Net;
using System.Net.Sockets;

namespace Whistle.Delivery;

/// <summary>
/// The HTTP connection for addresses a subscriber chose (webhook URLs, push endpoints): it connects only
/// to public addresses, so nobody can subscribe http://10.0.0.5/admin and make the server call its own
/// network (SSRF). The check is on the address actually connected to, after DNS, so a name that resolves
/// inward is refused too. Redirects are not followed. Whistle:Delivery:AllowPrivateNetworks lifts the
/// rule (a network whose relay bot runs on its own LAN, or the local fakes of a drill).
/// </summary>
public static class SubscriberEndpoints
{
    public static SocketsHttpHandler Handler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, ct) =>
        {
            var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            var allowed = addresses.Where(a => allowPrivate || IsPublic(a)).ToArray();
            if (allowed.Length == 0) throw new PrivateNetworkException();
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>Refused before connecting: the address is on a private, loopback or link-local network.</summary>
    public sealed class PrivateNetworkException() : IOException("The address is on a private network.");

    /// <summary>Whether a failed call was refused for pointing inward (final, unlike a network error).</summary>
    public static bool IsRefused(HttpRequestException e) => e.InnerException is PrivateNetworkException || e.InnerException?.InnerException is PrivateNetworkException;

    public static bool IsPublic(IPAddress a)
    {
        if (a.IsIPv4MappedToIPv6) a = a.MapToIPv4();
        if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || a.Equals(IPAddress.Broadcast)) return false;
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0
                     || (b[0] == 172 && b[1] is >= 16 and <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 169 && b[1] == 254)              // link-local, cloud metadata
                     || (b[0] == 100 && b[1] is >= 64 and <= 127) // carrier-grade NAT
                     || b[0] >= 224);                             // multicast, reserved
        }
        return !(a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv6Multicast || a.IsIPv6UniqueLocal);
    }
}
