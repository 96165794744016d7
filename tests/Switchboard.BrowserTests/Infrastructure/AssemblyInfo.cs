using Switchboard.BrowserTests.Infrastructure;

[assembly: AssemblyFixture(typeof(BrowserFixture))]
