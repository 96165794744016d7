namespace Switchboard.Features.Widget;

/// <summary>Configuration section <c>Widget</c>: abuse limits of the public widget API.</summary>
public sealed class WidgetOptions
{
    public const string Section = "Widget";

    /// <summary>All widget API requests from one IP address per minute.</summary>
    public int RequestsPerMinutePerIp { get; set; } = 300;

    /// <summary>New chat sessions one IP address may start per minute.</summary>
    public int SessionsPerMinutePerIp { get; set; } = 20;

    /// <summary>Messages (and feedback, escalations) one chat session may post per minute.</summary>
    public int MessagesPerMinutePerSession { get; set; } = 20;

    /// <summary>Seconds between keep-alive comments on an idle event stream.</summary>
    public int KeepAliveSeconds { get; set; } = 15;
}
