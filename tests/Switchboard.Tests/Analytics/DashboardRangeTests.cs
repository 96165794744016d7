using Switchboard.Features.Organizations;
using Switchboard.Features.Analytics;

namespace Switchboard.Tests.Analytics;

/// <summary>Local days as UTC instants across daylight-saving changes, and nearest-rank percentiles.</summary>
public sealed class DashboardRangeTests
{
    private static DateTimeOffset Utc(int y, int m, int d, int h) => new(y, m, d, h, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ADayWhoseClocksGoBackLasts25Hours()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

        Assert.Equal(Utc(2026, 11, 1, 4), AnalyticsDashboard.DayStartUtc(new(2026, 11, 1), zone));
        Assert.Equal(Utc(2026, 11, 2, 5), AnalyticsDashboard.DayStartUtc(new(2026, 11, 2), zone));
    }

    [Fact]
    public void AMidnightTheClocksSkipStartsTheDayAtItsFirstLocalTime()
    {
        // São Paulo, 4 November 2018: 00:00 (UTC-3) became 01:00 (UTC-2).
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo");

        Assert.Equal(Utc(2018, 11, 3, 3), AnalyticsDashboard.DayStartUtc(new(2018, 11, 3), zone));
        Assert.Equal(Utc(2018, 11, 4, 3), AnalyticsDashboard.DayStartUtc(new(2018, 11, 4), zone));
        Assert.Equal(new DateOnly(2018, 11, 4), TimeZones.LocalDate(Utc(2018, 11, 4, 3), zone));
    }

    [Fact]
    public void ALocalHourThatRepeatsBelongsToItsDay()
    {
        // São Paulo, 16 February 2019: at 24:00 (UTC-2) the clocks went back to 23:00 (UTC-3); the 16th lasted 25 hours.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo");

        Assert.Equal(Utc(2019, 2, 16, 2), AnalyticsDashboard.DayStartUtc(new(2019, 2, 16), zone));
        Assert.Equal(Utc(2019, 2, 17, 3), AnalyticsDashboard.DayStartUtc(new(2019, 2, 17), zone));
        Assert.Equal(new DateOnly(2019, 2, 16), TimeZones.LocalDate(Utc(2019, 2, 17, 2).AddMinutes(30), zone));
    }

    [Fact]
    public void PercentilesAreNearestRank()
    {
        Assert.Equal(new DurationStats(0, null, null), AnalyticsDashboard.Durations([]));
        Assert.Equal(new DurationStats(1, 7, 7), AnalyticsDashboard.Durations([7]));
        // n = 10: median rank 5, p90 rank 9.
        Assert.Equal(new DurationStats(10, 5, 9), AnalyticsDashboard.Durations([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
        // n = 3: median rank 2, p90 rank 3; minutes rounded to 2 decimals.
        Assert.Equal(new DurationStats(3, 2.33, 100), AnalyticsDashboard.Durations([1, 2.333333, 100]));
    }
}
