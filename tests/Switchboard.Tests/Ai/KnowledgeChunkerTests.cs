using Switchboard.Features.Knowledge;

namespace Switchboard.Tests.Ai;

public sealed class KnowledgeChunkerTests
{
    private static List<string> Texts(string content, string? title = null) => KnowledgeChunker.Split(content, title).Select(p => p.Text).ToList();

    private static string LongParagraph(int sentences) =>
        string.Join(' ', Enumerable.Range(1, sentences).Select(i => $"Sentence number {i} explains one more detail of the return policy."));

    [Fact]
    public void EachNonEmptyLineIsAPassage()
    {
        var chunks = KnowledgeChunker.Split("Where is my card?\r\n\r\n  My card has not arrived yet.  \nHow long does delivery take?\n");
        Assert.Equal(["Where is my card?", "My card has not arrived yet.", "How long does delivery take?"], chunks.Select(c => c.Text));
        Assert.All(chunks, c => Assert.Null(c.Heading));
    }

    [Fact]
    public void LinesOfAnArticleWithoutBlankLinesAreNeverJoinedEvenInMidSentence()
    {
        // banking77's articles: one example question a line, some without punctuation; joining them ruins retrieval.
        Assert.Equal(["Why am I missing my refund", "why cant you just refund me instead of a merchant", "When will my refund come through"],
            Texts("Why am I missing my refund\nwhy cant you just refund me instead of a merchant\nWhen will my refund come through"));
    }

    [Fact]
    public void ALineWrappedInMidSentenceContinuesOnTheNextInAnArticleWrittenInParagraphs()
    {
        var chunks = Texts("Refunds go back to the card that paid, and banks take\n5 to 10 business days to show them.\n\nAnnual plans are refunded pro rata.\nMonthly plans are not.");
        Assert.Equal(["Refunds go back to the card that paid, and banks take 5 to 10 business days to show them.",
            "Annual plans are refunded pro rata.", "Monthly plans are not."], chunks);
    }

