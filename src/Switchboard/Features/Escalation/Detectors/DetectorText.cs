using System.Globalization;
using System.Text;

namespace Switchboard.Features.Escalation.Detectors;

/// <summary>
/// The text the detectors' patterns read: lower case, accents removed, apostrophes dropped ("can't" → "cant"),
/// every other non-alphanumeric character a single space, and common chat spellings spelled out
/// ("u" → "you", "pls" → "please", "wanna" → "want to"). Wrapped in single spaces so that patterns can
/// match whole words with " word ".
/// </summary>
public static class DetectorText
{
    private static readonly Dictionary<string, string> Spellings = new(StringComparer.Ordinal)
    {
        ["u"] = "you", ["ur"] = "your", ["pls"] = "please", ["plz"] = "please", ["plzz"] = "please", ["plss"] = "please",
        ["wanna"] = "want to", ["gimme"] = "give me", ["gotta"] = "got to", ["r"] = "are", ["cust"] = "customer",
        ["cc"] = "customer care", ["custmer"] = "customer", ["costumer"] = "customer", ["coustomer"] = "customer",
        ["represntative"] = "representative", ["representive"] = "representative", ["agnet"] = "agent",
        ["excutive"] = "executive", ["executve"] = "executive", ["humen"] = "human", ["someome"] = "someone",
        ["sm1"] = "someone", ["some1"] = "someone", ["any1"] = "anyone", ["ppl"] = "people", ["b4"] = "before",
        ["im"] = "i am", ["id"] = "i would", ["ive"] = "i have", ["dont"] = "do not", ["cant"] = "can not",
        ["cannot"] = "can not", ["wont"] = "will not", ["didnt"] = "did not", ["doesnt"] = "does not", ["isnt"] = "is not",
    };

    public static string Normalize(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length + 2);
        builder.Append(' ');
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark || c is '\'' or '’' or '`' or '‘') continue;
            if (char.IsLetterOrDigit(c)) builder.Append(char.ToLowerInvariant(c));
            else if (builder[^1] != ' ') builder.Append(' ');
        }
        var words = builder.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => Spellings.TryGetValue(w, out var spelled) ? spelled : w);
        return " " + string.Join(' ', words) + " ";
    }

    /// <summary>The words of <paramref name="text"/> as <see cref="Normalize"/> spells them.</summary>
    public static string[] Words(string text) => Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
