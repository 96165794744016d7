using System.Net;
using System.Net.Sockets;

namespace Switchboard.Features.Webhooks;

/// <summary>Which webhook URLs are acceptable, when an admin saves them and again when a delivery connects.</summary>
public static class WebhookAddresses
{
    /// <summary>The problem with <paramref name="value"/> as a webhook URL, or null when it may be saved.</summary>
    public static async Task<string?> ProblemAsync(string? value, WebhookOptions options, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(value)) return "url is required: the absolute https:// address that receives the events.";
        if (value.Length > 2048) return "url is longer than 2048 characters.";
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return $"\"{value}\" is not an absolute http or https URL.";
        }
        if (!string.IsNullOrEmpty(url.UserInfo)) return "url must not contain a user name or password; authenticate with the signature header.";
        var loopback = url.IsLoopback;
        if (url.Scheme == "http" && !loopback && !options.AllowInsecureUrls)
        {
            return $"url must use https (http is accepted for loopback hosts only, or with Webhooks:AllowInsecureUrls).";
        }
        if (options.AllowPrivateAddresses) return null;
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(url.IdnHost, ct);
        }
        catch (SocketException e)
        {
            return $"The host name {url.Host} does not resolve ({e.Message}); check the URL.";
        }
        return addresses.Any(IsPrivate)
            ? $"{url.Host} is a private or local address; this server does not send webhooks into its own network (Webhooks:AllowPrivateAddresses)."
            : null;
    }

    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);

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

/// <summary>A delivery refused because its host resolved to a private address at connection time.</summary>
public sealed class WebhookAddressException(string message) : Exception(message);
