using System.Globalization;
using System.Text.Json;

namespace Vigil.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-cli-tests-" + Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a 5-minute timestamp,value CSV: seeded noise around 100 with a spike at <paramref name="spikeRow"/>.</summary>
    private string WriteSeries(string name, int rows, int spikeRow, int seed = 1)
    {
        var random = new Random(seed);
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path);
        writer.WriteLine("timestamp,value");
        var start = new DateTime(2014, 4, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < rows; i++)
        {
            var value = 100 + 2 * (random.NextDouble() - 0.5) + (i == spikeRow ? 60 : 0);
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{start.AddMinutes(5 * i):yyyy-MM-dd HH:mm:ss},{value:F4}"));
        }

        return path;
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.BuildRoot(output, error).Parse(args).Invoke();
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Detect_row_scores_writes_one_line_per_input_row_in_order()
    {
        var path = WriteSeries("a.csv", 1500, 1200);
        var (exit, output, _) = Run("detect", path, "--bucket-span", "5m", "--function", "mean", "--field", "value", "--output", "row-scores");
        Assert.Equal(0, exit);
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal("timestamp,value,anomaly_score", lines[0]);
        Assert.Equal(1501, lines.Length);
        var input = File.ReadAllLines(path);
        var best = 0.0;
        var bestRow = -1;
        for (var i = 1; i < lines.Length; i++)
        {
            var parts = lines[i].Split(',');
            Assert.Equal(input[i], parts[0] + "," + parts[1]);
            var score = double.Parse(parts[2], CultureInfo.InvariantCulture);
            Assert.InRange(score, 0.0, 1.0);
            if (score > best)
            {
                best = score;
                bestRow = i - 1;
            }
        }

        Assert.Equal(1200, bestRow);
        Assert.True(best >= 0.75, $"spike scored {best}");
    }

    [Fact]
    public void Detect_json_writes_es_shaped_bucket_objects()
    {
        var path = WriteSeries("b.csv", 600, 500);
        var (exit, output, _) = Run("detect", path, "--bucket-span", "5m", "--function", "high_mean", "--json");
        Assert.Equal(0, exit);
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(600, lines.Length);
        using var doc = JsonDocument.Parse(lines[500]);
        var root = doc.RootElement;
        Assert.Equal(300, root.GetProperty("bucket_span").GetInt32());
        Assert.True(root.GetProperty("anomaly_score").GetDouble() > 50);
        var record = root.GetProperty("records")[0];
        Assert.Equal("high_mean", record.GetProperty("function").GetString());
        Assert.Equal("value", record.GetProperty("field_name").GetString());
        Assert.True(record.GetProperty("probability").GetDouble() < 1e-4);
        Assert.Equal("spike", record.GetProperty("anomaly_score_explanation").GetProperty("anomaly_type").GetString());
    }

    [Fact]
    public void Detect_rejects_an_unknown_function_and_a_bad_span()
    {
        var path = WriteSeries("c.csv", 10, -1);
        Assert.Equal(2, Run("detect", path, "--function", "mode").Exit);
        Assert.Equal(2, Run("detect", path, "--bucket-span", "five").Exit);
        var (exit, _, err) = Run("detect", path, "--field", "missing");
        Assert.Equal(2, exit);
        Assert.Contains("'missing'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_with_a_by_field_finds_the_entity_that_went_wrong()
    {
        var random = new Random(7);
        var path = Path.Combine(_dir, "by.csv");
        using (var writer = new StreamWriter(path))
        {
            writer.WriteLine("time,host,latency");
            for (var i = 0; i < 2000; i++)
            {
                foreach (var host in new[] { "web-1", "web-2", "db-1" })
                {
                    var value = 50 + (random.NextDouble() * 5) + (host == "db-1" && i == 1700 ? 200 : 0);
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{1400000100 + (i * 300)},{host},{value:F3}"));
                }
            }
        }

        var (exit, output, err) = Run("detect", path, "--time-field", "time", "--function", "max", "--field", "latency", "--by", "host", "--json");

        Assert.True(exit == 0, err);
        var top = output.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement)
            .OrderByDescending(b => b.GetProperty("anomaly_score").GetDouble()).First();
        Assert.Equal((1400000100L + (1700 * 300)) * 1000, top.GetProperty("timestamp").GetInt64());
        var record = top.GetProperty("records")[0];
        Assert.Equal("db-1", record.GetProperty("by_field_value").GetString());
        Assert.Equal("max", record.GetProperty("function").GetString());
    }

    [Fact]
    public void Detect_runs_a_job_file()
    {
        var path = WriteSeries("job.csv", 800, 700);
        var job = Path.Combine(_dir, "job.json");
        File.WriteAllText(job, """
            {"analysis_config":{"bucket_span":"10m","detectors":[{"function":"high_mean","field_name":"value"}]},
             "data_description":{"time_field":"timestamp","time_format":"yyyy-MM-dd HH:mm:ss"}}
            """);

        var (exit, output, err) = Run("detect", path, "--job", job);

        Assert.True(exit == 0, err);
        Assert.Contains("high_mean", output, StringComparison.Ordinal);
        Assert.Contains("anomaly records in 400 buckets", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_takes_the_time_field_of_a_job_file_and_categorizes_messages()
    {
        // The job's time field is "time", not the --time-field default: the job file's data_description applies.
        var path = Path.Combine(_dir, "logs.csv");
        var random = new Random(3);
        using (var writer = new StreamWriter(path))
        {
            writer.WriteLine("time,message");
            for (var i = 0; i < 2000; i++)
            {
                var message = i is >= 1500 and < 1560
                    ? string.Create(CultureInfo.InvariantCulture, $"Connection to db-{random.Next(9)} timed out after {random.Next(60)}s")
                    : random.Next(2) == 0
                        ? string.Create(CultureInfo.InvariantCulture, $"Connection to db-{random.Next(9)} timed out after {random.Next(60)}s")
                        : string.Create(CultureInfo.InvariantCulture, $"User u{random.Next(99)} logged in from 10.0.0.{random.Next(200)}");
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{1403481600 + (60 * i)},\"{message}\""));
                if (i is >= 1500 and < 1560)
                {
                    // The burst: four more timeouts a minute for an hour.
                    for (var k = 0; k < 4; k++)
                    {
                        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{1403481600 + (60 * i) + k + 1},\"Connection to db-{random.Next(9)} timed out after {random.Next(60)}s\""));
                    }
                }
            }
        }

        var job = Path.Combine(_dir, "logs.json");
        File.WriteAllText(job, """
            {"analysis_config":{"bucket_span":"15m","categorization_field_name":"message",
              "detectors":[{"function":"high_count","by_field_name":"mlcategory"}]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """);

        var (exit, output, err) = Run("detect", path, "--job", job, "--json");

        Assert.True(exit == 0, err);
        var top = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .OrderByDescending(b => b.GetProperty("anomaly_score").GetDouble())
            .First();
        var topTime = top.GetProperty("timestamp").GetInt64() / 1000;
        Assert.InRange(topTime, 1403481600 + (60 * 1500) - 900, 1403481600 + (60 * 1560));
        Assert.Equal("1", top.GetProperty("records")[0].GetProperty("by_field_value").GetString());
    }

    [Fact]
    public void Eval_calibration_counts_small_probabilities_of_the_chosen_cases()
    {
        var (exit, output, err) = Run("eval", "calibration", "--case", "gauss", "mode10");

        Assert.True(exit == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("gauss ", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("mode10 ", lines[3], StringComparison.Ordinal);

        // Joint, single and multi-bucket counts below 1e-2 / 1e-3 / 1e-4; the Gaussian case stays within the calibrated 108
        // below 1e-3 (it is conservative: 29).
        var gauss = lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/", gauss[2]);
        Assert.InRange(int.Parse(gauss[3], CultureInfo.InvariantCulture), 0, 108);
    }

    [Fact]
    public void Eval_nab_prints_three_profiles_and_categories()
    {
        WriteSeries("data/catA/one.csv", 2000, 1500, seed: 3);
        WriteSeries("data/catB/two.csv", 2000, -1, seed: 4);
        var labels = Path.Combine(_dir, "labels.json");
        File.WriteAllText(labels, """
            {
              "catA/one.csv": [["2014-04-06 04:00:00.000000", "2014-04-06 12:00:00.000000"]],
              "catB/two.csv": []
            }
            """);
        var (exit, output, err) = Run("eval", "nab", "--data", Path.Combine(_dir, "data"), "--labels", labels);
        Assert.Equal(0, exit);
        Assert.Contains("[1/2] catA/one.csv", err, StringComparison.Ordinal);
        var standard = output.Split('\n').First(l => l.StartsWith("standard", StringComparison.Ordinal));
        var score = double.Parse(standard.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        Assert.True(score > 90, standard);
        Assert.Contains("reward_low_FP_rate", output, StringComparison.Ordinal);
        Assert.Contains("reward_low_FN_rate", output, StringComparison.Ordinal);
        Assert.Contains("catA", output, StringComparison.Ordinal);
    }
}
