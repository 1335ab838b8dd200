using System.Text;
using System.Text.RegularExpressions;
using Vigil.Engine.Categorization;

namespace Vigil.Engine.Tests.Categorization;

public sealed class CategorizerTests
{
    private static readonly string[] Names =
    [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent",
        "victor", "walter", "olivia", "noah", "emma", "liam",
    ];

    /// <summary>Five templates; the expected terms are their fixed words.</summary>
    internal static readonly string[] ExpectedTerms =
    [
        "User logged in from",
        "Connection to database timed out after ms",
        "Disk usage on volume at percent",
        "Request completed with status",
        "Scheduled job started by scheduler",
    ];

    internal static string Message(Random r, int template) => template switch
    {
        0 => $"User {Names[r.Next(Names.Length)]} logged in from 10.0.{r.Next(256)}.{r.Next(256)}",
        1 => $"Connection to database {Names[r.Next(Names.Length)]} timed out after {r.Next(5000)} ms",
        2 => $"Disk usage on volume vol{r.Next(40)} at {r.Next(100)} percent",
        3 => $"Request {r.Next(0x100000, 0xFFFFFF):x6} completed with status {r.Next(200, 600)}",
        _ => $"Scheduled job {Names[r.Next(Names.Length)]}{Names[r.Next(Names.Length)]} started by scheduler",
    };

    private static TokenListCategorizer New(int examples = 4) => new(MessageAnalyzer.Create(null, null), examples);

    [Fact]
    public void Each_template_becomes_one_category_whose_terms_are_its_fixed_words()
    {
        var categorizer = New();
        var r = new Random(7);
        var ids = new HashSet<int>[ExpectedTerms.Length];
        for (var k = 0; k < ids.Length; k++)
        {
            ids[k] = [];
        }

        var counts = new int[ExpectedTerms.Length];
        for (var i = 0; i < 2_000; i++)
        {
            var t = r.Next(ExpectedTerms.Length);
            var message = Message(r, t);
            ids[t].Add(categorizer.Categorize(Encoding.UTF8.GetBytes(message), 0));
            counts[t]++;
        }

        Assert.Equal(ExpectedTerms.Length, categorizer.Categories.Count);
        for (var t = 0; t < ExpectedTerms.Length; t++)
        {
            var id = Assert.Single(ids[t]);
            var category = categorizer.Categories[id - 1];
            Assert.Equal(ExpectedTerms[t], category.Terms(categorizer.Tokens));
            Assert.Equal(counts[t], category.NumMatches);
            Assert.Equal(4, category.Examples.Count);
            Assert.Equal([.. category.Examples.Order(StringComparer.Ordinal)], category.Examples);
            var regex = new Regex(category.Regex(categorizer.Tokens), RegexOptions.Singleline);
            Assert.All(category.Examples, e => Assert.Matches(regex, e));
            Assert.All(category.Examples, e => Assert.True(Encoding.UTF8.GetByteCount(e) <= category.MaxMatchingLength));
        }

        var stats = categorizer.Stats();
        Assert.Equal(new CategorizerStats(2_000, 5, 5, 0, 0, 0, "ok"), stats);
    }

    [Fact]
    public void Regex_joins_the_ordered_common_tokens()
    {
        var categorizer = New();
        categorizer.Categorize("User alice logged in from 10.0.0.1"u8, 0);
        categorizer.Categorize("User bob logged in from 10.0.0.2"u8, 0);
        var category = Assert.Single(categorizer.Categories);
        Assert.Equal(".*?User.+?logged.+?in.+?from.*", category.Regex(categorizer.Tokens));
        Assert.Equal(["User alice logged in from 10.0.0.1", "User bob logged in from 10.0.0.2"], category.Examples);
    }

    [Fact]
    public void Examples_stop_at_the_limit_and_long_ones_are_cut_to_1000_bytes()
    {
        var categorizer = New(examples: 2);
        var longTail = new string('7', 1500);
        categorizer.Categorize(Encoding.UTF8.GetBytes("Payload received " + longTail), 0);
        categorizer.Categorize(Encoding.UTF8.GetBytes("Payload received " + longTail), 0);
        var category = Assert.Single(categorizer.Categories);
        var example = Assert.Single(category.Examples);
        Assert.Equal(1000, Encoding.UTF8.GetByteCount(example));
        Assert.EndsWith("...", example, StringComparison.Ordinal);
        categorizer.Categorize("Payload received 1"u8, 0);
        categorizer.Categorize("Payload received 2"u8, 0);
        Assert.Single(categorizer.Categories);
        Assert.Equal(2, category.Examples.Count);
        Assert.Equal("Payload received 1", category.Examples[0]);
    }

