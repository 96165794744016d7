using System.Net.Sockets;
using Switchboard.Net;

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
        bool anyPrivate;
        try
        {
            (_, anyPrivate) = await PrivateAddresses.ResolveAndCheckAsync(url.IdnHost, ct);
        }
        catch (SocketException e)
        {
            return $"The host name {url.Host} does not resolve ({e.Message}); check the URL.";
        }
        return anyPrivate
            ? $"{url.Host} is a private or local address; this server does not send webhooks into its own network (Webhooks:AllowPrivateAddresses)."
            : null;
    }
}
