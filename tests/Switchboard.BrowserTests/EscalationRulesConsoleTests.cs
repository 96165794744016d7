using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>The escalation-rules console in a real browser: the API's validation messages inline, save, toggle.</summary>
public sealed class EscalationRulesConsoleTests
{
    private readonly BrowserFixture _fixture;

    public EscalationRulesConsoleTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        SetDefaultExpectTimeout(30_000);
    }

    [Fact(Timeout = 120_000)]
    public async Task AnAdminSeesTheBadKeyNamedFixesItAndSwitchesTheRuleOff()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        var path = $"/console/orgs/{org.Id}/escalation-rules";
        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, path);
        await page.Locator(".rules-intro[data-interactive=yes]").WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "New rule", Exact = true }).ClickAsync();
        var editor = page.GetByRole(AriaRole.Dialog, new() { Name = "New rule" });
        await editor.GetByLabel("Name").FillAsync("Refund requests");
        await editor.GetByLabel("Keywords (comma-separated words or phrases)").FillAsync("refund, money back");
        // Leaving the field shows the keywords as chips, which moves the fields below and the Save button down: wait for
        // them first, or a click under load can land where the button was.
        await editor.GetByLabel("Keywords (comma-separated words or phrases)").PressAsync("Tab");
        await Expect(editor.Locator(".mud-chip").Filter(new() { HasText = "money back" })).ToBeVisibleAsync();
        await editor.GetByLabel("Trigger conditions (JSON)").FillAsync("""{"confidence_bellow": 0.5}""");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save rule", Exact = true }).ClickAsync();

        await Expect(editor.Locator(".rule-errors")).ToContainTextAsync("triggerConditions.confidence_bellow");
        await Expect(editor.Locator(".rule-errors")).ToContainTextAsync("Unknown key 'confidence_bellow'");
        await Expect(Row(page, "Refund requests")).ToHaveCountAsync(0);

        await editor.GetByLabel("Trigger conditions (JSON)").FillAsync("""{"confidence_below": 0.5}""");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save rule", Exact = true }).ClickAsync();
        var row = Row(page, "Refund requests");
        await Expect(row).ToContainTextAsync("refund, money back");
        await Expect(row).ToContainTextAsync("confidence_below");

        var toggle = page.GetByRole(AriaRole.Switch, new() { Name = "Active: Refund requests" })
            .Or(row.Locator("input[type=checkbox]"));
        await Expect(toggle.First).ToBeCheckedAsync();
        await toggle.First.ClickAsync();
        await Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "is now inactive" })).ToContainTextAsync("'Refund requests' is now inactive.");
        await page.ReloadAsync();
        await page.Locator(".rules-intro[data-interactive=yes]").WaitForAsync();
        await Expect(Row(page, "Refund requests").Locator("input[type=checkbox]")).Not.ToBeCheckedAsync();
    }

    private static ILocator Row(IPage page, string name) =>
        page.Locator("tbody tr").Filter(new() { Has = page.Locator("td[data-label=Name]").GetByText(name, new() { Exact = true }) });
}
