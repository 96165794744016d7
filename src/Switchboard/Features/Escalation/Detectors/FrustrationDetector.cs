using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Features.Escalation.Detectors;

/// <summary>
/// How frustrated does a customer message sound? Cheap enough for every message (no model): cues found in the
/// message each carry a weight, and the score is 1 − Π(1 − weight) over the cues found, so one strong cue
/// (an insult, a repeated question) crosses <see cref="DefaultThreshold"/> alone and weaker ones (urgency,
/// shouting, "!!!") cross it together. Cues: insults, negative wording, urgency, saying it is asked again,
/// all-caps words (short acronyms such as PIN or ATM and known ones such as HDFC do not count), repeated
/// punctuation, and this message repeating one of the customer's previous messages (word Jaccard ≥ 0.6).
/// </summary>
public static partial class FrustrationDetector
{
    public const double DefaultThreshold = 0.5;

    private const double Insult = 0.6, Negative = 0.45, Urgency = 0.3, SaysRepeated = 0.5, Repeated = 0.55, RepeatedTwice = 0.75,
        Caps = 0.4, Punctuation = 0.25, LongPunctuation = 0.35;

    private static readonly HashSet<string> Acronyms = new(StringComparer.Ordinal)
    {
        "ASAP", "HDFC", "ICICI", "NEFT", "IMPS", "RTGS", "IFSC", "AADHAAR", "AADHAR", "PAYTM", "GPAY", "PHONEPE", "UPI",
        "SBI", "KYC", "OTP", "EMI", "COD", "GST", "PAN", "PDF", "HTML", "JSON", "HTTP", "HTTPS", "IBAN", "SWIFT", "SEPA",
        "VISA", "USD", "EUR", "INR", "GBP", "FAQ", "ETA", "RSVP", "NASA", "COVID", "IPL", "BCCI", "ICC", "ODI", "T20",
    };

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "i", "me", "my", "you", "your", "is", "are", "am", "was", "be", "to", "of", "in", "on", "for", "and",
        "or", "it", "this", "that", "do", "does", "did", "can", "could", "will", "would", "please", "hi", "hello", "hey", "ok",
        "so", "with", "at", "by", "from", "what", "why", "how", "when", "where", "still", "again", "not",
    };

    public static DetectorResult Score(string message, IReadOnlyList<string> previousCustomerMessages)
    {
        message ??= "";
        var text = DetectorText.Normalize(message);
        var cues = new List<(string Cue, double Weight)>();
        AddMatches(cues, Insults().Matches(text), "insult", Insult);
        AddMatches(cues, NegativeWords().Matches(text), "negative", Negative);
        AddMatches(cues, UrgencyWords().Matches(text), "urgent", Urgency);
        AddMatches(cues, AskedBefore().Matches(text), "says it repeats", SaysRepeated);

        var (capsWords, longWords) = (0, 0);
        foreach (Match word in Word().Matches(message))
        {
            var letters = word.Value.Count(char.IsLetter);
            if (letters < 4 || Acronyms.Contains(word.Value.ToUpperInvariant())) continue;
            longWords++;
            if (word.Value.All(c => !char.IsLetter(c) || char.IsUpper(c))) capsWords++;
        }
        if (capsWords >= 2 && capsWords >= 0.6 * longWords)
        {
            cues.Add(($"all caps ({capsWords} words)", Math.Min(0.55, Caps + 0.05 * (capsWords - 2))));
        }

        if (RepeatedPunctuation().Match(message) is { Success: true } punctuation)
        {
            cues.Add(($"\"{punctuation.Value}\"", punctuation.Length >= 3 ? LongPunctuation : Punctuation));
        }

        var words = ContentWords(text);
        var repeats = words.Count == 0 ? 0 : previousCustomerMessages.Count(p => p is not null && IsRepeat(words, ContentWords(DetectorText.Normalize(p))));
        if (repeats > 0)
        {
            cues.Add((repeats == 1 ? "repeats an earlier message" : $"repeats {repeats} earlier messages", repeats == 1 ? Repeated : RepeatedTwice));
        }

        var remaining = cues.Aggregate(1.0, (r, c) => r * (1 - c.Weight));
        return new DetectorResult(1 - remaining, cues.Count == 0 ? null : string.Join("; ", cues.Select(c => c.Cue)));
    }

    private static void AddMatches(List<(string, double)> cues, MatchCollection matches, string kind, double weight)
    {
        foreach (var value in matches.Select(m => m.Value.Trim()).Distinct(StringComparer.Ordinal).Take(3))
        {
            cues.Add(($"{kind} \"{value}\"", weight));
        }
    }

    private static HashSet<string> ContentWords(string normalized) =>
        [.. normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !StopWords.Contains(w))];

    /// <summary>Near-duplicates: word Jaccard ≥ 0.6 over content words, or the same single content word.</summary>
    private static bool IsRepeat(HashSet<string> words, HashSet<string> previous)
    {
        if (previous.Count == 0) return false;
        var shared = words.Count(previous.Contains);
        var union = words.Count + previous.Count - shared;
        return shared > 0 && (words.Count >= 2 || previous.Count == 1) && (double)shared / union >= 0.6;
    }

    [GeneratedRegex(@"(?<= )(?:useless|worthless|pathetic|stupid|idiots?|idiotic|dumb|morons?|rubbish|garbage|trash|crap|crappy|bullshit|bs|nonsense|frauds?|fraudsters?|scam|scams|scammers?|cheat|cheaters?|cheating|cheated|liars?|lying|thieves|thief|chor|chors|bakwas|worst|shame on you|shameless|disgusting|horrible|terrible|awful|ridiculous|sucks|suck|hopeless|incompetent|fuck\w*|fck\w*|f\*+k\w*|wtf|damn|screw you|go to hell|joke of a|clowns?)(?= )")]
    private static partial Regex Insults();

    [GeneratedRegex(@"(?<= )(?:disappointed|disappointing|disappointment|frustrated|frustrating|annoyed|annoying|angry|upset|fed up|sick of|tired of|not happy|unhappy|not satisfied|dissatisfied|unsatisfied|bad service|poor service|bad experience|poor experience|very bad|very poor|so bad|too bad|never again|not acceptable|unacceptable|complaint|complain|complaining|irritating|irritated|waste of (?:time|money)|wasted|no response|no reply|no one (?:is )?(?:responding|replying|answering|helping|helps|answers|replies)|nobody (?:is )?(?:responding|replying|answering|helping|helps|answers|replies|cares)|not responding|not helping|not helpful|unhelpful|does not help|do not understand me|you do not understand|hate|mad|furious|pissed|losing (?:my )?patience)(?= )")]
    private static partial Regex NegativeWords();

    [GeneratedRegex(@"(?<= )(?:urgent|urgently|asap|immediately|right now|right away|emergency|at the earliest|hurry|quickly please|as soon as possible)(?= )")]
    private static partial Regex UrgencyWords();

    [GeneratedRegex(@"(?<= )(?:again and again|how many times|(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th|\d+ ?rd) time|already (?:told|asked|said|explained|mentioned|contacted|called|complained|raised)|keep (?:asking|telling|saying)|i told you|as i said|as i already said|repeatedly|so many times|many times|since (?:days|weeks|months|\d+ (?:days|weeks|months))|for (?:days|weeks|months)|still waiting|still not|still no|yet again)(?= )")]
    private static partial Regex AskedBefore();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"[!?]{2,}")]
    private static partial Regex RepeatedPunctuation();
}
