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

    /// <summary>Whether an address is public: not this machine (any of its interfaces) and not a private network.</summary>
    public static bool IsPublic(IPAddress a) => IsPublic(a, OwnAddresses());

    /// <summary>
    /// The rule itself, given this machine's own addresses: refuses loopback, private, link-local, carrier-grade NAT,
    /// benchmarking, multicast, broadcast and reserved IPv4; IPv6 loopback, link-local, site-local, unique-local,
    /// multicast and discard; and every IPv6 form that carries an IPv4 address inside it — mapped (::ffff:a.b.c.d),
    /// compatible (::a.b.c.d), SIIT (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96, and the local-use 64:ff9b:1::/48),
    /// 6to4 (2002::/16) and Teredo (2001:0::/32, server and de-obfuscated client) — by the IPv4 address inside.
    /// </summary>
    public static bool IsPublic(IPAddress a, IReadOnlySet<IPAddress> own)
    {
        if (a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId != 0) a = new IPAddress(a.GetAddressBytes()); // fe80::1%2 compares as fe80::1
        if (own.Contains(a)) return false;
        if (a.AddressFamily == AddressFamily.InterNetwork) return IsPublicV4(a.GetAddressBytes());
        if (a.AddressFamily != AddressFamily.InterNetworkV6) return false;
        var b = a.GetAddressBytes();
        if (b.All(x => x == 0)) return false;                                   // ::
        if (IPAddress.IsLoopback(a)) return false;                              // ::1
        if (Embedded(b) is { } v4) return IsPublicV4(v4) && !own.Contains(new IPAddress(v4));
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)              // Teredo 2001:0::/32
        {
            byte[] server = b[4..8], client = b[12..16].Select(x => (byte)~x).ToArray();
            return IsPublicV4(server) && IsPublicV4(client) && !own.Contains(new IPAddress(client));
        }
        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1) return false; // 64:ff9b:1::/48, local NAT64
        if (b[0] == 1 && b[1] == 0 && b.Skip(2).Take(6).All(x => x == 0)) return false;                      // 100::/64 discard
        if (b[0] == 0 && b[1] == 0) return false;                                // the rest of ::/16 is reserved
        return !(a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv6Multicast || a.IsIPv6UniqueLocal);
    }

    /// <summary>The IPv4 address an IPv6 address carries in a form that reaches it (mapped, compatible, SIIT, NAT64, 6to4).</summary>
    public static byte[]? Embedded(byte[] b)
    {
        bool zero(int from, int to) => b[from..to].All(x => x == 0);
        if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return b[12..16];                          // ::ffff:a.b.c.d
        if (zero(0, 12)) return b[12..16];                                                             // ::a.b.c.d
        if (zero(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) return b[12..16];  // ::ffff:0:a.b.c.d
        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) return b[12..16]; // 64:ff9b::/96
        if (b[0] == 0x20 && b[1] == 0x02) return b[2..6];                                              // 2002:aabb:ccdd::/48
        return null;
    }

    private static bool IsPublicV4(byte[] b) =>
        !(b[0] == 0                                           // "this network", 0.0.0.0/8
          || b[0] == 10 || b[0] == 127
          || (b[0] == 172 && b[1] is >= 16 and <= 31)
          || (b[0] == 192 && b[1] == 168)
          || (b[0] == 169 && b[1] == 254)                     // link-local, cloud metadata
          || (b[0] == 100 && b[1] is >= 64 and <= 127)        // carrier-grade NAT
          || (b[0] == 192 && b[1] == 0 && b[2] == 0)          // IETF protocol assignments
          || (b[0] == 198 && b[1] is 18 or 19)                // benchmarking
          || b[0] >= 224);                                    // multicast, reserved, broadcast

    private sealed record Own(IReadOnlySet<IPAddress> Set, long At);
    private static Own? _own;

    /// <summary>This machine's interface addresses (re-read at most every 30 seconds; an interface may come up later).</summary>
    public static IReadOnlySet<IPAddress> OwnAddresses()
    {
        var cached = Volatile.Read(ref _own);
        long now = Environment.TickCount64;
        if (cached is not null && now - cached.At < 30_000) return cached.Set;
        var set = new HashSet<IPAddress>();
        try
        {
            foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
                foreach (var u in nic.GetIPProperties().UnicastAddresses)
                    set.Add(u.Address.AddressFamily == AddressFamily.InterNetworkV6 && u.Address.ScopeId != 0 ? new IPAddress(u.Address.GetAddressBytes()) : u.Address);
        }
        catch (System.Net.NetworkInformation.NetworkInformationException) { /* none known: the ranges still hold */ }
        Volatile.Write(ref _own, new Own(set, now));
        return set;
    }
}
