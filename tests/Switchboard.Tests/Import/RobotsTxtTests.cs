using Switchboard.Features.Knowledge.Import;

namespace Switchboard.Tests.Import;

public sealed class RobotsTxtTests
{
    [Fact]
    public void TheLongestMatchingRuleWinsAndAllowWinsATie()
    {
        var robots = RobotsTxt.Parse("User-agent: *\nDisallow: /private\nAllow: /private/public\nDisallow: /a\nAllow: /a\n");

        Assert.False(robots.IsAllowed("/private/notes.html"));
        Assert.True(robots.IsAllowed("/private/public/page.html"));
        Assert.True(robots.IsAllowed("/a/page"));
        Assert.True(robots.IsAllowed("/elsewhere"));
    }

    [Fact]
    public void OurOwnGroupReplacesTheGeneralOne()
    {
        var robots = RobotsTxt.Parse("User-agent: *\nDisallow: /\n\nUser-agent: OtherBot\nUser-agent: Switchboard\nDisallow: /drafts/\nCrawl-delay: 2\n");

        Assert.True(robots.IsAllowed("/help"));
        Assert.False(robots.IsAllowed("/drafts/x"));
        Assert.Equal(TimeSpan.FromSeconds(2), robots.CrawlDelay);
    }

    [Fact]
    public void WildcardsAndEndAnchorsMatchAsRfc9309Says()
    {
        var robots = RobotsTxt.Parse("# comment\nUser-agent: *\nDisallow: /*.pdf$\nDisallow: /search?*q=\n");

        Assert.False(robots.IsAllowed("/files/manual.pdf"));
        Assert.True(robots.IsAllowed("/files/manual.pdf?download=1"));
        Assert.False(robots.IsAllowed("/search?lang=en&q=refund"));
        Assert.True(robots.IsAllowed("/search"));
    }

    [Fact]
    public void AnEmptyDisallowAndAnotherAgentsRulesAllowEverything()
    {
        Assert.True(RobotsTxt.Parse("User-agent: *\nDisallow:\n").IsAllowed("/anything"));
        Assert.True(RobotsTxt.Parse("User-agent: Googlebot\nDisallow: /\n").IsAllowed("/anything"));
    }
}
