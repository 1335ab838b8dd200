using System.Text;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Errors;
using Vigil.Engine.Input;

namespace Vigil.Engine.Tests.Input;

public sealed class CsvRecordReaderTests
{
    private sealed class CsvJob : IDisposable
    {
        public CsvJob(string[] fields, string timeFormat = "epoch")
        {
            var schema = new IngestSchema("time", timeFormat, fields, 3_600_000, 0);
            Tracker = new DataCountsTracker(schema, fields.Length + 1, null, new ManualTimeProvider(TestJob.Now));
            Reader = new CsvRecordReader(schema, Tracker, Sink);
        }

        public DataCountsTracker Tracker { get; }

        public CollectingSink Sink { get; } = new();

        public CsvRecordReader Reader { get; }

        public DataCountsSnapshot Post(string body, int chunkSize = int.MaxValue)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            Tracker.BeginUpload();
            for (var i = 0; i < bytes.Length; i += chunkSize)
            {
                Reader.Feed(bytes.AsSpan(i, Math.Min(chunkSize, bytes.Length - i)));
            }

            Reader.Complete();
            return Tracker.FinishUpload();
        }

        public void Dispose() => Reader.Dispose();
    }

    [Fact]
    public void Rows_count_header_columns_minus_one_and_short_rows_count_missing_fields()
    {
        using var job = new CsvJob(["airline", "responsetime"]);
        var body =
            "time,airline,responsetime,sourcetype\r\n" +
            "1403481600,AAL,132.2046,farequote\r\n" +
            "\r\n" + // empty line: skipped
            "1403481700,JZA\n" + // short: responsetime missing
            "1403481800,,5,x\n"; // empty airline: a value, not missing

        var upload = job.Post(body);

        Assert.Equal(3, upload.ProcessedRecordCount);
        Assert.Equal(9, upload.InputFieldCount); // 3 rows × (4 − 1)
        Assert.Equal(1, upload.MissingFieldCount);
        Assert.Equal(5, upload.ProcessedFieldCount); // 3 × 2 − 1
        Assert.Equal(132.2046, job.Sink.Records[0].Numbers[1]);
        Assert.Null(job.Sink.Records[1].Values[1]);
        Assert.Equal("", job.Sink.Records[2].Values[0]);
    }

    [Fact]
    public void Quoted_cells_hold_delimiters_quotes_and_line_breaks_across_chunks()
    {
        using var job = new CsvJob(["msg"]);
        var body = "msg,time\n\"a,\"\"b\"\"\nc\",1403481600\r\n\"plain\",\"1403481601\"";

        var upload = job.Post(body, chunkSize: 1);

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal("a,\"b\"\nc", job.Sink.Records[0].Values[0]);
        Assert.Equal(1403481601000, job.Sink.Records[1].TimeMs);
    }

    [Fact]
    public void Empty_or_missing_time_cell_is_an_invalid_date()
    {
        using var job = new CsvJob(["f"]);

        var upload = job.Post("f,time\nx,\ny\n");

        Assert.Equal(2, upload.InvalidDateCount);
        Assert.Equal(1, upload.MissingFieldCount); // the second row has no time column
        Assert.Equal(0, upload.ProcessedRecordCount);
    }

    [Fact]
    public void Header_without_a_required_field_is_an_illegal_argument()
    {
        using var job = new CsvJob(["airline"]);
        job.Tracker.BeginUpload();

        var ex = Assert.Throws<ElasticsearchException>(() => job.Reader.Feed("time,responsetime\n1,2\n"u8));

        Assert.Equal("illegal_argument_exception", ex.Type);
        Assert.Equal(400, ex.Status);
        Assert.Equal("Field configured for analysis 'airline' is not in the CSV header '[time, responsetime]'", ex.Reason);
    }

    [Fact]
    public void Unterminated_quote_at_end_of_body_throws_after_counting_earlier_rows()
    {
        using var job = new CsvJob(["f"]);
        job.Tracker.BeginUpload();
        job.Reader.Feed("time,f\n1403481600,a\n1403481601,\"open\n"u8);

        var ex = Assert.Throws<ElasticsearchException>(job.Reader.Complete);

        Assert.Equal("parse_exception", ex.Type);
        Assert.Equal(1, job.Tracker.Totals.ProcessedRecordCount);
    }

    [Fact]
    public void Empty_body_reads_nothing()
    {
        using var job = new CsvJob(["f"]);

        var upload = job.Post("");

        Assert.Equal(0, upload.InputRecordCount);
    }
}
