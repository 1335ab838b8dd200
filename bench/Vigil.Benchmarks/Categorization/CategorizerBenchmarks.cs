using System.Text;
using BenchmarkDotNet.Attributes;
using Vigil.Engine.Categorization;

namespace Vigil.Benchmarks.Categorization;

/// <summary>
/// Categorization cost per message once its category exists: the default analyzer (first line, ml_standard tokens,
/// day and month stop words) and the token-list categorizer, over 1,024 generated log lines of 20 templates with
/// variable host names, numbers, user names and durations.
/// </summary>
[MemoryDiagnoser]
public class CategorizerBenchmarks
{
    private static readonly string[] Templates =
    [
        "Connection to {0} timed out after {1}s",
        "User {2} logged in from 10.0.{3}.{1}",
        "GET /api/v2/orders/{1} returned 200 in {1} ms",
        "Cache miss for key session:{2}:{1}",
        "Scheduled job cleanup-{3} finished in {1} ms with {3} deleted rows",
        "Disk usage on {0} at {3}% (threshold 90%)",
        "Failed to send email to {2}@example.com: mailbox unavailable",
        "Worker {3} picked task {1} from queue ingest",
        "Retrying request {1} to {0} (attempt {3} of 5)",
        "Garbage collection paused the process for {1} ms",
        "Payment {1} authorised for customer {2}",
        "Heartbeat from node {0} received after {1} ms",
        "Configuration reloaded by {2} on {0}",
        "Slow query on table orders took {1} ms",
        "Certificate for {0} expires in {3} days",
        "Upload of file report-{1}.csv by {2} completed",
        "Lock on resource {1} held by {0} released",
        "Rate limit exceeded for client {2}, retry after {3} s",
        "Index rebuild of products started on {0}",
        "Session {1} expired for user {2}",
    ];

    private readonly List<byte[]> _messages = [];
    private TokenListCategorizer _categorizer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        string[] users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
        for (var i = 0; i < 1024; i++)
        {
            var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[random.Next(Templates.Length)],
                "db-" + random.Next(100), random.Next(100_000), users[random.Next(users.Length)], random.Next(100));
            _messages.Add(Encoding.UTF8.GetBytes(text));
        }

        _categorizer = new TokenListCategorizer(MessageAnalyzer.Create(null, null), 4);
        foreach (var m in _messages)
        {
            _categorizer.Categorize(m, 0);
        }

        Console.WriteLine($"// categories: {_categorizer.Categories.Count}");
    }

    /// <summary>Categorizes the 1,024 messages once more (every category exists).</summary>
    [Benchmark(OperationsPerInvoke = 1024)]
    public int Categorize()
    {
        var sum = 0;
        foreach (var m in _messages)
        {
            sum += _categorizer.Categorize(m, 0);
        }

        return sum;
    }
}
