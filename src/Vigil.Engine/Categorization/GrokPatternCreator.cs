using System.Text;
using System.Text.RegularExpressions;

namespace Vigil.Engine.Categorization;

/// <summary>
/// Builds the <c>grok_pattern</c> of a category definition: the category's regex with the variable pieces between its
/// fixed tokens replaced by the first of a list of well-known Grok patterns that matches that piece in every example.
/// </summary>
/// <remarks>
/// Implementation note (mirrors Elasticsearch's <c>GrokPatternCreator.findBestGrokMatchFromExamples</c>): the regex
/// (<c>.*?a.+?b.*</c>) is cut at every <c>.*?</c>, <c>.+?</c> and <c>.*</c> into fixed parts (trailing empty parts
/// dropped, as Java's <c>String.split</c>; none left returns the regex); each example the regex matches whole (dot
/// matches newline) gives one piece per gap, an example it does not match (a truncated one) gives none. For each gap
/// the first candidate, in Elasticsearch's order, whose Grok <c>%{DATA:preface}PRE%{NAME:this}POST%{GREEDYDATA:epilogue}</c>
/// matches somewhere in every piece is written as <c>%{NAME:field}</c>, and the pieces before and after the match are
/// treated the same way, at most 10 levels deep. A gap nothing matches becomes <c>.*</c> when it is the last, <c>.*?</c>
/// when it is the first or some piece is empty, else <c>.+?</c>. Field names repeat as <c>field</c>, <c>field2</c>, ….
/// The candidate patterns are Elasticsearch's legacy built-in Grok definitions written as .NET regexes (unnamed groups
/// are not captured); as in Grok (Joni, Ruby syntax), <c>.</c> does not match a newline inside a candidate and the
/// match is a search, not anchored. Where Elasticsearch uses <c>\d</c>, <c>[0-9]</c> is written (.NET's <c>\d</c>
/// takes any Unicode digit); <c>\w</c> and <c>\b</c> are .NET's (Unicode word characters). A match that runs past the
/// timeout counts as no match. Elasticsearch logs a warning for a non-truncated example the regex does not match;
/// Vigil skips it silently. This runs only when a changed category definition is written, not per record.
/// </remarks>
internal static class GrokPatternCreator
{
    /// <summary>Deepest recursion into the pieces before and after a match (Elasticsearch's <c>MAX_RECURSE_DEPTH</c>).</summary>
    public const int MaxRecurseDepth = 10;

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    private static readonly Regex GapToken = new(@"\.[*+]\??", RegexOptions.CultureInvariant, MatchTimeout);

    // Legacy built-in Grok definitions (libs/grok patterns: grok-patterns, java, firewalls), each reference wrapped in a group.
    private const string Username = "[a-zA-Z0-9._-]+";
    private const string EmailLocalPart = "[a-zA-Z][a-zA-Z0-9_.+-=:]+";
    private const string Int = "(?:[+-]?(?:[0-9]+))";
    private const string Base10Num = @"(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))";
    private const string Number = "(?:" + Base10Num + ")";
    private const string Base16Num = "(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))";
    private const string PosInt = @"\b(?:[1-9][0-9]*)\b";
    private const string QuotedString = """(?>(?<!\\)(?>"(?>\\.|[^\\"]+)+"|""|(?>'(?>\\.|[^\\']+)+')|''|(?>`(?>\\.|[^\\`]+)+`)|``))""";
    private const string Uuid = "[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}";
    private const string CiscoMac = @"(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})";
    private const string WindowsMac = "(?:(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})";
    private const string CommonMac = "(?:(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})";
    private const string Mac = "(?:(?:" + CiscoMac + ")|(?:" + WindowsMac + ")|(?:" + CommonMac + "))";

