using System.Net;

namespace Whistle.Platform;

/// <summary>
/// Where a request comes from, as a network prefix (IPv4 /24, IPv6 /48), for throttling only: never stored, never
/// logged. Behind a reverse proxy named in Whistle:TrustedProxies the forwarded-headers middleware (PlatformSetup) has
/// already put the client's address on the connection; anyone else's X-Forwarded-For is ignored.
/// </summary>
public static class ClientSource
{
    public static string Prefix(HttpContext http) => Prefix(http.Connection.RemoteIpAddress ?? IPAddress.Loopback);

    /// <summary>"203.0.113.0/24", "2001:db8:1::/48": the network, not the device.</summary>
    public static string Prefix(IPAddress address)
    {
        var a = Normalize(address);
        var bytes = a.GetAddressBytes();
        int keep = a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 3 : 6;
        for (int i = keep; i < bytes.Length; i++) bytes[i] = 0;
        return $"{new IPAddress(bytes)}/{keep * 8}";
    }

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
