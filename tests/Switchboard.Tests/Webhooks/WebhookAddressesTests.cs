using Switchboard.Features.Webhooks;

namespace Switchboard.Tests.Webhooks;

/// <summary>Which URLs an admin may save, and the signature a receiver checks.</summary>
public sealed class WebhookAddressesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://192.168.0.10/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://[::1]/hook")]
    [InlineData("http://localhost:8080/hook")]
    public async Task PrivateAndLoopbackAddressesAreRefusedUnlessAllowed(string url)
    {
        Assert.Contains("private or local", await WebhookAddresses.ProblemAsync(url, new WebhookOptions(), Ct));
        Assert.Null(await WebhookAddresses.ProblemAsync(url, new WebhookOptions { AllowPrivateAddresses = true }, Ct));
    }

    [Fact]
    public async Task PublicHttpsAddressIsAcceptedAndPlainHttpNeedsTheInsecureSetting()
    {
        Assert.Null(await WebhookAddresses.ProblemAsync("https://93.184.216.34/hook", new WebhookOptions(), Ct));
        Assert.Contains("https", await WebhookAddresses.ProblemAsync("http://93.184.216.34/hook", new WebhookOptions(), Ct));
        Assert.Null(await WebhookAddresses.ProblemAsync("http://93.184.216.34/hook", new WebhookOptions { AllowInsecureUrls = true }, Ct));
    }

    [Fact]
    public void SignatureFailsWithAnotherSecretATamperedBodyOrAnOldTimestamp()
    {
        var now = DateTimeOffset.UtcNow;
        var header = WebhookSignature.Sign("whsec_a", now.ToUnixTimeSeconds(), """{"id":1}""");

        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", header);
        Assert.True(WebhookSignature.Verify("whsec_a", header, """{"id":1}""", now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_b", header, """{"id":1}""", now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_a", header, """{"id":2}""", now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_a", header, """{"id":1}""", now.AddMinutes(10), TimeSpan.FromMinutes(5)));
    }
}
