using System.Net;
using System.Net.Sockets;

namespace Switchboard.Net;

/// <summary>
/// The server's guard against being pointed at its own network (server-side request forgery): the website crawler and
/// webhook deliveries refuse hosts that resolve to these addresses unless configured to allow them.
/// </summary>
public static class PrivateAddresses
{
    /// <summary>The addresses of <paramref name="host"/>: itself when it is an IP literal (brackets allowed), else from DNS.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);

    /// <summary>
    /// The addresses of <paramref name="host"/> (see <see cref="ResolveAsync"/>) and whether any of them is private;
    /// a name that does not resolve throws <see cref="SocketException"/>.
    /// </summary>
    public static async Task<(IPAddress[] Addresses, bool AnyPrivate)> ResolveAndCheckAsync(string host, CancellationToken ct)
    {
        var addresses = await ResolveAsync(host, ct);
        return (addresses, addresses.Any(IsPrivate));
    }

    /// <summary>Loopback, RFC 1918, link-local, carrier-grade NAT, unspecified and IPv6 local ranges.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal) return true;
        if (address.AddressFamily != AddressFamily.InterNetwork) return address.Equals(IPAddress.IPv6Any);
        var b = address.GetAddressBytes();
        return b[0] is 10 or 127 or 0 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }
}