    // One IPv4 group of IPV6 (25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d) and its dotted quad.
    private const string V6Byte = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private const string V6Quad = "(" + V6Byte + @"(\." + V6Byte + "){3})";
    private const string H16 = "[0-9A-Fa-f]{1,4}";
    private const string Ipv6 =
        "(((" + H16 + ":){7}(" + H16 + "|:))"
        + "|((" + H16 + ":){6}(:" + H16 + "|" + V6Quad + "|:))"
        + "|((" + H16 + ":){5}(((:" + H16 + "){1,2})|:" + V6Quad + "|:))"
        + "|((" + H16 + ":){4}(((:" + H16 + "){1,3})|((:" + H16 + ")?:" + V6Quad + ")|:))"
        + "|((" + H16 + ":){3}(((:" + H16 + "){1,4})|((:" + H16 + "){0,2}:" + V6Quad + ")|:))"
        + "|((" + H16 + ":){2}(((:" + H16 + "){1,5})|((:" + H16 + "){0,3}:" + V6Quad + ")|:))"
        + "|((" + H16 + ":){1}(((:" + H16 + "){1,6})|((:" + H16 + "){0,4}:" + V6Quad + ")|:))"
        + "|(:(((:" + H16 + "){1,7})|((:" + H16 + "){0,5}:" + V6Quad + ")|:)))(%.+)?";

    private const string V4Byte = "(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])";
    private const string Ipv4 = "(?<![0-9])(?:" + V4Byte + "[.]" + V4Byte + "[.]" + V4Byte + "[.]" + V4Byte + ")(?![0-9])";
    private const string Ip = "(?:(?:" + Ipv6 + ")|(?:" + Ipv4 + "))";
    private const string Hostname = @"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(\.?|\b)";
    private const string IpOrHost = "(?:(?:" + Ip + ")|(?:" + Hostname + "))";
    private const string EmailAddress = "(?:" + EmailLocalPart + ")@(?:" + Hostname + ")";

    private const string UnixPath = @"(/([\w_%!$@:.,+~-]+|\\.)*)+";
    private const string WinPath = @"(?>[A-Za-z]+:|\\)(?:\\[^\\?*]*)+";
    private const string Path = "(?:(?:" + UnixPath + ")|(?:" + WinPath + "))";
    // URIPROTO is "[A-Za-z]([A-Za-z0-9+\-.]+)+": the nested repeat matches the same text as one repeat but backtracks
    // exponentially on a long word not followed by "://".
    private const string UriProto = @"[A-Za-z][A-Za-z0-9+\-.]+";
    private const string UriHost = "(?:" + IpOrHost + ")(?::(?:" + PosInt + "))?";
    private const string UriPath = @"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+";
    private const string UriParam = @"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*";
    private const string UriPathParam = "(?:" + UriPath + ")(?:(?:" + UriParam + "))?";
    private const string Uri = "(?:" + UriProto + ")://(?:(?:" + Username + ")(?::[^@]*)?@)?(?:(?:" + UriHost + "))?(?:(?:" + UriPathParam + "))?";

    private const string Month = @"\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b";
    private const string MonthNum = "(?:0?[1-9]|1[0-2])";
    private const string MonthNum2 = "(?:0[1-9]|1[0-2])";
    private const string MonthDay = "(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])";
    private const string Day = "(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)";
    private const string Year = "(?:(?>[0-9][0-9]){1,2})";
    private const string Hour = "(?:2[0123]|[01]?[0-9])";
    private const string Minute = "(?:[0-5][0-9])";
    private const string Second = "(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)";