    [Fact]
    public void A_different_message_shape_starts_a_new_category()
    {
        var categorizer = New();
        var a = categorizer.Categorize("Service started successfully on node alpha"u8, 0);
        var b = categorizer.Categorize("Service started successfully on node beta"u8, 0);
        var c = categorizer.Categorize("Out of memory while allocating buffer"u8, 0);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(2, c);
    }

    [Fact]
    public void Partitions_have_their_own_categories_with_job_wide_ids()
    {
        var categorizer = New();
        var a = categorizer.Categorize("Service started successfully on node alpha"u8, 0);
        var b = categorizer.Categorize("Service started successfully on node alpha"u8, 3);
        var c = categorizer.Categorize("Service started successfully on node gamma"u8, 3);
        Assert.Equal(1, a);
        Assert.Equal(2, b);
        Assert.Equal(b, c);
        Assert.Equal(3, categorizer.Categories[1].Partition);
    }

    [Fact]
    public void Save_and_load_keep_categories_ids_and_statistics()
    {
        var categorizer = New();
        var r = new Random(11);
        for (var i = 0; i < 500; i++)
        {
            categorizer.Categorize(Encoding.UTF8.GetBytes(Message(r, r.Next(ExpectedTerms.Length))), 0);
        }

        using var stream = new MemoryStream();
        categorizer.Save(stream);
        stream.Position = 0;
        var restored = New();
        restored.Load(stream);
        Assert.Equal(categorizer.Stats(), restored.Stats());
        Assert.Equal(categorizer.Categories.Count, restored.Categories.Count);
        for (var i = 0; i < categorizer.Categories.Count; i++)
        {
            Assert.Equal(categorizer.Categories[i].Terms(categorizer.Tokens), restored.Categories[i].Terms(restored.Tokens));
            Assert.Equal(categorizer.Categories[i].Examples, restored.Categories[i].Examples);
        }

        for (var i = 0; i < 300; i++)
        {
            var message = Encoding.UTF8.GetBytes(Message(r, r.Next(ExpectedTerms.Length)));
            Assert.Equal(categorizer.Categorize(message, 0), restored.Categorize(message, 0));
        }

        var fresh = "Completely unrelated shutdown notice"u8;
        Assert.Equal(categorizer.Categorize(fresh, 0), restored.Categorize(fresh, 0));
        Assert.Equal(6, restored.Categories.Count);
    }

    [Fact]
    public void Load_rejects_a_state_that_is_not_a_categorizer_state()
    {
        using var stream = new MemoryStream(new byte[16]);
        Assert.Throws<InvalidDataException>(() => New().Load(stream));
    }

    [Fact]
    public void Categorize_allocates_nothing_for_messages_of_existing_categories_even_with_new_variable_tokens()
    {
        var categorizer = New();
        var r = new Random(3);
        for (var i = 0; i < 1_000; i++)
        {
            categorizer.Categorize(Encoding.UTF8.GetBytes(Message(r, i % ExpectedTerms.Length)), 0);
        }

        // New user and database names the categorizer has never seen: they get temporary ids, no strings.
        var messages = new byte[2_000][];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = i % 2 == 0
                ? Encoding.UTF8.GetBytes($"User newcomer{(char)('a' + (i % 26))}x logged in from 10.1.{i % 256}.{i % 7}")
                : Encoding.UTF8.GetBytes(Message(r, i % ExpectedTerms.Length));
        }

        categorizer.Categorize(messages[0], 0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < messages.Length; i++)
        {
            categorizer.Categorize(messages[i], 0);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(ExpectedTerms.Length, categorizer.Categories.Count);
    }

    [Fact]
    public void Status_warns_by_ml_cpps_rules_once_100_messages_are_categorized()
    {
        Assert.False(TokenListCategorizer.IsWarn(99, 1, 0, 0, 0));
        Assert.True(TokenListCategorizer.IsWarn(100, 1, 1, 0, 0));
        Assert.True(TokenListCategorizer.IsWarn(100, 10, 1, 10, 0));
        Assert.True(TokenListCategorizer.IsWarn(100, 51, 1, 0, 0));
        Assert.True(TokenListCategorizer.IsWarn(100, 10, 0, 0, 0));
        Assert.True(TokenListCategorizer.IsWarn(100, 10, 2, 0, 6));
        Assert.False(TokenListCategorizer.IsWarn(100, 10, 2, 0, 5));
    }

