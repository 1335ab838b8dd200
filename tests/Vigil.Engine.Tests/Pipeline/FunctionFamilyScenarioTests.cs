using System.Globalization;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>
/// One scenario per metric function family: three entities split by <c>host</c>, ten-minute buckets, one
/// anomaly of the kind the function is meant to see injected into host <c>h1</c> at a known bucket. The
/// injected series-bucket must be the top-scored record of the whole run.
/// </summary>
public sealed class FunctionFamilyScenarioTests
{
    private const int Buckets = 240;
    private const int AnomalyBucket = 200;
    private static readonly string[] Hosts = ["h0", "h1", "h2"];

    public enum Injection
    {
        /// <summary>Every value of the bucket shifted up.</summary>
        Shift,

        /// <summary>Every value of the bucket shifted down.</summary>
        Dip,

        /// <summary>One value far below the others.</summary>
        LowOutlier,

        /// <summary>One value far above the others.</summary>
        HighOutlier,

        /// <summary>Values spread far wider around the same mean.</summary>
        Spread,

        /// <summary>Three times as many records as usual.</summary>
        Burst,

        /// <summary>Many distinct values of the string field.</summary>
        ManyDistinct,

        /// <summary>Long random strings instead of a few repeated words.</summary>
        RandomText,
    }

    [Theory]
    [InlineData("mean", Injection.Shift)]
    [InlineData("avg", Injection.Dip)]
    [InlineData("high_mean", Injection.Shift)]
    [InlineData("low_mean", Injection.Dip)]
    [InlineData("median", Injection.Shift)]
    [InlineData("low_median", Injection.Dip)]
    [InlineData("min", Injection.LowOutlier)]
    [InlineData("max", Injection.HighOutlier)]
    [InlineData("sum", Injection.Burst)]
    [InlineData("high_sum", Injection.Shift)]
    [InlineData("non_null_sum", Injection.Burst)]
    [InlineData("low_non_null_sum", Injection.Dip)]
    [InlineData("varp", Injection.Spread)]
    [InlineData("high_varp", Injection.Spread)]
    [InlineData("metric", Injection.HighOutlier)]
    [InlineData("count", Injection.Burst)]
    [InlineData("non_zero_count", Injection.Burst)]
    [InlineData("distinct_count", Injection.ManyDistinct)]
    [InlineData("high_distinct_count", Injection.ManyDistinct)]
    [InlineData("info_content", Injection.RandomText)]
    [InlineData("high_info_content", Injection.RandomText)]
    public void Injected_anomaly_is_the_top_scored_record(string function, Injection injection)
    {
        var sink = Run(function, injection);

        var anomalyTime = Gen.Start + (AnomalyBucket * Gen.SpanMs);
        var top = sink.Records.MaxBy(r => r.RecordScore);
        Assert.NotNull(top);
        Assert.True(top.Timestamp == anomalyTime && top.ByFieldValue == "h1",
            $"top record {top.ByFieldValue} at bucket {(top.Timestamp - Gen.Start) / Gen.SpanMs} score {top.RecordScore:F1}");
        Assert.True(top.RecordScore >= 50, $"record_score {top.RecordScore:F1}");
        Assert.Equal(function == "avg" ? "mean" : function, top.Function); // ES reports the alias under its canonical name
        var bucket = sink.Buckets.Single(b => b.Timestamp == anomalyTime);
        Assert.True(bucket.AnomalyScore >= 50, $"anomaly_score {bucket.AnomalyScore:F1}");
    }

    [Theory]
    [InlineData("high_mean", Injection.Dip)]
    [InlineData("low_mean", Injection.Shift)]
    [InlineData("high_sum", Injection.Dip)]
    [InlineData("low_non_null_sum", Injection.Burst)]
    [InlineData("high_count", Injection.Dip)]
    public void One_sided_functions_ignore_the_other_direction(string function, Injection injection)
    {
        var sink = Run(function, injection);

        var anomalyTime = Gen.Start + (AnomalyBucket * Gen.SpanMs);
        var atAnomaly = sink.Records.Where(r => r.Timestamp == anomalyTime && r.ByFieldValue == "h1").ToList();
        Assert.True(atAnomaly.All(r => r.RecordScore < 25),
            $"record_score {string.Join(", ", atAnomaly.Select(r => r.RecordScore.ToString("F1", CultureInfo.InvariantCulture)))}");
    }

    private static CollectingSink Run(string function, Injection injection)
    {
        var stringField = injection is Injection.ManyDistinct or Injection.RandomText;
        var field = function.EndsWith("count", StringComparison.Ordinal) && !function.Contains("distinct", StringComparison.Ordinal)
            ? null
            : stringField ? "user" : "value";
        var spec = Gen.Spec(function, field, "host", null, ["value", "host", "user"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(3);
        var random = new Random(HashCode(function) ^ (int)injection);
        Span<char> text = stackalloc char[24];
        for (var b = 0; b < Buckets; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var h = 0; h < Hosts.Length; h++)
            {
                var hit = b == AnomalyBucket && h == 1;
                var n = 20 + random.Next(0, 5);
                if (hit && injection == Injection.Burst)
                {
                    n *= 3;
                }
                else if (hit && injection == Injection.Dip && field is null)
                {
                    n /= 4;
                }

                for (var i = 0; i < n; i++)
                {
                    var mean = 50.0 + (10 * h);
                    var value = Gen.Normal(random, mean, 3);
                    if (hit)
                    {
                        value = injection switch
                        {
                            Injection.Shift => value + 30,
                            Injection.Dip => value - 30,
                            Injection.LowOutlier when i == 0 => mean - 60,
                            Injection.HighOutlier when i == 0 => mean + 60,
                            Injection.Spread => mean + ((i % 2 == 0 ? 1 : -1) * 25),
                            _ => value,
                        };
                    }

                    string user;
                    if (hit && injection == Injection.ManyDistinct)
                    {
                        user = "u" + i.ToString(CultureInfo.InvariantCulture);
                    }
                    else if (hit && injection == Injection.RandomText)
                    {
                        for (var c = 0; c < text.Length; c++)
                        {
                            text[c] = (char)('a' + random.Next(0, 26));
                        }

                        user = new string(text);
                    }
                    else
                    {
                        user = "u" + random.Next(0, 3).ToString(CultureInfo.InvariantCulture);
                    }

                    pipeline.OnRecord(start + (i * 10_000) + h, rec.Clear().Num(0, value).Str(1, Hosts[h]).Str(2, user).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        Assert.Equal(Buckets, sink.Buckets.Count);
        return sink;
    }

    private static int HashCode(string s)
    {
        var h = 17;
        foreach (var c in s)
        {
            h = (h * 31) + c;
        }

        return h;
    }
}
