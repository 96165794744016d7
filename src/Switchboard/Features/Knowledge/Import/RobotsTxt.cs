namespace Switchboard.Features.Knowledge.Import;

/// <summary>
/// robots.txt as RFC 9309 reads it: the group for our user agent (<c>Switchboard</c>) if there is one, else the
/// <c>*</c> group; the longest matching Allow/Disallow rule wins (Allow on a tie); <c>*</c> and <c>$</c> in paths;
/// Crawl-delay when given. No robots.txt (404) allows everything.
/// </summary>
public sealed class RobotsTxt
{
    public const string UserAgent = "Switchboard";

    private readonly List<(string Pattern, bool Allow)> _rules;

    private RobotsTxt(List<(string, bool)> rules, TimeSpan? crawlDelay)
    {
        _rules = rules;
        CrawlDelay = crawlDelay;
    }

    public static RobotsTxt AllowAll { get; } = new([], null);

    public TimeSpan? CrawlDelay { get; }

    public static RobotsTxt Parse(string text)
    {
        // Groups: consecutive User-agent lines, then their rules.
        var groups = new List<(List<string> Agents, List<(string, bool)> Rules, TimeSpan? Delay)>();
        var readingAgents = false;
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            var line = raw.Split('#')[0].Trim();
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var key = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (key == "user-agent")
            {
                if (!readingAgents) groups.Add(([], [], null));
                groups[^1].Agents.Add(value.ToLowerInvariant());
                readingAgents = true;
                continue;
            }
            readingAgents = false;
            if (groups.Count == 0) continue;
            switch (key)
            {
                case "allow" or "disallow" when value.Length > 0:
                    groups[^1].Rules.Add((value, key == "allow"));
                    break;
                case "crawl-delay" when double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0:
                    groups[^1] = groups[^1] with { Delay = TimeSpan.FromSeconds(Math.Min(seconds, 10)) };
                    break;
            }
        }
        var ours = groups.Where(g => g.Agents.Contains(UserAgent.ToLowerInvariant())).ToList();
        var chosen = ours.Count > 0 ? ours : groups.Where(g => g.Agents.Contains("*")).ToList();
        return new RobotsTxt([.. chosen.SelectMany(g => g.Rules)], chosen.Select(g => g.Delay).FirstOrDefault(d => d is not null));
    }

    /// <summary>Whether a path (with its query) may be fetched.</summary>
    public bool IsAllowed(string pathAndQuery)
    {
        var best = -1;
        var allowed = true;
        foreach (var (pattern, allow) in _rules)
        {
            if (!Matches(pattern, pathAndQuery)) continue;
            if (pattern.Length > best || (pattern.Length == best && allow))
            {
                best = pattern.Length;
                allowed = allow;
            }
        }
        return allowed;
    }

    private static bool Matches(string pattern, string path)
    {
        var anchored = pattern.EndsWith('$');
        var parts = (anchored ? pattern[..^1] : pattern).Split('*');
        if (!path.StartsWith(parts[0], StringComparison.Ordinal)) return false;
        var position = parts[0].Length;
        for (var i = 1; i < parts.Length; i++)
        {
            var found = path.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0) return false;
            position = found + parts[i].Length;
        }
        if (!anchored) return true;
        // "$" anchors the end: the last literal part must end the path.
        return parts.Length == 1 ? position == path.Length : path.EndsWith(parts[^1], StringComparison.Ordinal) && position <= path.Length;
    }
}