    [Fact]
    public void Stats_count_rare_categories_and_warn_with_a_single_category()
    {
        var categorizer = New();
        for (var i = 0; i < 120; i++)
        {
            categorizer.Categorize(Encoding.UTF8.GetBytes($"Heartbeat from agent {Names[i % Names.Length]}"), 0);
        }

        Assert.Equal(new CategorizerStats(120, 1, 1, 0, 0, 0, "warn"), categorizer.Stats());
        categorizer.Categorize("Fatal kernel panic detected"u8, 0);
        Assert.Equal(new CategorizerStats(121, 2, 1, 1, 0, 0, "ok"), categorizer.Stats());
    }

    [Fact]
    public void Stop_on_warn_stops_only_the_partition_whose_status_became_warn()
    {
        var categorizer = new TokenListCategorizer(MessageAnalyzer.Create(null, null), 4, stopOnWarn: true);
        for (var i = 0; i < 99; i++)
        {
            Assert.Equal(1, categorizer.Categorize(Encoding.UTF8.GetBytes($"Heartbeat from agent {Names[i % Names.Length]}"), 1));
        }

        // The 100th message makes partition 1 a single-category partition with 100 messages: warn, so it stops.
        Assert.Equal(1, categorizer.Categorize("Heartbeat from agent zed"u8, 1));
        Assert.Equal(-1, categorizer.Categorize("Heartbeat from agent amy"u8, 1));
        Assert.Equal(2, categorizer.Categorize("Heartbeat from agent amy"u8, 2));
        Assert.Equal(101, categorizer.CategorizedCount);
    }

    [Theory]
    [InlineData("callback", 3)]
    [InlineData("INFO", 3)]
    [InlineData("Received", 6)]
    [InlineData("CREATING", 6)]
    [InlineData("VpxaHalCnxHostagent", 1)]
    [InlineData("ML_SERVICE2", 1)]
    [InlineData("a", 1)]
    [InlineData("/var/log", 1)]
    public void Token_weights_stand_in_for_ml_cpps_dictionary(string token, int weight)
    {
        Assert.Equal(weight, TokenListCategorizer.Weight(token));
    }

    /// <summary>Message sequences from ml-cpp's categorizer tests and the categories ml-cpp gives them.</summary>
    public static TheoryData<string[], int[]> MlCppCases => new()
    {
        {
            [
                " org.apache.coyote.http11.Http11BaseProtocol destroy",
                " org.apache.coyote.http11.Http11BaseProtocol init",
                " org.apache.coyote.http11.Http11BaseProtocol start",
                " org.apache.coyote.http11.Http11BaseProtocol stop",
            ],
            [1, 2, 3, 4]
        },
        {
            [
                "Vpxa: [49EC0B90 verbose 'VpxaHalCnxHostagent' opID=WFU-ddeadb59] [WaitForUpdatesDone] Received callback",
                "Vpxa: [49EC0B90 verbose 'Default' opID=WFU-ddeadb59] [VpxaHalVmHostagent] 11: GuestInfo changed 'guest.disk",
                "Vpxa: [49EC0B90 verbose 'VpxaHalCnxHostagent' opID=WFU-ddeadb59] [WaitForUpdatesDone] Completed callback",
                "Vpxa: [49EC0B90 verbose 'VpxaHalCnxHostagent' opID=WFU-35689729] [WaitForUpdatesDone] Received callback",
            ],
            [1, 2, 3, 1]
        },
        {
            [
                "<ml13-4608.1.p2ps: Info: > Source ML_SERVICE2 on 13122:867 has shut down.",
                "<ml13-4602.1.p2ps: Info: > Source MONEYBROKER on 13112:736 has shut down.",
                "<ml13-4606.1.p2ps: Info: > Source CUBE_LIQUID on 13188:2010 has shut down.",
                "<ml13-4608.1.p2ps: Info: > Source ML SERVICE2 on 13122:867 has shut down.",
                "<ml13-4602.1.p2ps: Info: > Source MONEYBROKER on 13112:736 has started.",
                "<ml13-4608.1.p2ps: Info: > Source ML_SERVICE2 on 13122:867 has started.",
            ],
            [1, 1, 1, 1, 2, 2]
        },
    };

    [Theory]
    [MemberData(nameof(MlCppCases))]
    public void Message_sequences_get_ml_cpps_categories(string[] messages, int[] expected)
    {
        var categorizer = New();
        var ids = new int[messages.Length];
        for (var i = 0; i < messages.Length; i++)
        {
            ids[i] = categorizer.Categorize(Encoding.UTF8.GetBytes(messages[i]), 0);
        }

        Assert.Equal(expected, ids);
    }
}
