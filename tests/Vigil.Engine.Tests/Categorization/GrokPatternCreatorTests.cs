using System.Text;
using System.Text.Json;
using Vigil.Engine.Categorization;

namespace Vigil.Engine.Tests.Categorization;

/// <summary>
/// The Grok patterns of category definitions. The input/expected pairs marked "ES" are those of Elasticsearch's
/// <c>GrokPatternCreatorTests</c>.
/// </summary>
public sealed class GrokPatternCreatorTests
{
    private static string Gap(bool isFirst, bool isLast, params string[] strings)
    {
        var grok = new StringBuilder();
        GrokPatternCreator.AppendBestGrokMatch(new Dictionary<string, int>(), grok, isFirst, isLast, [.. strings], 0);
        return grok.ToString();
    }

    [Fact]
    public void Field_names_are_numbered_from_their_second_use_per_name()
    {
        // ES testBuildFieldName.
        var counts = new Dictionary<string, int>();
        Assert.Equal("field", GrokPatternCreator.BuildFieldName(counts, "field"));
        Assert.Equal("field2", GrokPatternCreator.BuildFieldName(counts, "field"));
        Assert.Equal("field3", GrokPatternCreator.BuildFieldName(counts, "field"));
        Assert.Equal("timestamp", GrokPatternCreator.BuildFieldName(counts, "timestamp"));
        Assert.Equal("field4", GrokPatternCreator.BuildFieldName(counts, "field"));
        Assert.Equal("uri", GrokPatternCreator.BuildFieldName(counts, "uri"));
        Assert.Equal("timestamp2", GrokPatternCreator.BuildFieldName(counts, "timestamp"));
        Assert.Equal("field5", GrokPatternCreator.BuildFieldName(counts, "field"));
    }

    private static (List<string> Prefaces, List<string> Epilogues) Split(string grokName, params string[] strings)
    {
        var candidate = Array.Find(GrokPatternCreator.Candidates, c => c.GrokName == grokName)!;
        Assert.True(candidate.MatchesAll([.. strings]));
        var prefaces = new List<string>();
        var epilogues = new List<string>();
        candidate.Split([.. strings], prefaces, epilogues);
        return (prefaces, epilogues);
    }

    [Fact]
    public void Prefaces_and_epilogues_surround_a_timestamp()
    {
        // ES testPopulatePrefacesAndEpiloguesGivenTimestamp.
        var (prefaces, epilogues) = Split("TIMESTAMP_ISO8601", "[2018-01-25T15:33:23] DEBUG ", "[2018-01-24T12:33:23] ERROR ",
            "junk [2018-01-22T07:33:23] INFO ", "[2018-01-21T03:33:23] DEBUG ");
        Assert.Equal(["[", "[", "junk [", "["], prefaces);
        Assert.Equal(["] DEBUG ", "] ERROR ", "] INFO ", "] DEBUG "], epilogues);
    }

    [Fact]
    public void Prefaces_and_epilogues_surround_an_email_address()
    {
        // ES testPopulatePrefacesAndEpiloguesGivenEmailAddress.
        var (prefaces, epilogues) = Split("EMAILADDRESS", "before alice@acme.com after", "abc bob@acme.com xyz", "carol@acme.com");
        Assert.Equal(["before ", "abc ", ""], prefaces);
        Assert.Equal([" after", " xyz", ""], epilogues);
    }

    [Fact]
    public void Prefaces_and_epilogues_stop_at_a_newline_as_grok_data()
    {
        // Grok's DATA and GREEDYDATA do not cross a newline: the preface starts at the match's line, the epilogue ends with it.
        var (prefaces, epilogues) = Split("NUMBER", "first line\nvalue 42 here\nlast", "7 only");
        Assert.Equal(["value ", ""], prefaces);
        Assert.Equal([" here", " only"], epilogues);
    }

    [Fact]
    public void Timestamps_and_log_levels_are_found_in_a_gap()
    {
        // ES testAppendBestGrokMatchForStringsGivenTimestampsAndLogLevels.
        Assert.Equal(
            ".+?%{TIMESTAMP_ISO8601:timestamp}.+?%{LOGLEVEL:loglevel}.+?",
            Gap(false, false, "[2018-01-25T15:33:23] DEBUG ", "[2018-01-24T12:33:23] ERROR ", "junk [2018-01-22T07:33:23] INFO ",
                "[2018-01-21T03:33:23] DEBUG "));
    }