    [Fact]
    public void ALongParagraphIsCutAtSentencesAndEachCutStartsWithTheLastSentenceOfThePreviousPassage()
    {
        var paragraph = LongParagraph(30);
        var chunks = Texts(paragraph);

        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, KnowledgeChunker.MaxLength));
        Assert.All(chunks, c => Assert.EndsWith("policy.", c, StringComparison.Ordinal));
        for (var i = 1; i < chunks.Count; i++)
        {
            var carried = chunks[i - 1][(chunks[i - 1].LastIndexOf("Sentence", StringComparison.Ordinal))..];
            Assert.StartsWith(carried + " ", chunks[i], StringComparison.Ordinal);
            Assert.InRange(carried.Length, 1, KnowledgeChunker.MaxLength / 2 - 1);
        }
        // Without the carried sentences the passages are the paragraph again, in order, nothing lost.
        var rebuilt = chunks[0] + string.Concat(chunks.Skip(1).Select(c => c[c.IndexOf(". ", StringComparison.Ordinal)..][1..]));
        Assert.Equal(paragraph, rebuilt);
    }

    [Fact]
    public void SeparateParagraphsDoNotOverlap()
    {
        Assert.Equal(["Returns are free.", "Refunds take 5 days."], Texts("Returns are free.\n\nRefunds take 5 days."));
        var first = Texts(LongParagraph(12));
        var both = Texts(LongParagraph(12) + "\n\nGift cards never expire.");
        Assert.Equal([.. first, "Gift cards never expire."], both);
    }

    [Fact]
    public void AnAnswerThatStraddlesACutIsWholeInOnePassageWhereverTheCutFalls()
    {
        const string answer = "Refunds are sent to the card you paid with. They arrive within 5 business days.";
        for (var before = 1; before <= 12; before++)
        {
            var chunks = Texts(LongParagraph(before) + " " + answer + " " + LongParagraph(8));
            Assert.True(chunks.Count > 1);
            Assert.Contains(chunks, c => c.Contains(answer, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ASentenceLongerThanAPassageIsCutBetweenWordsAndKeepsEveryWord()
    {
        var words = string.Join(' ', Enumerable.Range(1, 300).Select(i => $"w{i}"));
        var chunks = Texts(words);
        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, KnowledgeChunker.MaxLength));
        Assert.All(chunks, c => Assert.DoesNotContain("  ", c, StringComparison.Ordinal));
        // Every word is somewhere, whole, in order; a cut repeats a few words at most.
        var seen = chunks.SelectMany(c => c.Split(' ')).Distinct().ToList();
        Assert.Equal(Enumerable.Range(1, 300).Select(i => $"w{i}"), seen);
        for (var i = 1; i < chunks.Count; i++)
        {
            // The next passage starts with words carried over from the end of the previous one.
            Assert.Contains(chunks[i].Split(' ')[0], chunks[i - 1].Split(' ').TakeLast(30));
        }
    }

    [Fact]
    public void OneGiantWordEndsInPassagesOfAtMostTheLimit()
    {
        var word = new string('x', 5_000);
        var chunks = Texts(word);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, KnowledgeChunker.MaxLength));
        Assert.Equal(word, string.Concat(chunks));
    }

    [Fact]
    public void TheHeadingPathNestsAndResetsAtASiblingOrHigherHeading()
    {
        var chunks = KnowledgeChunker.Split("""
            # Returns
            Returns are free.
            ## Refund timing
            Refunds take 5 days.
            ### Cards
            Card refunds take 3 days.
            ## Exchanges
            Exchanges ship at once.
            # Shipping
            We ship worldwide.
            """);
        Assert.Equal(
            [("Returns", "Returns\nReturns are free."),
             ("Returns › Refund timing", "Returns › Refund timing\nRefunds take 5 days."),
             ("Returns › Refund timing › Cards", "Returns › Refund timing › Cards\nCard refunds take 3 days."),
             ("Returns › Exchanges", "Returns › Exchanges\nExchanges ship at once."),
             ("Shipping", "Shipping\nWe ship worldwide.")],
            chunks.Select(c => (c.Heading, c.Text)));
    }

    [Fact]
    public void EveryPassageUnderAHeadingCarriesItButAHeadingEqualToTheTitleIsLeftOut()
    {
        var chunks = KnowledgeChunker.Split("# Refunds\nRefunds take 5 days.\n\nCards take longer.\n## Timing\nBanks take a week.", title: "refunds");
        Assert.Equal([(null, "Refunds take 5 days."), (null, "Cards take longer."), ("Timing", "Timing\nBanks take a week.")],
            chunks.Select(c => (c.Heading, c.Text)));
    }

    [Fact]
    public void SetextHeadingsOpenSectionsAndThematicBreaksAreNotPassages()
    {
        var chunks = KnowledgeChunker.Split("Returns\n=======\n\nReturns are free.\n\nTiming\n------\nRefunds take 5 days.\n\n---\n\nThanks.");
        Assert.Equal(["Returns\nReturns are free.", "Returns › Timing\nRefunds take 5 days.", "Returns › Timing\nThanks."], chunks.Select(c => c.Text));
    }

    [Fact]
    public void AHashWithoutASpaceIsNotAHeading()
    {
        Assert.Equal(["#1 in support", "Call us."], Texts("#1 in support\nCall us."));
    }

    [Fact]
    public void ListItemsAndCodeStayWithTheirIntroduction()
    {
        var chunks = Texts("## Payment\nWe accept these cards:\n- Visa\n- Mastercard\n\nRun this:\n```\n# not a heading\npay --now\n```\nYour card is charged when the order ships.");
        Assert.Equal(["Payment\nWe accept these cards:\n- Visa\n- Mastercard", "Payment\nRun this:\n```\n# not a heading\npay --now\n```",
            "Payment\nYour card is charged when the order ships."], chunks);
    }

    [Fact]
    public void ListItemsThatNoLongerFitStartANewPassageUnderTheSameHeading()
    {
        var items = Enumerable.Range(1, 20).Select(i => $"- Item {i} is one of the many things we accept as payment here.").ToList();
        var chunks = Texts("## Payment\nWe accept:\n" + string.Join('\n', items));
        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, KnowledgeChunker.MaxLength));
        Assert.All(chunks, c => Assert.StartsWith("Payment\n", c, StringComparison.Ordinal));
        Assert.StartsWith("Payment\nWe accept:\n- Item 1 ", chunks[0], StringComparison.Ordinal);
        Assert.Equal(items, chunks.SelectMany(c => c.Split('\n').Skip(1)).Where(l => l.StartsWith("- ", StringComparison.Ordinal)));
    }

    [Fact]
    public void ALongHeadingPathKeepsItsInnerHeadingsAndNoPassageExceedsTheLimit()
    {
        var longHeading = string.Join(' ', Enumerable.Repeat("very", 40));
        var chunks = KnowledgeChunker.Split($"# Outer\n## Middle {longHeading}\n### Inner\n{LongParagraph(30)}");
        Assert.All(chunks, c => Assert.InRange(c.Text.Length, 1, KnowledgeChunker.MaxLength));
        Assert.All(chunks, c => Assert.InRange(c.Heading!.Length, 1, KnowledgeChunker.MaxHeadingLength));
        Assert.All(chunks, c => Assert.EndsWith("Inner", c.Heading, StringComparison.Ordinal));
        Assert.All(chunks, c => Assert.DoesNotContain("Outer", c.Heading, StringComparison.Ordinal));
    }

    [Fact]
    public void AnArticleOfHeadingsOnlyIsStillOnePassage()
    {
        Assert.Equal(["Gift cards"], Texts("# Gift cards", title: "Gift cards"));
        Assert.Equal(["Gift cards › Expiry"], Texts("# Gift cards\n## Expiry"));
        Assert.Empty(Texts("  \n\n"));
    }

    [Fact]
    public void AnImportedMarkdownFileChunksIntoItsSections()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "handbook", "getting-started.md");
        var chunks = KnowledgeChunker.Split(File.ReadAllText(path), title: "Getting started with Acme Cloud");
        Assert.Equal(
            [(null, "Acme Cloud hosts your website and keeps it online. This guide takes you from sign-up to your first deployment."),
             ("Create an account", "Create an account\nSign up at acme.example with your work email. We send a confirmation link that is valid for 24 hours."),
             ("Deploy your first site", "Deploy your first site\n1. Connect your Git repository.\n2. Pick the branch to deploy.\n3. Press **Deploy**. The first build takes about two minutes.\n```\nacme deploy --branch main\n```")],
            chunks.Select(c => (c.Heading, c.Text)));

        var refunds = Texts(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "handbook", "billing", "refunds.md")), title: "Refunds");
        Assert.Equal(["You can ask for a refund within 30 days of any charge. Refunds go back to the card that paid, and banks take 5 to 10 business days to show them.",
            "Annual plans are refunded pro rata after the first 30 days."], refunds);
    }

    [Fact]
    public void TheHashChangesWithTheTextAndTheModel()
    {
        var hash = KnowledgeChunker.Hash("all-MiniLM-L6-v2", "Refunds take 5 days.");
        Assert.Equal(hash, KnowledgeChunker.Hash("all-MiniLM-L6-v2", "Refunds take 5 days."));
        Assert.NotEqual(hash, KnowledgeChunker.Hash("all-MiniLM-L6-v2", "Refunds take 6 days."));
        Assert.NotEqual(hash, KnowledgeChunker.Hash("text-embedding-3-small", "Refunds take 5 days."));
    }
}
