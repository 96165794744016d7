using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Switchboard.Features.Escalation.Detectors;

/// <summary>
/// Does a customer message ask for a person ("can I talk to a real person", "agent pls", "connect me with
/// customer care")? Three kinds of evidence, combined by a logistic function into a score 0..1
/// (<see cref="HumanRequestWeights"/>): word patterns on the normalized text (<see cref="DetectorText"/>),
/// the message's best cosine similarity to hand-written example requests, and its margin over the best
/// similarity to hand-written ordinary questions ("can I talk about my order status"). The example phrases
/// are embedded once, on first use, with the registered embedding model; the weights were measured with
/// all-MiniLM-L6-v2 (docs/bench.md, "Escalation detectors").
/// </summary>
public sealed partial class HumanRequestDetector(IEmbeddingGenerator<string, Embedding<float>> embeddings) : IDisposable
{
    public const double DefaultThreshold = 0.5;

    /// <summary>Ways of asking for a person, written by hand (not taken from any evaluation data).</summary>
    public static readonly IReadOnlyList<string> RequestExamples =
    [
        "can I talk to a real person", "I want to speak to a human", "connect me to a live agent", "let me chat with an agent",
        "transfer me to customer service", "I need to talk to someone", "is there a human I can talk to", "get me a representative",
        "put me through to an operator", "I would like to speak with your support team", "can someone from your team help me",
        "please connect me with customer care", "I want to talk to a customer care executive", "stop the bot, I want a person",
        "I don't want to talk to a bot", "are you a real person or a bot", "human please", "agent", "talk to agent",
        "live chat with support", "I want to speak to a manager", "escalate this to a human", "I'd rather talk to a real human being",
        "can I get a human on the line", "hello, is anybody there who can help me", "let me talk to your staff",
        "please have someone contact me", "can an agent call me back", "I need help from a real person",
        "your bot is not helping, give me a person", "how do I reach a human", "can I chat with a customer service representative",
        "connect me to someone who can help", "I want to speak to someone in charge", "operator", "representative please",
        "I need an executive to look into this", "mujhe agent se baat karni hai", "kisi insaan se baat karao",
        "I want to chat with a support executive", "transfer this chat to an agent", "can you pass me to a colleague",
    ];

    /// <summary>Ordinary questions, some worded like a request ("talk about"), written by hand: what a request is not.</summary>
    public static readonly IReadOnlyList<string> OrdinaryExamples =
    [
        "how do I reset my password", "what are your opening hours", "can I talk about my order status", "where is my order",
        "I want to cancel my order", "how do I return a product", "when will I get my refund", "what payment methods do you accept",
        "do you deliver to my area", "how much does shipping cost", "is this product in stock", "what is the price of this",
        "how do I change my address", "can you tell me about your products", "hello", "hi, good morning", "thank you", "ok thanks",
        "what is the warranty", "can I pay cash on delivery", "which size should I buy", "do you have any offers",
        "how do I sign up", "my payment failed", "how do I withdraw money", "how do I verify my account",
        "the delivery agent did not come", "what does this feature do", "how do I use the app", "I want to buy this",
        "can you recommend something for me", "what is the status of my refund", "how long does delivery take",
        "I have a question about my bill", "how do I update my phone number", "who are you", "what can you do",
        "tell me more about this", "I would like to know about the discount", "can I speak about a problem with my product",
    ];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Examples? _examples;

    /// <summary>The weights <see cref="ScoreAsync"/> combines the features with.</summary>
    public HumanRequestWeights Weights { get; init; } = HumanRequestWeights.Default;

    public async Task<DetectorResult> ScoreAsync(string message, CancellationToken ct) =>
        (await ScoreManyAsync([message], ct))[0];

    /// <summary><see cref="ScoreAsync"/> for many messages, embedded in batches.</summary>
    public async Task<IReadOnlyList<DetectorResult>> ScoreManyAsync(IReadOnlyList<string> messages, CancellationToken ct) =>
        [.. (await FeaturesAsync(messages, ct)).Select(f => Result(f, Weights))];