    [Fact]
    public void Tomcat_datestamp_wins_over_its_iso8601_prefix()
    {
        // ES testAppendBestGrokMatchForStringsGivenTomcatDatestamps.
        Assert.Equal(
            ".*?%{TOMCAT_DATESTAMP:timestamp}.+?%{LOGLEVEL:loglevel}.+?",
            Gap(false, false, "2018-09-03 17:03:28,269 +0100 | ERROR | ", "2018-09-03 17:04:27,279 +0100 | DEBUG | ",
                "2018-09-03 17:05:26,289 +0100 | ERROR | "));
    }

    [Fact]
    public void Dotted_version_like_strings_are_not_numbers()
    {
        // ES testAppendBestGrokMatchForStringsGivenTrappyFloatCandidates.
        Assert.Equal(".+?", Gap(false, false, "1.2.3", "-2.3.4", "4.5.6.7", "-9.8.7.6.5"));
    }

    [Fact]
    public void Numbers_in_brackets_are_numbers()
    {
        // ES testAppendBestGrokMatchForStringsGivenNumbersInBrackets.
        Assert.Equal(".+?%{NUMBER:field}.+?", Gap(false, false, "(-2)", "  (-3)", " (4)", " (-5) "));
    }

    [Fact]
    public void Negative_number_suffixes_of_words_are_not_numbers()
    {
        // ES testAppendBestGrokMatchForStringsGivenNegativeNumbersWithoutBreak.
        Assert.Equal(".+?", Gap(false, false, "before-2 ", "prior to-3", "-4"));
    }

    [Fact]
    public void Hex_numbers_are_base16()
    {
        // ES testAppendBestGrokMatchForStringsGivenHexNumbers.
        Assert.Equal(".*?%{BASE16NUM:field}.*?", Gap(false, false, " abc", "  123", " -123", "1f is hex"));
    }

    [Fact]
    public void Numbers_inside_host_names_are_not_taken()
    {
        // ES testAppendBestGrokMatchForStringsGivenHostnamesWithNumbers.
        Assert.Equal(".+?", Gap(false, false, "<host1.1.p2ps:", "<host2.1.p2ps:"));
    }

    [Fact]
    public void Email_addresses_are_found()
    {
        // ES testAppendBestGrokMatchForStringsGivenEmailAddresses.
        Assert.Equal(".*?%{EMAILADDRESS:email}.*?", Gap(false, false, "before alice@acme.com after", "abc bob@acme.com xyz", "carol@acme.com"));
    }

    [Fact]
    public void Uris_are_found()
    {
        // ES testAppendBestGrokMatchForStringsGivenUris.
        Assert.Equal(
            ".*?%{URI:uri}.*?",
            Gap(false, false, "main site https://www.elastic.co/ with trailing slash",
                "https://www.elastic.co/guide/en/x-pack/current/ml-configuring-categories.html#ml-configuring-categories is a section",
                "download today from https://www.elastic.co/downloads"));
    }

    [Fact]
    public void Unix_and_windows_paths_are_found()
    {
        // ES testAppendBestGrokMatchForStringsGivenPaths.
        Assert.Equal(".+?%{PATH:path}.*?", Gap(false, false, "on Mac /Users/dave", @"on Windows C:\Users\dave", "on Linux /home/dave"));
    }

