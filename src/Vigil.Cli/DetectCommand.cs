using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using Vigil.Engine.Input;
using Vigil.Engine.Jobs;
using Vigil.Engine.Results;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil detect FILE</c>: runs an anomaly-detection job over a CSV file offline, with the same engine an
/// open job runs on the server, and prints the anomalies (a table), every bucket as ES-shaped JSON
/// (<c>--json</c>), or one score per input row (<c>--output row-scores</c>).
/// </summary>
internal static class DetectCommand
{
    /// <summary>Time formats tried, in order, when <c>--time-format auto</c>.</summary>
    private static readonly string[] AutoTimeFormats =
    [
        "epoch", "epoch_ms", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ssX", "yyyy-MM-dd'T'HH:mm:ss.SSSX",
        "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd HH:mm",
    ];

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(TextWriter output, TextWriter progress)
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV file with a header row" };
        var span = new Option<string>("--bucket-span") { Description = "Bucket span, e.g. 5m, 1h", DefaultValueFactory = _ => "5m" };
        var function = new Option<string>("--function")
        {
            Description = "Any Elasticsearch detector function: count, mean, sum, median, min, max, varp, distinct_count, rare, ... and high_/low_ forms",
            DefaultValueFactory = _ => "mean",
        };
        var field = new Option<string>("--field") { Description = "Field (CSV column) to analyse", DefaultValueFactory = _ => "value" };
        var by = new Option<string?>("--by") { Description = "by_field_name: model each value of this column separately" };
        var partition = new Option<string?>("--partition") { Description = "partition_field_name" };
        var timeField = new Option<string>("--time-field") { Description = "Time column", DefaultValueFactory = _ => "timestamp" };
        var timeFormat = new Option<string>("--time-format")
        {
            Description = "epoch, epoch_ms, a Java date pattern, or auto (guessed from the first row)",
            DefaultValueFactory = _ => "auto",
        };
        var jobFile = new Option<FileInfo?>("--job") { Description = "A job configuration (the PUT _ml/anomaly_detectors body); replaces the options above" };
        var json = new Option<bool>("--json") { Description = "Write every bucket as an Elasticsearch bucket object with its records, one per line" };
        var outputKind = new Option<string?>("--output") { Description = "row-scores: write timestamp,value,anomaly_score per input row (score / 100)" };
        var command = new Command("detect", "Detect anomalies in a CSV file with the server's engine")
        {
            file, span, function, field, by, partition, timeField, timeFormat, jobFile, json, outputKind,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
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

            try
            {
                JobConfig job;
                if (parse.GetValue(jobFile) is { } jobPath)
                {
                    // The job file's data_description (time field and format) replaces the options.
                    job = JobConfigParser.ParseForCreate(File.ReadAllBytes(jobPath.FullName), "vigil-detect", DateTimeOffset.UtcNow, "12.0.0");
                }
                else
                {
                    var format = parse.GetValue(timeFormat)!;
                    if (format == "auto")
                    {
                        format = GuessTimeFormat(path.FullName, parse.GetValue(timeField)!);
                    }

                    job = BuildJob(parse.GetValue(span)!, parse.GetValue(function)!, parse.GetValue(field)!, parse.GetValue(by),
                        parse.GetValue(partition), parse.GetValue(timeField)!, format);
                }

                return Run(path.FullName, job, parse.GetValue(json), kind == "row-scores", parse.GetValue(field)!, output, progress);
            }
            catch (ElasticsearchException e)
            {
                progress.WriteLine($"vigil: {e.Type}: {Innermost(e)}");
                return 2;
            }
            catch (InvalidDataException e)
            {
                progress.WriteLine($"vigil: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>The job the options describe, validated exactly as <c>PUT _ml/anomaly_detectors</c> would.</summary>
    internal static JobConfig BuildJob(string span, string function, string field, string? by, string? partition, string timeField, string timeFormat)
    {
        var detector = new Dictionary<string, string> { ["function"] = function };
        if (DetectorFunctions.RequiresFieldName(DetectorFunctions.ToCanonical(function) ?? function))
        {
            detector["field_name"] = field;
        }

        if (by is not null)
        {
            detector["by_field_name"] = by;
        }

        if (partition is not null)
        {
            detector["partition_field_name"] = partition;
        }

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("analysis_config");
            w.WriteString("bucket_span", span);
            w.WriteStartArray("detectors");
            w.WriteStartObject();
            foreach (var (key, value) in detector)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("data_description");
            w.WriteString("time_field", timeField);
            w.WriteString("time_format", timeFormat);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return JobConfigParser.ParseForCreate(buffer.ToArray(), "vigil-detect", DateTimeOffset.UtcNow, "12.0.0");
    }

    internal static int Run(string path, JobConfig job, bool json, bool rowScores, string field, TextWriter output, TextWriter progress)
    {
        var length = new FileInfo(path).Length;
        var lastPercent = -1L;
        OfflineRunResult result;
        using (var input = File.OpenRead(path))
        {
            result = OfflineRun.Run(job, InputFormat.Csv, input, read =>
            {
                var percent = length == 0 ? 100 : read * 100 / length;
                if (length > 8 * 1024 * 1024 && percent / 10 != lastPercent / 10)
                {
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"vigil: {percent}% ({read / (1024 * 1024)} MiB)"));
                    lastPercent = percent;
                }
            });
        }

        var counts = result.Counts;
        if (counts.InvalidDateCount > 0 || counts.OutOfOrderTimestampCount > 0)
        {
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"vigil: {counts.InvalidDateCount} rows with an unparsable time, {counts.OutOfOrderTimestampCount} out-of-order rows were skipped"));
        }