    // TIME's "(?!<[0-9])" is Grok's text as written (a lookahead for "<digit"), kept so matches agree.
    private const string Time = "(?:(?!<[0-9])" + Hour + ":" + Minute + "(?::" + Second + ")(?![0-9]))";
    private const string DateUs = MonthNum + "[/-]" + MonthDay + "[/-]" + Year;
    private const string DateEu = MonthDay + "[./-]" + MonthNum + "[./-]" + Year;
    private const string Iso8601Timezone = "(?:Z|[+-]" + Hour + "(?::?" + Minute + "))";
    private const string Iso8601Hour = "(?:2[0123]|[01][0-9])";
    private const string TimestampIso8601 =
        Year + "-" + MonthNum + "-" + MonthDay + "[T ]" + Iso8601Hour + ":?" + Minute + "(?::?" + Second + ")?" + Iso8601Timezone + "?";
    private const string Date = "(?:" + DateUs + ")|(?:" + DateEu + ")";
    private const string Tz = "(?:[APMCE][SD]T|UTC)";
    private const string DatestampRfc822 = Day + " " + Month + " " + MonthDay + " " + Year + " " + Time + " " + Tz;
    private const string DatestampRfc2822 = Day + ", " + MonthDay + " " + Month + " " + Year + " " + Time + " " + Iso8601Timezone;
    private const string DatestampOther = Day + " " + Month + " " + MonthDay + " " + Time + " " + Tz + " " + Year;
    private const string DatestampEventlog = Year + MonthNum2 + MonthDay + Hour + Minute + Second;
    private const string SyslogTimestamp = Month + " +" + MonthDay + " " + Time;
    private const string HttpDate = MonthDay + "/" + Month + "/" + Year + ":" + Time + " " + Int;
    private const string CatalinaDatestamp = Month + " " + MonthDay + ", 20" + Year + " " + Hour + ":?" + Minute + "(?::?" + Second + ") (?:AM|PM)";
    private const string TomcatDatestamp = "20" + Year + "-" + MonthNum + "-" + MonthDay + " " + Hour + ":?" + Minute + "(?::?" + Second + ") " + Iso8601Timezone;
    private const string CiscoTimestamp = Month + " +" + MonthDay + "(?: " + Year + ")? " + Time;
    private const string LogLevel = "([Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|WARN?(?:ING)?"
        + "|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)";

    private const string WordBreak = @"\b";

    /// <summary>The candidates in Elasticsearch's order: more specific patterns before more generic ones.</summary>
    internal static readonly Candidate[] Candidates =
    [
        new("TOMCAT_DATESTAMP", "timestamp", TomcatDatestamp, WordBreak, WordBreak),
        new("TIMESTAMP_ISO8601", "timestamp", TimestampIso8601, WordBreak, WordBreak),
        new("DATESTAMP_RFC822", "timestamp", DatestampRfc822, WordBreak, WordBreak),
        new("DATESTAMP_RFC2822", "timestamp", DatestampRfc2822, WordBreak, WordBreak),
        new("DATESTAMP_OTHER", "timestamp", DatestampOther, WordBreak, WordBreak),
        new("DATESTAMP_EVENTLOG", "timestamp", DatestampEventlog, WordBreak, WordBreak),
        new("SYSLOGTIMESTAMP", "timestamp", SyslogTimestamp, WordBreak, WordBreak),
        new("HTTPDATE", "timestamp", HttpDate, WordBreak, WordBreak),
        new("CATALINA_DATESTAMP", "timestamp", CatalinaDatestamp, WordBreak, WordBreak),
        new("CISCOTIMESTAMP", "timestamp", CiscoTimestamp, WordBreak, WordBreak),
        new("DATE", "date", Date, WordBreak, WordBreak),
        new("TIME", "time", Time, WordBreak, WordBreak),
        new("LOGLEVEL", "loglevel", LogLevel, WordBreak, WordBreak),
        new("URI", "uri", Uri, WordBreak, WordBreak),
        new("UUID", "uuid", Uuid, WordBreak, WordBreak),
        new("MAC", "macaddress", Mac, WordBreak, WordBreak),

        // Slashes are not word characters, so a path is bounded by "no word character" rather than \b.
        new("PATH", "path", Path, @"(?<!\w)", @"(?!\w)"),
        new("EMAILADDRESS", "email", EmailAddress, WordBreak, WordBreak),
        new("IP", "ipaddress", Ip, WordBreak, WordBreak),

        // QUOTEDSTRING carries its own boundaries.
        new("QUOTEDSTRING", "field", QuotedString, "", ""),

        // No sign, dot or word character before a number, so numeric suffixes of words are not taken.
        new("NUMBER", "field", Number, @"(?<![\w.+-])", @"(?![\w+-]|\.[0-9])"),
        new("BASE16NUM", "field", Base16Num, @"(?<![\w.+-])", @"(?![\w+-]|\.\w)"),
    ];

