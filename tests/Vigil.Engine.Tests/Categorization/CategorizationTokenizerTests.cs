using Vigil.Engine.Categorization;

namespace Vigil.Engine.Tests.Categorization;

public sealed class CategorizationTokenizerTests
{
    private static List<string> Tokens(string message, string? analyzerJson = null, IReadOnlyList<string>? filters = null)
    {
        var analyzer = MessageAnalyzer.Create(analyzerJson, filters);
        var n = analyzer.Analyze(message);
        var tokens = new List<string>(n);
        for (var i = 0; i < n; i++)
        {
            tokens.Add(analyzer.Token(i).ToString());
        }

        return tokens;
    }

    [Fact]
    public void Ml_standard_keeps_hosts_emails_paths_and_urls_whole_and_drops_numbers()
    {
        var tokens = Tokens(
            "2024-01-05 ERROR [main] Connection to db-server-01.example.com:5432 failed after 30ms for alice@example.com "
            + "reading /var/log/app.log via http://host/x.");
        Assert.Equal(
            ["ERROR", "main", "Connection", "to", "db-server-01.example.com", "failed", "after", "for", "alice@example.com", "reading",
                "/var/log/app.log", "via", "http://host/x"],
            tokens);
    }

    [Fact]
    public void Ml_standard_drops_hex_numbers_and_tokens_starting_with_a_digit()
    {
        Assert.Equal(["beef1234z", "id"], Tokens("deadbeef 0x1F beef1234z 9abc id 12-34"));
    }

    [Fact]
    public void Ml_standard_ends_a_token_at_a_colon_not_followed_by_a_slash()
    {
        Assert.Equal(["user", "alice", "logged"], Tokens("user:alice logged"));
    }

    [Fact]
    public void Ml_standard_strips_trailing_punctuation_and_keeps_windows_paths()
    {
        Assert.Equal(["done", "C:\\temp\\file.txt", "ok"], Tokens("done... C:\\temp\\file.txt ok__"));
    }

    [Fact]
    public void Default_analyzer_removes_day_and_month_names_case_sensitively()
    {
        Assert.Equal(["backup", "finished", "monday"], Tokens("Mon Jan 05 UTC backup finished monday"));
    }

    [Fact]
    public void Default_analyzer_reads_the_first_non_blank_line_only()
    {
        Assert.Equal(["first", "line", "here"], Tokens("\n   \n first line here\nsecond line"));
    }

    [Fact]
    public void Categorization_filters_remove_their_matches_before_tokenizing()
    {
        Assert.Equal(["request", "done"], Tokens("request [trace abc] done", filters: ["\\[.*?\\]"]));
    }

    [Fact]
    public void Custom_analyzer_applies_pattern_replace_lowercase_and_limit()
    {
        const string Json = """
            {"char_filter":[{"type":"pattern_replace","pattern":"secret\\w+","replacement":"masked"}],
             "tokenizer":"ml_standard","filter":["lowercase",{"type":"limit","max_token_count":3}]}
            """;
        Assert.Equal(["token", "masked", "was"], Tokens("Token secretXYZ was Used", Json));
    }

    /// <summary>Messages and the tokens Elasticsearch's standard categorization analyzer gives them (its analyzer tests).</summary>
    public static TheoryData<string, string[]> ElasticsearchCases => new()
    {
        {
            "<ml13-4608.1.p2ps: Info: > Source ML_SERVICE2 on 13122:867 has shut down.",
            ["ml13-4608.1.p2ps", "Info", "Source", "ML_SERVICE2", "on", "has", "shut", "down"]
        },
        {
            "Vpxa: [49EC0B90 verbose 'VpxaHalCnxHostagent' opID=WFU-ddeadb59] [WaitForUpdatesDone] Received callback",
            ["Vpxa", "verbose", "VpxaHalCnxHostagent", "opID", "WFU-ddeadb59", "WaitForUpdatesDone", "Received", "callback"]
        },
        { "org.apache.coyote.http11.Http11BaseProtocol destroy", ["org.apache.coyote.http11.Http11BaseProtocol", "destroy"] },
        {
            " [1111529792] INFO  session <45409105041220090733@192.168.251.123> - ----------------- PROXY Session DESTROYED --------------------",
            ["INFO", "session", "PROXY", "Session", "DESTROYED"]
        },
        {
            "PSYoungGen      total 2572800K, used 1759355K [0x0000000759500000, 0x0000000800000000, 0x0000000800000000)",
            ["PSYoungGen", "total", "used"]
        },
        { "first line\nsecond line\nthird line", ["first", "line"] },
        { "first line\r\nsecond line\r\nthird line", ["first", "line"] },
        { "\nsecond line\nthird line", ["second", "line"] },
        { "\r\nsecond line\r\nthird line", ["second", "line"] },
        { "", [] },
    };

    [Theory]
    [MemberData(nameof(ElasticsearchCases))]
    public void Default_analyzer_tokenizes_as_elasticsearch(string message, string[] expected)
    {
        Assert.Equal(expected, Tokens(message));
    }
}
