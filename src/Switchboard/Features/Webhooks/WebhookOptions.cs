namespace Switchboard.Features.Webhooks;

/// <summary>Configuration section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(6),
    ];

    /// <summary>How long one POST may take before it counts as failed (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The waits after the 1st, 2nd, ... failed attempt (each ±20% jitter); after the last one the delivery
    /// fails. Null (not set) means <see cref="DefaultRetryDelays"/>: 8 attempts over about 9 hours.
    /// </summary>
    public List<TimeSpan>? RetryDelays { get; set; }

    /// <summary>How often the worker looks for due deliveries when nothing woke it (default 2 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliver to private, loopback and link-local addresses (off: a webhook must not reach the server's own network).</summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>Accept http:// URLs for hosts other than loopback (off: https is required).</summary>
    public bool AllowInsecureUrls { get; set; }

    public IReadOnlyList<TimeSpan> Delays => RetryDelays is { Count: > 0 } delays ? delays : DefaultRetryDelays;

    /// <summary>Attempts a delivery gets in all: the first and one per retry delay.</summary>
    public int MaxAttempts => Delays.Count + 1;
}