    /// <summary>
    /// The Grok pattern for a category: <paramref name="regex"/> with its gaps replaced by the patterns every example
    /// agrees on, or "" when there is no example or no regex (as Elasticsearch's results provider).
    /// </summary>
    public static string ForCategory(string regex, IReadOnlyList<string> examples)
    {
        ArgumentNullException.ThrowIfNull(regex);
        ArgumentNullException.ThrowIfNull(examples);
        return examples.Count == 0 || regex.Length == 0 ? "" : FindBestGrokMatchFromExamples(regex, examples);
    }

    /// <summary>The Grok pattern matching the category's examples (Elasticsearch's <c>findBestGrokMatchFromExamples</c>).</summary>
    public static string FindBestGrokMatchFromExamples(string regex, IReadOnlyList<string> examples)
    {
        ArgumentNullException.ThrowIfNull(regex);
        ArgumentNullException.ThrowIfNull(examples);

        // ".*?cat.+?sat.+?mat.*" -> "", "cat", "sat", "mat" (the first is always empty and precedes the first gap).
        var fixedBits = SplitFixedBits(regex);
        if (fixedBits.Count == 0)
        {
            return regex;
        }

        // ".*?cat.+?sat.+?mat.*" -> (.*?)cat(.+?)sat(.+?)mat(.*), matched against the whole example.
        var capturing = GapToken.Replace(regex, "($0)");
        Regex pieces;
        try
        {
            pieces = new Regex(@"\A(?:" + capturing + @")\z", RegexOptions.Singleline | RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException)
        {
            return regex;
        }

        var gaps = new List<string>[fixedBits.Count];
        for (var i = 0; i < gaps.Length; i++)
        {
            gaps[i] = new List<string>(examples.Count);
        }

        foreach (var example in examples)
        {
            Match m;
            try
            {
                m = pieces.Match(example);
            }
            catch (RegexMatchTimeoutException)
            {
                continue;
            }

            // No match: the example was truncated ("...") beyond a fixed part of the regex.
            if (!m.Success)
            {
                continue;
            }

            var groups = Math.Min(m.Groups.Count - 1, gaps.Length);
            for (var g = 1; g <= groups; g++)
            {
                gaps[g - 1].Add(m.Groups[g].Value);
            }
        }

        var fieldCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var grok = new StringBuilder(regex.Length + 32);
        for (var i = 0; i < gaps.Length; i++)
        {
            grok.Append(fixedBits[i]);
            AppendBestGrokMatch(fieldCounts, grok, i == 0, i == gaps.Length - 1, gaps[i], 0);
        }

        return grok.ToString();
    }

    /// <summary>
    /// Appends the best Grok for the strings of one gap: the first candidate matching all of them, with the pieces before
    /// and after it treated the same way, or <c>.*</c> / <c>.*?</c> / <c>.+?</c> when none matches.
    /// </summary>
    internal static void AppendBestGrokMatch(Dictionary<string, int> fieldCounts, StringBuilder grok, bool isFirst, bool isLast,
        List<string> mustMatch, int depth)
    {
        ArgumentNullException.ThrowIfNull(fieldCounts);
        ArgumentNullException.ThrowIfNull(grok);
        ArgumentNullException.ThrowIfNull(mustMatch);
        Candidate? best = null;
        if (mustMatch.Count > 0 && depth < MaxRecurseDepth)
        {
            foreach (var candidate in Candidates)
            {
                if (candidate.MatchesAll(mustMatch))
                {
                    best = candidate;
                    break;
                }
            }
        }

        if (best is null)
        {
            if (isLast)
            {
                grok.Append(".*");
            }
            else if (isFirst || mustMatch.Contains(""))
            {
                grok.Append(".*?");
            }
            else
            {
                grok.Append(".+?");
            }

            return;
        }

        var prefaces = new List<string>(mustMatch.Count);
        var epilogues = new List<string>(mustMatch.Count);
        best.Split(mustMatch, prefaces, epilogues);
        AppendBestGrokMatch(fieldCounts, grok, isFirst, false, prefaces, depth + 1);
        grok.Append("%{").Append(best.GrokName).Append(':').Append(BuildFieldName(fieldCounts, best.FieldName)).Append('}');
        AppendBestGrokMatch(fieldCounts, grok, false, isLast, epilogues, depth + 1);
    }

    /// <summary>The field name the first time, then the name with 2, 3, … appended (Elasticsearch's <c>buildFieldName</c>).</summary>
    internal static string BuildFieldName(Dictionary<string, int> fieldCounts, string fieldName)
    {
        ArgumentNullException.ThrowIfNull(fieldCounts);
        fieldCounts.TryGetValue(fieldName, out var seen);
        seen++;
        fieldCounts[fieldName] = seen;
        return seen > 1 ? fieldName + seen.ToString(System.Globalization.CultureInfo.InvariantCulture) : fieldName;
    }

    /// <summary>Java's <c>regex.split("\\.[*+]\\??")</c>: the parts between gap tokens, trailing empty parts dropped.</summary>
    private static List<string> SplitFixedBits(string regex)
    {
        var bits = new List<string>(GapToken.Split(regex));
        if (bits.Count == 1)
        {
            // No gap token: Java returns the input itself.
            return bits;
        }

        while (bits.Count > 0 && bits[^1].Length == 0)
        {
            bits.RemoveAt(bits.Count - 1);
        }

        return bits;
    }

    /// <summary>A Grok pattern tried on a gap, searched as <c>preface PRE pattern POST epilogue</c>.</summary>
    /// <remarks>
    /// Grok's <c>%{DATA:preface}</c> (<c>.*?</c>) in front makes every search quadratic in the string's length; since
    /// <c>.</c> stops at a newline, its match is the leftmost match of the rest and the preface is the text from the
    /// start of that match's line, which is what <see cref="Split"/> takes, so the regex leaves the preface out.
    /// </remarks>
    internal sealed class Candidate
    {
        private readonly Regex _regex;

        /// <summary>Creates the candidate's search regex.</summary>
        public Candidate(string grokName, string fieldName, string pattern, string preBreak, string postBreak)
        {
            GrokName = grokName;
            FieldName = fieldName;
            _regex = new Regex(
                preBreak + "(?<this>" + pattern + ")" + postBreak + "(?<epilogue>.*)",
                RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant,
                MatchTimeout);
        }

        /// <summary>The Grok pattern's name (<c>TIMESTAMP_ISO8601</c>).</summary>
        public string GrokName { get; }

        /// <summary>The field name it extracts (<c>timestamp</c>).</summary>
        public string FieldName { get; }

        /// <summary>Whether the pattern is found in every string.</summary>
        public bool MatchesAll(List<string> strings)
        {
            foreach (var s in strings)
            {
                try
                {
                    if (!_regex.IsMatch(s))
                    {
                        return false;
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Appends, for each string, the text before and after the pattern's first match.</summary>
        public void Split(List<string> strings, List<string> prefaces, List<string> epilogues)
        {
            foreach (var s in strings)
            {
                // MatchesAll succeeded on every string, so each matches again (same input, same regex); a match
                // that now runs out of time leaves the whole string before the field.
                Match m;
                try
                {
                    m = _regex.Match(s);
                }
                catch (RegexMatchTimeoutException)
                {
                    prefaces.Add(s);
                    epilogues.Add("");
                    continue;
                }

                // Grok's "%{DATA:preface}" (".*?", no newline) searched from each start: the text from the start of
                // the match's line.
                var lineStart = m.Index == 0 ? 0 : s.LastIndexOf('\n', m.Index - 1) + 1;
                prefaces.Add(s[lineStart..m.Index]);
                epilogues.Add(m.Groups["epilogue"].Value);
            }
        }
    }
}