        if (rowScores)
        {
            WriteRowScores(path, job, field, result, output);
        }
        else if (json)
        {
            WriteJson(result, output);
        }
        else
        {
            WriteTable(result, output);
        }

        return 0;
    }

    /// <summary>One line per input row, in input order: its time and value as written, and its bucket's initial anomaly score / 100.</summary>
    private static void WriteRowScores(string path, JobConfig job, string field, OfflineRunResult result, TextWriter output)
    {
        var spanMs = job.AnalysisConfig.BucketSpan.TotalMilliseconds;
        var scores = new Dictionary<long, double>(result.Buckets.Count);
        foreach (var bucket in result.Buckets)
        {
            scores[bucket.Timestamp] = bucket.InitialAnomalyScore;
        }

        var timeField = job.DataDescription.TimeField;
        var format = TimeFormat.Create(job.DataDescription.TimeFormat);
        using var reader = new StreamReader(path);
        var header = SplitCsv(reader.ReadLine() ?? "");
        var timeColumn = header.IndexOf(timeField);
        var valueColumn = header.IndexOf(field);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{timeField},{(valueColumn >= 0 ? field : "value")},anomaly_score"));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var cells = SplitCsv(line);
            var timeText = timeColumn >= 0 && timeColumn < cells.Count ? cells[timeColumn] : "";
            var valueText = valueColumn >= 0 && valueColumn < cells.Count ? cells[valueColumn] : "";
            var score = 0.0;
            if (format.TryParse(Encoding.UTF8.GetBytes(timeText), out var ms))
            {
                var start = ms - (((ms % spanMs) + spanMs) % spanMs);
                score = scores.GetValueOrDefault(start) / 100.0;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{timeText},{valueText},{score:0.######}"));
        }
    }

    private static void WriteJson(OfflineRunResult result, TextWriter output)
    {
        var records = new Dictionary<long, List<RecordDocument>>();
        foreach (var record in result.Records)
        {
            if (!records.TryGetValue(record.Timestamp, out var list))
            {
                records[record.Timestamp] = list = [];
            }

            list.Add(record);
        }

        var buffer = new MemoryStream();
        foreach (var bucket in result.Buckets)
        {
            if (records.TryGetValue(bucket.Timestamp, out var list))
            {
                list.Sort((a, b) => b.RecordScore.CompareTo(a.RecordScore));
                bucket.Records.AddRange(list);
            }

            buffer.SetLength(0);
            using (var w = new Utf8JsonWriter(buffer, JsonOptions))
            {
                bucket.WriteTo(w, human: false);
            }

            output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }
    }

    private static void WriteTable(OfflineRunResult result, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var anomalies = new List<RecordDocument>(result.Records);
        anomalies.Sort((a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : b.RecordScore.CompareTo(a.RecordScore));
        output.WriteLine("timestamp             record_score  probability  function          entity                actual        typical");
        foreach (var r in anomalies)
        {
            var time = DateTimeOffset.FromUnixTimeMilliseconds(r.Timestamp).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", inv);
            var entity = string.Join("/", new[] { r.PartitionFieldValue, r.ByFieldValue, r.OverFieldValue }.Where(v => !string.IsNullOrEmpty(v)));
            var actual = r.Actual is { Count: > 0 } a ? a[0].ToString("G6", inv) : "";
            var typical = r.Typical is { Count: > 0 } t ? t[0].ToString("G6", inv) : "";
            output.WriteLine(string.Create(inv,
                $"{time,-21} {r.RecordScore,12:F2}  {r.Probability,11:E2}  {r.Function,-16}  {entity,-20}  {actual,12}  {typical,12}"));
        }

        output.WriteLine(string.Create(inv, $"{anomalies.Count} anomaly records in {result.Buckets.Count} buckets"));
    }

    /// <summary>Picks the first known format that parses the first data row's time.</summary>
    private static string GuessTimeFormat(string path, string timeField)
    {
        using var reader = new StreamReader(path);
        var header = SplitCsv(reader.ReadLine() ?? throw new InvalidDataException("the file is empty"));
        var column = header.IndexOf(timeField);
        if (column < 0)
        {
            throw new InvalidDataException($"the time field [{timeField}] is not in the CSV header");
        }

        var row = reader.ReadLine();
        var cells = row is null ? [] : SplitCsv(row);
        if (column >= cells.Count)
        {
            return "epoch_ms";
        }

        var text = Encoding.UTF8.GetBytes(cells[column]);
        foreach (var candidate in AutoTimeFormats)
        {
            if (candidate == "epoch" && text.Length > 10 && !text.AsSpan().Contains((byte)'.'))
            {
                continue;
            }

            if (TimeFormat.Create(candidate).TryParse(text, out _))
            {
                return candidate;
            }
        }

        throw new InvalidDataException($"cannot guess the time format of [{cells[column]}]; pass --time-format");
    }

    /// <summary>Splits one CSV line (double quotes may enclose a cell; "" is an escaped quote).</summary>
    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString().TrimEnd('\r'));
        return cells;
    }

    private static string Innermost(ElasticsearchException e) => e.RootCause.Reason;
}