    public static DetectorResult Result(HumanRequestFeatures features, HumanRequestWeights weights)
    {
        var score = weights.Score(features);
        var evidence = new List<string>(2);
        if (features.Pattern is not null) evidence.Add($"pattern \"{features.Pattern.Trim()}\"");
        if (features.NearestRequest is not null)
        {
            evidence.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"like \"{features.NearestRequest}\" ({features.RequestSimilarity:0.00})"));
        }
        return new DetectorResult(score, evidence.Count == 0 ? null : string.Join("; ", evidence));
    }

    /// <summary>What the score is computed from, for each message (the benchmark fits weights on these).</summary>
    public async Task<IReadOnlyList<HumanRequestFeatures>> FeaturesAsync(IReadOnlyList<string> messages, CancellationToken ct)
    {
        var examples = await ExamplesAsync(ct);
        var nonEmpty = messages.Select((m, i) => (m, i)).Where(x => !string.IsNullOrWhiteSpace(x.m)).ToList();
        var vectors = new float[]?[messages.Count];
        if (nonEmpty.Count > 0)
        {
            var generated = await embeddings.GenerateAsync([.. nonEmpty.Select(x => x.m)], cancellationToken: ct);
            for (var j = 0; j < nonEmpty.Count; j++) vectors[nonEmpty[j].i] = Unit(generated[j].Vector.ToArray());
        }
        var features = new HumanRequestFeatures[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var (bestRequest, requestSimilarity) = vectors[i] is { } v ? Nearest(v, examples.Requests, RequestExamples) : (null, 0);
            var (_, ordinarySimilarity) = vectors[i] is { } w ? Nearest(w, examples.Ordinary, OrdinaryExamples) : (null, 0);
            var patterns = MatchPatterns(messages[i] ?? "");
            features[i] = new HumanRequestFeatures(patterns.Strong, patterns.Medium, patterns.Contact, requestSimilarity, ordinarySimilarity,
                patterns.Text, requestSimilarity > 0 ? bestRequest : null);
        }
        return features;
    }

    private static (string? Example, double Similarity) Nearest(float[] vector, float[][] examples, IReadOnlyList<string> texts)
    {
        var (best, index) = (double.MinValue, -1);
        for (var i = 0; i < examples.Length; i++)
        {
            var similarity = TensorPrimitives.Dot(vector, examples[i]);
            if (similarity > best) (best, index) = (similarity, i);
        }
        return index < 0 ? (null, 0) : (texts[index], Math.Clamp(best, 0, 1));
    }

    private static float[] Unit(float[] vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0 && Math.Abs(norm - 1) > 1e-4) TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }

    private async Task<Examples> ExamplesAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _examples) is { } ready) return ready;
        await _gate.WaitAsync(ct);
        try
        {
            if (_examples is { } again) return again;
            var all = await embeddings.GenerateAsync([.. RequestExamples, .. OrdinaryExamples], cancellationToken: ct);
            var vectors = all.Select(e => Unit(e.Vector.ToArray())).ToArray();
            var examples = new Examples(vectors[..RequestExamples.Count], vectors[RequestExamples.Count..]);
            Volatile.Write(ref _examples, examples);
            return examples;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private sealed record Examples(float[][] Requests, float[][] Ordinary);

    /// <summary>The pattern features of one message: Strong (a verb of contact with a person, or wanting one),
    /// Medium (a word for a person of the company without such a verb, or a short message that is little more
    /// than one), Contact (asking for a phone number or a call), and the text that matched.</summary>
    public static (double Strong, double Medium, double Contact, string? Text) MatchPatterns(string message)
    {
        var text = NotAPerson().Replace(DetectorText.Normalize(message), " thing ");
        double strong = 0, medium = 0, contact = 0;
        string? matched = null;
        foreach (var pattern in (ReadOnlySpan<Regex>)[VerbThenPerson(), PersonThenVerb(), WantPerson(), NotABot(), WantToTalk(), PersonPlease()])
        {
            if (pattern.Match(text) is { Success: true } m && !m.Value.Contains(" about ", StringComparison.Ordinal))
            {
                (strong, matched) = (1, m.Value);
                break;
            }
        }
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (CompanyPerson().Match(text) is { Success: true } person)
        {
            medium = 1;
            matched ??= person.Value;
            if (words <= 4 && strong == 0) (strong, matched) = (1, person.Value); // "agent pls", "customer care?"
        }
        else if (words <= 3 && ShortSupport().Match(text) is { Success: true } support)
        {
            (medium, matched) = (1, matched ?? support.Value); // "support", "need support", "live chat"
        }
        if (PhoneOrCall().Match(text) is { Success: true } phone)
        {
            contact = 1;
            matched ??= phone.Value;
        }
        return (strong, medium, contact, matched);
    }

    private const string Verb = @"(?:talk|talking|speak|speaking|chat|chatting|connect|connecting|transfer|redirect|forward|reach|contact|escalate|hand me over|put me through|baat)";
    private const string Person = @"(?:(?:real|live|actual|proper|genuine|some|any|a|an|the|your)\s)?(?:human(?: being)?s?|persons?|people|agents?|representatives?|rep|operators?|executives?|exec|(?:customer|client)\s(?:care|service|support|executive|agent)|support\s(?:team|staff|person|agent|executive)|staff|someone|somebody|anyone|anybody|some one|any one|managers?|supervisors?|advisors?|colleagues?|team member|employee|insaan|helpdesk|help desk|live chat|live support)";
    private const string CompanyPersonWords = @"(?:humans?|human being|real person|live person|actual person|real people|agents?|live agent|representatives?|operator|executives?|(?:customer|client)\s(?:care|service|support)|support\s(?:team|staff|person|agent|executive)|supervisor|manager|helpdesk|help desk|live chat|live support|insaan)";

    [GeneratedRegex(" " + Verb + @"(?:\s(?:to|with|me|us|you|him|her|in|on|for|through|can|i|please|now|directly|actually|just|a|an|the|your|any|some)){0,4}\s" + Person + " ")]
    private static partial Regex VerbThenPerson();

    [GeneratedRegex(" " + Person + @"(?:\s\w+){0,4}?\s" + Verb + " ")]
    private static partial Regex PersonThenVerb();

    [GeneratedRegex(@" (?:want|wanna|need|require|like|get me|give me|looking for|request|prefer|asking for|send me|assign|arrange|provide|allot|have)(?:\s(?:to|a|an|the|some|any|one|your|real|live|actual|proper|human|please|with|me|talk|speak|chat)){0,4}\s" + CompanyPersonWords + " ")]
    private static partial Regex WantPerson();

    [GeneratedRegex(@" (?:not (?:a |talking to (?:a )?|want (?:to talk to )?(?:a |the )?)?(?:bot|robot|machine|computer)|(?:stop|no|useless|hate) (?:the |this |your )?(?:bot|robot|machine)|are you (?:a )?(?:human|real|bot|robot|machine|person)) ")]
    private static partial Regex NotABot();

    // "I want to talk", "can we chat now": wanting a conversation without saying about what.
    [GeneratedRegex(@" (?:want|need|like|can i|could i|may i|let me|can we|could we|please) (?:to )?(?:talk|speak|chat)(?: (?:to|with) (?:you|your team|someone|somebody|anyone))?(?: now| please| urgently| immediately)? $")]
    private static partial Regex WantToTalk();

    // "human please", "agent now".
    [GeneratedRegex(" " + CompanyPersonWords + " (?:please|now|asap|immediately|urgently) ")]
    private static partial Regex PersonPlease();

    [GeneratedRegex(" " + CompanyPersonWords + " ")]
    private static partial Regex CompanyPerson();

    [GeneratedRegex(@" (?:call (?:center|centre)|call me|call back|callback|call you|helpline|help line|toll free|(?:phone|contact|mobile|helpline|customer care|care|support|whatsapp|telephone|landline) (?:number|no|num)|number (?:of|for) (?:your|customer|the|support|care)|phone (?:you|call)) ")]
    private static partial Regex PhoneOrCall();

    [GeneratedRegex(@" (?:support|chat|help desk|helpdesk|complaint) ")]
    private static partial Regex ShortSupport();

    // People who are not the company's support: "the delivery agent never came" is not a request for one.
    [GeneratedRegex(@" (?:delivery|courier|travel|sales|insurance|field|shipping) (?:agent|person|executive|boy|guy|staff)s? | agent (?:code|id|commission) ")]
    private static partial Regex NotAPerson();
}