    [Fact]
    public void Named_logs_get_syslog_timestamp_numbers_quoted_string_and_ip()
    {
        // ES testFindBestGrokMatchFromExamplesGivenNamedLogs.
        const string Regex = ".*?linux.+?named.+?error.+?unexpected.+?RCODE.+?REFUSED.+?resolving.*";
        string[] examples =
        [
            "Sep  8 11:55:06 linux named[22529]: error (unexpected RCODE REFUSED) resolving 'elastic.slack.com/A/IN': 95.110.64.205#53",
            "Sep  8 11:55:08 linux named[22529]: error (unexpected RCODE REFUSED) resolving 'slack-imgs.com/A/IN': 95.110.64.205#53",
            "Sep  8 11:55:35 linux named[22529]: error (unexpected RCODE REFUSED) resolving 'www.elastic.co/A/IN': 95.110.68.206#53",
            "Sep  8 11:55:42 linux named[22529]: error (unexpected RCODE REFUSED) resolving 'b.akamaiedge.net/A/IN': 95.110.64.205#53",
        ];
        Assert.Equal(
            ".*?%{SYSLOGTIMESTAMP:timestamp}.+?linux.+?named.+?%{NUMBER:field}.+?error.+?"
                + "unexpected.+?RCODE.+?REFUSED.+?resolving.+?%{QUOTEDSTRING:field2}.+?%{IP:ipaddress}.+?%{NUMBER:field3}.*",
            GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));
    }

    [Fact]
    public void Catalina_logs_with_an_embedded_newline_get_catalina_datestamp()
    {
        // ES testFindBestGrokMatchFromExamplesGivenCatalinaLogs: the example regex must let "." match the newline.
        const string Regex = @".*?org\.apache\.tomcat\.util\.http\.Parameters.+?processParameters.+?WARNING.+?Parameters.+?Invalid.+?chunk.+?ignored.*";
        string[] examples =
        [
            "Aug 29, 2009 12:03:33 AM org.apache.tomcat.util.http.Parameters processParameters\nWARNING: Parameters: Invalid chunk ignored.",
            "Aug 29, 2009 12:03:40 AM org.apache.tomcat.util.http.Parameters processParameters\nWARNING: Parameters: Invalid chunk ignored.",
            "Aug 29, 2009 12:03:45 AM org.apache.tomcat.util.http.Parameters processParameters\nWARNING: Parameters: Invalid chunk ignored.",
            "Aug 29, 2009 12:03:57 AM org.apache.tomcat.util.http.Parameters processParameters\nWARNING: Parameters: Invalid chunk ignored.",
        ];
        Assert.Equal(
            @".*?%{CATALINA_DATESTAMP:timestamp}.+?org\.apache\.tomcat\.util\.http\.Parameters.+?processParameters.+?"
                + "WARNING.+?Parameters.+?Invalid.+?chunk.+?ignored.*",
            GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));
    }

    [Fact]
    public void Two_timestamps_in_one_gap_are_numbered()
    {
        // ES testFindBestGrokMatchFromExamplesGivenMultiTimestampLogs.
        const string Regex = ".*?Authpriv.+?Info.+?sshd.+?subsystem.+?request.+?for.+?sftp.*";
        string[] examples =
        [
            "559550912540598297\t2016-04-20T14:06:53\t2016-04-20T21:06:53Z\t38545844\tserv02nw07\t192.168.114.28\tAuthpriv\tInfo\tsshd\tsubsystem request for sftp",
            "559550912548986880\t2016-04-20T14:06:53\t2016-04-20T21:06:53Z\t9049724\tserv02nw03\t10.120.48.147\tAuthpriv\tInfo\tsshd\tsubsystem request for sftp",
            "559550912548986887\t2016-04-20T14:06:53\t2016-04-20T21:06:53Z\t884343\tserv02tw03\t192.168.121.189\tAuthpriv\tInfo\tsshd\tsubsystem request for sftp",
            "559550912603512850\t2016-04-20T14:06:53\t2016-04-20T21:06:53Z\t8907014\tserv02nw01\t192.168.118.208\tAuthpriv\tInfo\tsshd\tsubsystem request for sftp",
        ];
        Assert.Equal(
            ".*?%{NUMBER:field}.+?%{TIMESTAMP_ISO8601:timestamp}.+?%{TIMESTAMP_ISO8601:timestamp2}.+?%{NUMBER:field2}.+?"
                + "%{IP:ipaddress}.+?Authpriv.+?Info.+?sshd.+?subsystem.+?request.+?for.+?sftp.*",
            GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));
    }

    [Fact]
    public void Recursion_stops_after_ten_levels()
    {
        // ES testFindBestGrokMatchFromExamplesGivenAdversarialInputRecurseDepth: a run of "\220" numbers is cut at depth 10.
        const string Regex = @".*?combo.+?rpc\.statd.+?gethostbyname.+?error.+?for.+?X.+?X.+?Z.+?Z.+?hn.+?hn.*";
        var tail = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            tail.Append(@"\220");
        }

        tail.Append(@"\22...");
        string[] examples =
        [
            "combo rpc.statd[1605]: gethostbyname error for ^X^X^Z^Z%8x%8x%8x%8x%8x%8x%8x%8x%8x%62716x%hn%51859x%hn" + tail,
            "combo rpc.statd[1608]: gethostbyname error for ^X^X^Z^Z%8x%8x%8x%8x%8x%8x%8x%8x%8x%62716x%hn%51859x%hn" + tail,
            "combo rpc.statd[1635]: gethostbyname error for ^X^X^Z^Z%8x%8x%8x%8x%8x%8x%8x%8x%8x%62716x%hn%51859x%hn" + tail,
        ];
        Assert.Equal(
            @".*?combo.+?rpc\.statd.+?%{NUMBER:field}.+?gethostbyname.+?error.+?for.+?X.+?X.+?Z.+?Z.+?hn.+?hn.+?%{NUMBER:field2}"
                + ".+?%{NUMBER:field3}.+?%{NUMBER:field4}.+?%{NUMBER:field5}.+?%{NUMBER:field6}.+?%{NUMBER:field7}.+?%{NUMBER:field8}"
                + ".+?%{NUMBER:field9}.+?%{NUMBER:field10}.+?%{NUMBER:field11}.*",
            GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));
    }

    [Fact]
    public void A_match_all_regex_is_returned_as_it_is()
    {
        // ES testFindBestGrokMatchFromExamplesGivenMatchAllRegex.
        string[] examples = ["Killing job [count_tweets]", "Killing job [tweets_by_location]", "[count_tweets] Killing job", "[tweets_by_location] Killing job"];
        Assert.Equal(".*", GrokPatternCreator.FindBestGrokMatchFromExamples(".*", examples));
    }

    [Fact]
    public void A_truncated_example_the_regex_does_not_match_gives_back_the_regex()
    {
        // ES testFindBestGrokMatchFromExamplesGivenTruncated (shortened): the fixed parts past the cut are not in the example.
        const string Regex = @".*?BST.+?dave.+?bank3.+?CONTEXT.+?SQL.+?statement.+?SELECT.+?time_series_ids_tmp\.evidence_id.+?LIMIT.+?PERFORM.*";
        string[] examples = ["2013-05-16 12:13:45 BST:192.168.61.59(51438):dave:@bank3:[19084]: CONTEXT:  SQL statement \"SELECT\n   time_series_ids_tmp.evidence_id,\n  LIMIT 1\"\n PL/pgSQL function probable_cause_list..."];
        Assert.Equal(Regex, GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));
    }

    [Fact]
    public void Numbers_ips_iso_timestamps_quoted_strings_and_uuids_are_named_in_order()
    {
        const string Regex = ".*?request.+?from.+?took.+?ms.+?user.+?id.*";
        string[] examples =
        [
            "2024-03-01T10:00:00Z request from 10.0.0.1 took 12 ms user \"alice smith\" id 123e4567-e89b-12d3-a456-426614174000",
            "2024-03-01T10:05:17.250+01:00 request from 192.168.1.20 took 3.5 ms user 'bob' id 00000000-0000-0000-0000-0000000000ff",
            "2024-03-02 11:12:13 request from 172.16.254.3 took -7 ms user \"\" id ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEF01",
        ];
        Assert.Equal(
            ".*?%{TIMESTAMP_ISO8601:timestamp}.+?request.+?from.+?%{IP:ipaddress}.+?took.+?%{NUMBER:field}.+?ms.+?user.+?"
                + "%{QUOTEDSTRING:field2}.+?id.+?%{UUID:uuid}.*",
            GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));
    }

    [Fact]
    public void A_gap_no_candidate_matches_in_every_example_stays_a_wildcard()
    {
        // Two of three user gaps hold a number, the third a plain word: no candidate matches all three.
        const string Regex = ".*?login.+?by.+?done.*";
        string[] examples = ["login by 42 done", "login by 7 done", "login by someone done"];
        Assert.Equal(".*?login.+?by.+?done.*", GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, examples));

        string[] numbers = ["login by 42 done", "login by 7 done"];
        Assert.Equal(".*?login.+?by.+?%{NUMBER:field}.+?done.*", GrokPatternCreator.FindBestGrokMatchFromExamples(Regex, numbers));
    }

    [Fact]
    public void Empty_gaps_in_some_examples_become_lazy_star_and_the_last_gap_star()
    {
        Assert.Equal(".*?", Gap(false, false, "", " x "));
        Assert.Equal(".+?", Gap(false, false, " y ", " x "));
        Assert.Equal(".*?", Gap(true, false, " y ", " x "));
        Assert.Equal(".*", Gap(true, true, " y ", " x "));
        Assert.Equal(".+?%{NUMBER:field}.*", Gap(false, true, " 5", " 6 end"));
    }

    [Fact]
    public void Dates_times_log_levels_and_mac_addresses_are_recognized()
    {
        Assert.Equal(".+?%{DATE:date}.+?", Gap(false, false, " on 12/31/2023 at", " on 01-02-2024 at"));
        Assert.Equal(".+?%{TIME:time}.+?", Gap(false, false, " at 23:59:01 by", " at 7:05:00.123 by"));
        Assert.Equal(".+?%{LOGLEVEL:loglevel}.+?", Gap(false, false, " [WARN] ", " [error] "));
        Assert.Equal(".+?%{MAC:macaddress}.*?", Gap(false, false, " nic 00:1a:2b:3c:4d:5e", " nic 00-1A-2B-3C-4D-5F"));
        Assert.Equal(".+?%{HTTPDATE:timestamp}.+?", Gap(false, false, " [10/Oct/2000:13:55:36 -0700] ", " [01/Jan/2024:00:00:00 +0000] "));
        Assert.Equal(".+?%{IP:ipaddress}.+?", Gap(false, false, " peer 2001:db8::1 up", " peer fe80::1ff:fe23:4567:890a up"));
    }

    [Fact]
    public void No_examples_or_no_regex_give_an_empty_pattern()
    {
        Assert.Equal("", GrokPatternCreator.ForCategory(".*?a.*", []));
        Assert.Equal("", GrokPatternCreator.ForCategory("", ["a"]));
        Assert.Equal(".*?a.+?%{NUMBER:field}.*", GrokPatternCreator.ForCategory(".*?a.*", ["a 1"]));
    }

    [Fact]
    public void Category_keeps_its_grok_pattern_until_an_example_or_its_regex_changes()
    {
        var categorizer = new TokenListCategorizer(MessageAnalyzer.Create(null, null), 4);
        categorizer.Categorize("User alice logged in from 10.0.0.1"u8, 0);
        categorizer.Categorize("User bob logged in from 10.0.0.2"u8, 0);
        var category = Assert.Single(categorizer.Categories);
        var first = category.GrokPattern(categorizer.Tokens);
        Assert.Equal(".*?User.+?logged.+?in.+?from.+?%{IP:ipaddress}.*", first);
        Assert.Same(first, category.GrokPattern(categorizer.Tokens));

        // A known example adds nothing; a new one without an address ends the pattern in ".*".
        categorizer.Categorize("User bob logged in from 10.0.0.2"u8, 0);
        Assert.Same(first, category.GrokPattern(categorizer.Tokens));
        categorizer.Categorize("User dave logged in from host-9"u8, 0);
        Assert.Single(categorizer.Categories);
        Assert.Equal(3, category.Examples.Count);
        Assert.Equal(".*?User.+?logged.+?in.+?from.*", category.GrokPattern(categorizer.Tokens));
    }

    [Fact]
    public void Category_document_writes_grok_pattern_after_examples()
    {
        var document = new CategoryDocument
        {
            JobId = "j",
            CategoryId = 1,
            Terms = "User logged in from",
            Regex = ".*?User.+?logged.+?in.+?from.*",
            MaxMatchingLength = 50,
            Examples = ["User alice logged in from 10.0.0.1", "User bob logged in from 10.0.3.4"],
            NumMatches = 2,
            PreferredToCategories = [3],
        };
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            document.WriteTo(w);
        }

        using var json = JsonDocument.Parse(stream.ToArray());
        var names = new List<string>();
        foreach (var p in json.RootElement.EnumerateObject())
        {
            names.Add(p.Name);
        }

        Assert.Equal(
            ["job_id", "category_id", "terms", "regex", "max_matching_length", "examples", "grok_pattern", "preferred_to_categories",
                "num_matches", "result_type", "mlcategory"],
            names);
        Assert.Equal(".*?User.+?logged.+?in.+?from.+?%{IP:ipaddress}.*", json.RootElement.GetProperty("grok_pattern").GetString());
    }
}
