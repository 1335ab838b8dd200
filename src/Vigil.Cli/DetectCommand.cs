using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Analysis;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil detect FILE</c>: runs one single-metric detector over a CSV file offline and prints the
/// anomalous buckets (text), every bucket as NDJSON with a record when it scored above 0, or a per-row score file.
/// </summary>
internal static class DetectCommand
{
    public static Command Create(TextWriter output, TextWriter progress)
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV file with a header row" };
        var span = new Option<string>("--bucket-span") { Description = "Bucket span, e.g. 5m, 1h", DefaultValueFactory = _ => "5m" };
        var function = new Option<string>("--function")
        {
            Description = "count, mean, sum, median, min, max, varp, or a high_/low_ form",
            DefaultValueFactory = _ => "mean",
        };
        var field = new Option<string>("--field") { Description = "Numeric field (CSV column) to analyse", DefaultValueFactory = _ => "value" };
        var timeField = new Option<string>("--time-field") { Description = "Time column", DefaultValueFactory = _ => "timestamp" };
        var json = new Option<bool>("--json") { Description = "Write one JSON object per bucket (ES bucket/record fields)" };
        var outputKind = new Option<string?>("--output") { Description = "row-scores: write timestamp,value,anomaly_score per input row" };
        var command = new Command("detect", "Detect anomalies in a timestamp,value CSV with one detector")
        {
            file, span, function, field, timeField, json, outputKind,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!TimeText.TryParseDuration(parse.GetValue(span)!, out var spanMs))
            {
                progress.WriteLine($"vigil: invalid --bucket-span '{parse.GetValue(span)}'");
                return 2;
            }

            if (!MetricFunction.TryParse(parse.GetValue(function)!, out var fn))
            {
                progress.WriteLine($"vigil: unsupported function '{parse.GetValue(function)}'");
                return 2;
            }

            var kind = parse.GetValue(outputKind);
            if (kind != null && kind != "row-scores")
            {
                progress.WriteLine($"vigil: unknown --output '{kind}' (expected row-scores)");
                return 2;
            }

            if (!path.Exists)
            {
                progress.WriteLine($"vigil: file not found: {path.FullName}");
                return 2;
            }

            return Run(path.FullName, spanMs, fn, parse.GetValue(field)!, parse.GetValue(timeField)!,
                parse.GetValue(json), kind == "row-scores", output, progress);
        });
        return command;
    }

    internal static int Run(
        string path, long spanMs, MetricFunction function, string field, string timeField, bool json, bool rowScores,
        TextWriter output, TextWriter progress)
    {
        CsvMetricReader reader;
        try
        {
            reader = CsvMetricReader.Open(path, timeField, function.NeedsField ? field : null);
        }
        catch (InvalidDataException ex)
        {
            progress.WriteLine($"vigil: {ex.Message}");
            return 2;
        }

        using (reader)
        {
            var analyzer = new SingleMetricAnalyzer(function, new SeriesModelOptions { BucketSpanMs = spanMs });
            var results = new List<BucketResult>();
            var rows = new List<(long Time, string TimeText, string ValueText)>();
            Span<BucketResult> closed = stackalloc BucketResult[64];
            var lastPrinted = 0;
            while (reader.TryRead(out var time, out var value, out var timeText, out var valueText))
            {
                if (rowScores)
                {
                    rows.Add((time, timeText, valueText));
                }

                var written = analyzer.Add(time, value, closed);
                for (var k = 0; k < written; k++)
                {
                    results.Add(closed[k]);
                }

                if (!rowScores && results.Count - lastPrinted > 256)
                {
                    PrintBuckets(output, results, lastPrinted, json, function, field, spanMs);
                    lastPrinted = results.Count;
                }
            }

            if (analyzer.Flush(out var last))
            {
                results.Add(last);
            }

            if (reader.SkippedRows > 0 || analyzer.OutOfOrderRecords > 0)
            {
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"vigil: skipped {reader.SkippedRows} unparsable rows, {analyzer.OutOfOrderRecords} out-of-order rows"));
            }

            if (rowScores)
            {
                WriteRowScores(output, rows, results, spanMs, timeField, field);
            }
            else
            {
                PrintBuckets(output, results, lastPrinted, json, function, field, spanMs);
            }
        }

        return 0;
    }

    private static void WriteRowScores(
        TextWriter output, List<(long Time, string TimeText, string ValueText)> rows, List<BucketResult> results, long spanMs,
        string timeField, string field)
    {
        output.WriteLine($"{timeField},{field},anomaly_score");
        var r = 0;
        var inv = CultureInfo.InvariantCulture;
        foreach (var row in rows)
        {
            var start = row.Time - (((row.Time % spanMs) + spanMs) % spanMs);
            var score = 0.0;
            var k = r;
            while (k < results.Count && results[k].BucketStartMs < start)
            {
                k++;
            }

            if (k < results.Count && results[k].BucketStartMs == start)
            {
                score = results[k].AnomalyScore;
                r = k;
            }

            output.WriteLine(string.Create(inv, $"{row.TimeText},{row.ValueText},{score:0.#####}"));
        }
    }

    private static void PrintBuckets(
        TextWriter output, List<BucketResult> results, int from, bool json, MetricFunction function, string field, long spanMs)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!json && from == 0)
        {
            output.WriteLine("timestamp                 anomaly_score  probability      actual        typical");
        }

        for (var i = from; i < results.Count; i++)
        {
            var b = results[i];
            if (json)
            {
                output.WriteLine(ToJson(b, function, field, spanMs));
            }
            else if (b.AnomalyScore > 0)
            {
                var time = DateTimeOffset.FromUnixTimeMilliseconds(b.BucketStartMs).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", inv);
                output.WriteLine(string.Create(inv,
                    $"{time,-25} {b.AnomalyScore,13:F2}  {b.Series.Probability,11:E3}  {b.Series.Actual,12:G6}  {b.Series.Typical,12:G6}"));
            }
        }
    }

    private static string ToJson(BucketResult b, MetricFunction function, string field, long spanMs)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("timestamp", b.BucketStartMs);
            w.WriteNumber("bucket_span", spanMs / 1000);
            w.WriteNumber("anomaly_score", b.AnomalyScore);
            w.WriteNumber("initial_anomaly_score", b.AnomalyScore);
            w.WriteNumber("event_count", b.RecordCount);
            w.WriteBoolean("is_interim", false);
            w.WriteStartArray("records");
            if (b.Series.Scored && b.AnomalyScore > 0)
            {
                w.WriteStartObject();
                w.WriteString("function", function.Name);
                if (function.NeedsField)
                {
                    w.WriteString("field_name", field);
                }

                w.WriteNumber("probability", b.Series.Probability);
                w.WriteNumber("record_score", b.AnomalyScore);
                w.WriteNumber("initial_record_score", b.AnomalyScore);
                w.WriteNumber("multi_bucket_impact", b.Series.MultiBucketImpact);
                w.WriteStartArray("actual");
                w.WriteNumberValue(b.Series.Actual);
                w.WriteEndArray();
                w.WriteStartArray("typical");
                w.WriteNumberValue(b.Series.Typical);
                w.WriteEndArray();
                w.WriteStartObject("anomaly_score_explanation");
                if (b.Series.AnomalyType != AnomalyType.None)
                {
                    w.WriteString("anomaly_type", b.Series.AnomalyType == AnomalyType.Spike ? "spike" : "dip");
                }

                w.WriteNumber("lower_confidence_bound", b.Series.LowerBound);
                w.WriteNumber("typical_value", b.Series.Typical);
                w.WriteNumber("upper_confidence_bound", b.Series.UpperBound);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