/// <summary>The evidence <see cref="HumanRequestDetector"/> scores: pattern flags (0 or 1), the best cosine
/// similarity to a request example and to an ordinary example, the matched pattern text and nearest request example.</summary>
public sealed record HumanRequestFeatures(double Strong, double Medium, double Contact, double RequestSimilarity, double OrdinarySimilarity,
    string? Pattern, string? NearestRequest)
{
    /// <summary>The inputs of the logistic combination, in the order of <see cref="HumanRequestWeights.Coefficients"/>.</summary>
    public double[] Vector() => [Strong, Medium, Contact, RequestSimilarity, RequestSimilarity - OrdinarySimilarity];
}

/// <summary>score = logistic(Bias + Σ coefficient × feature), features as in <see cref="HumanRequestFeatures.Vector"/>.</summary>
public sealed record HumanRequestWeights(double Bias, double Strong, double Medium, double Contact, double Similarity, double Margin)
{
    /// <summary>Set by hand before any measurement: a strong pattern alone nearly decides; without one, the
    /// message must be close to a request example (cosine ≳ 0.75) and closer to it than to any ordinary question.</summary>
    public static readonly HumanRequestWeights HandWritten = new(Bias: -6.5, Strong: 5.0, Medium: 1.5, Contact: 0, Similarity: 8.0, Margin: 6.0);

    /// <summary>The weights the detector uses: the hand-written ones. Weights fitted by logistic regression on the
    /// HINT3 messages did worse on held-out data (docs/bench.md, "Escalation detectors"), so none are shipped.</summary>
    public static readonly HumanRequestWeights Default = HandWritten;

    public double[] Coefficients() => [Strong, Medium, Contact, Similarity, Margin];

    public static HumanRequestWeights FromVector(double bias, double[] c) => new(bias, c[0], c[1], c[2], c[3], c[4]);

    public double Score(HumanRequestFeatures features)
    {
        var x = features.Vector();
        var c = Coefficients();
        var z = Bias;
        for (var i = 0; i < x.Length; i++) z += c[i] * x[i];
        return 1 / (1 + Math.Exp(-z));
    }
}
