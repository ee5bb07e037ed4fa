using System.Net;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Platform;

/// <summary>
/// Where a request comes from, as a network prefix (IPv4 /24, IPv6 /48), for throttling only: never stored, never
/// logged. X-Forwarded-For is believed only when the connection comes from an address in Whistle:TrustedProxies
/// (the reverse proxy in front of Whistle); then the rightmost address not itself a trusted proxy is the client.
/// Anyone else can write any X-Forwarded-For they like, so for them it is ignored.
/// </summary>
public static class ClientSource
{
    public static string Prefix(HttpContext http)
    {
        var trusted = http.RequestServices.GetRequiredService<IOptions<WhistleOptions>>().Value.TrustedProxies;
        var address = Address(http.Connection.RemoteIpAddress, http.Request.Headers["X-Forwarded-For"].ToString(), trusted);
        return Prefix(address);
    }

    /// <summary>The client's address: the connection's, or — behind a trusted proxy — the last untrusted hop the proxies saw.</summary>
    public static IPAddress Address(IPAddress? remote, string? forwardedFor, IReadOnlyCollection<string> trustedProxies)
    {
        // No socket address: an in-process or Unix-socket caller, i.e. this machine.
        var current = Normalize(remote ?? IPAddress.Loopback);
        if (trustedProxies.Count == 0 || string.IsNullOrEmpty(forwardedFor)) return current;
        var trusted = trustedProxies.Select(p => IPAddress.TryParse(p.Trim(), out var a) ? Normalize(a) : null).OfType<IPAddress>().ToHashSet();
        var hops = forwardedFor.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (int i = hops.Length - 1; i >= 0 && trusted.Contains(current); i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop)) break;
            current = Normalize(hop);
        }
        return current;
    }

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
