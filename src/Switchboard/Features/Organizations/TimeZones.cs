namespace Switchboard.Features.Organizations;

/// <summary>Organizations' time zones (IANA ids, <see cref="Organization.TimeZone"/>): business hours, daily analytics, the dashboard.</summary>
public static class TimeZones
{
    /// <summary>The zone with this IANA (or Windows) id, or null when the system does not know it.</summary>
    public static TimeZoneInfo? Find(string? id) =>
        !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    /// <summary>An organization's zone; UTC when unset or unknown to this machine.</summary>
    public static TimeZoneInfo OrUtc(string? id) => Find(id) ?? TimeZoneInfo.Utc;

    /// <summary>The local date of an instant in a zone.</summary>
    public static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
}
