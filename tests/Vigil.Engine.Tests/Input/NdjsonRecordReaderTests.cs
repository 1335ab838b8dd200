using System.Text;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Tests.Input;

public sealed class NdjsonRecordReaderTests
{
    // post_data.yml "Test POST data job api, flush, close and verify DataCounts doc": the client sends the two
    // documents of the YAML list as NDJSON lines.
    private const string PostDataBody =
        "{\"airline\":\"AAL\",\"responsetime\":\"132.2046\",\"sourcetype\":\"farequote\",\"time\":\"1403481600\"}\n" +
        "{\"airline\":\"JZA\",\"responsetime\":\"990.4628\",\"sourcetype\":\"farequote\",\"time\":\"1403481700\"}\n";

    private static void AssertValues(string?[] actual, params string?[] expected) =>
        Assert.Equal<IEnumerable<string?>>(expected, actual);

    [Fact]
    public void Post_data_yml_example_counts_like_elasticsearch()
    {
        using var job = new TestJob(["responsetime", "airline"]);

        var upload = job.Post(PostDataBody);

        // 2 docs × (4 keys − 1 for time) = 6; 2 records × (3 required fields − 1) − 0 missing = 4.
        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(4, upload.ProcessedFieldCount);
        Assert.Equal(6, upload.InputFieldCount);
        Assert.Equal(Encoding.UTF8.GetByteCount(PostDataBody), upload.InputBytes);
        Assert.InRange(upload.InputBytes, 140, 180);
        Assert.Equal(0, upload.InvalidDateCount);
        Assert.Equal(0, upload.MissingFieldCount);
        Assert.Equal(0, upload.OutOfOrderTimestampCount);
        Assert.Equal(1403481600000, upload.EarliestRecordTimestamp);
        Assert.Equal(1403481700000, upload.LatestRecordTimestamp);
        Assert.Equal(TestJob.Now.ToUnixTimeMilliseconds(), upload.LastDataTime);
        Assert.Equal(2, upload.InputRecordCount);

        Assert.Equal(2, job.Sink.Records.Count);
        AssertValues(job.Sink.Records[0].Values, ["132.2046", "AAL"]);
        Assert.Equal(132.2046, job.Sink.Records[0].Numbers[0]);
        Assert.Equal(1403481700000, job.Sink.Records[1].TimeMs);
    }

    [Fact]
    public void Jobs_get_stats_yml_example_counts_three_records()
    {
        using var job = new TestJob(["responsetime", "airline"]);
        var body =
            "{\"airline\":\"AAL\",\"responsetime\":\"132.2046\",\"time\":\"1403481600\"}\n" +
            "{\"airline\":\"JZA\",\"responsetime\":\"990.4628\",\"time\":\"1403481600\"}\n" +
            "{\"airline\":\"JBU\",\"responsetime\":\"877.5927\",\"time\":\"1403485200\"}\n";

        job.Post(body);

        var totals = job.Tracker.Totals;
        Assert.Equal(3, totals.ProcessedRecordCount);
        Assert.Equal(6, totals.ProcessedFieldCount); // 3 × 2 − 0
        Assert.Equal(6, totals.InputFieldCount); // 3 × (3 − 1)
    }

    [Fact]
    public void Feeding_one_byte_at_a_time_gives_the_same_records_and_counts()
    {
        var body = Encoding.UTF8.GetBytes(
            PostDataBody +
            "{\"time\":1403481800,\"a\":{\"b\":[1,2,{\"c\":3}],\"airline\":\"x\\u00e9\\n\"},\"airline\":\"caf\u00e9\",\"responsetime\":-1.5e2}\r\n" +
            "  {\"time\": \"1403481900\" , \"responsetime\" : true , \"airline\" : null }");
        using var whole = new TestJob(["responsetime", "airline"]);
        using var bytes = new TestJob(["responsetime", "airline"]);

        var a = whole.Post(body);
        var b = bytes.Post(body, chunkSize: 1);

        Assert.Equal(a, b);
        Assert.Equal(4, b.ProcessedRecordCount);
        Assert.Equal(body.Length, b.InputBytes);
        Assert.Equal(whole.Sink.Records.Count, bytes.Sink.Records.Count);
        for (var i = 0; i < whole.Sink.Records.Count; i++)
        {
            Assert.Equal(whole.Sink.Records[i].TimeMs, bytes.Sink.Records[i].TimeMs);
            Assert.Equal(whole.Sink.Records[i].Values, bytes.Sink.Records[i].Values);
        }

        AssertValues(bytes.Sink.Records[2].Values, ["-1.5e2", "caf\u00e9"]);
        Assert.Equal(-150.0, bytes.Sink.Records[2].Numbers[0]);
        AssertValues(bytes.Sink.Records[3].Values, ["true", null]);
    }

    [Fact]
    public void Nested_objects_are_addressed_with_dots_and_only_leaves_count()
    {
        using var job = new TestJob(["a.b.c", "x"], timeField: "meta.time");

        // leaves: meta.time, a.b.c, a.b.d, a.e, x = 5 → input fields 4; objects a, a.b, meta don't count.
        var upload = job.Post("{\"meta\":{\"time\":1403481600},\"a\":{\"b\":{\"c\":\"deep\",\"d\":1},\"e\":2},\"x\":\"v\"}");

        Assert.Equal(1, upload.ProcessedRecordCount);
        Assert.Equal(4, upload.InputFieldCount);
        Assert.Equal(0, upload.MissingFieldCount);
        AssertValues(job.Sink.Records[0].Values, ["deep", "v"]);
    }

    [Fact]
    public void Arrays_count_once_and_are_joined_with_commas_for_job_fields()
    {
        using var job = new TestJob(["tags"]);

        // leaves: time, tags (array = 1), other (array = 1), n = 4 → 3.
        var upload = job.Post("{\"time\":[1403481600],\"tags\":[\"a\",null,2,true,{\"k\":\"v\"}],\"other\":[[1],[2]],\"n\":1}");

        Assert.Equal(3, upload.InputFieldCount);
        Assert.Equal(1403481600000, job.Sink.Records[0].TimeMs);
        Assert.Equal("a,2,true,v", job.Sink.Records[0].Values[0]);
    }

    [Fact]
    public void Null_is_not_counted_and_counts_as_missing()
    {
        using var job = new TestJob(["responsetime", "airline"]);

        // leaves: time, responsetime (airline null doesn't count) = 2 → 1 input field; airline missing.
        var upload = job.Post("{\"time\":1403481600,\"responsetime\":5,\"airline\":null}");

        Assert.Equal(1, upload.InputFieldCount);
        Assert.Equal(1, upload.MissingFieldCount);
        Assert.Equal(1, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.ProcessedFieldCount); // 1 × 2 − 1
        Assert.Null(job.Sink.Records[0].Values[1]);
    }

    [Fact]
    public void Missing_fields_are_counted_for_every_record_including_rejected_ones()
    {
        using var job = new TestJob(["responsetime", "airline"]);
        var body =
            "{\"time\":1403485200,\"responsetime\":1}\n" + // airline missing; processed
            "{\"time\":1403470000}\n" + // out of order (older than bucket 1403485200 − 0); both missing
            "{\"responsetime\":1,\"airline\":\"A\"}\n" + // time missing: invalid date, 1 missing
            "{}\n"; // everything missing: 3, invalid date, 0 input fields

        var upload = job.Post(body);

        Assert.Equal(1, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.OutOfOrderTimestampCount);
        Assert.Equal(2, upload.InvalidDateCount);
        Assert.Equal(1 + 2 + 1 + 3, upload.MissingFieldCount);
        Assert.Equal(1 + 0 + 1 + 0, upload.InputFieldCount); // max(leaves − 1, 0) per record
        Assert.Equal(0, upload.ProcessedFieldCount); // max(1 × 2 − 7, 0)
        Assert.Equal(4, upload.InputRecordCount);
        Assert.Single(job.Sink.Records);
    }

    [Theory]
    [InlineData("{\"time\":\"\",\"f\":1}")]
    [InlineData("{\"time\":\"yesterday\",\"f\":1}")]
    [InlineData("{\"time\":{\"sec\":1403481600},\"f\":1}")]
    [InlineData("{\"time\":true,\"f\":1}")]
    [InlineData("{\"time\":null,\"f\":1}")]
    [InlineData("{\"f\":1}")]
    public void Absent_empty_or_unparseable_time_is_an_invalid_date(string record)
    {
        using var job = new TestJob(["f"]);

        var upload = job.Post(record);

        Assert.Equal(1, upload.InvalidDateCount);
        Assert.Equal(0, upload.ProcessedRecordCount);
        Assert.Empty(job.Sink.Records);
        Assert.Null(upload.EarliestRecordTimestamp);
    }

    [Fact]
    public void Time_as_an_object_counts_its_leaves_and_the_time_as_missing()
    {
        using var job = new TestJob(["f"]);

        // leaves time.sec and f = 2 → 1; time missing → 1 missing.
        var upload = job.Post("{\"time\":{\"sec\":1403481600},\"f\":1}");

        Assert.Equal(1, upload.InputFieldCount);
        Assert.Equal(1, upload.MissingFieldCount);
        Assert.Equal(1, upload.InvalidDateCount);
    }

    [Fact]
    public void Field_value_as_object_leaves_the_field_missing()
    {
        using var job = new TestJob(["f"]);

        var upload = job.Post("{\"time\":1403481600,\"f\":{\"g\":1}}");

        Assert.Equal(1, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.MissingFieldCount);
        Assert.Equal(1, upload.InputFieldCount); // time, f.g → 1
        Assert.Null(job.Sink.Records[0].Values[0]);
    }

    [Fact]
    public void Out_of_order_records_older_than_the_latest_bucket_are_dropped()
    {
        using var job = new TestJob(["f"], bucketSpanMs: 3_600_000);
        var body =
            "{\"time\":1403485300,\"f\":1}\n" + // bucket [1403485200, +3600)
            "{\"time\":1403485200,\"f\":1}\n" + // same bucket, earlier: accepted
            "{\"time\":1403485199,\"f\":1}\n" + // previous bucket: out of order
            "{\"time\":1403488900,\"f\":1}\n" + // next bucket [1403488800): accepted
            "{\"time\":1403488799,\"f\":1}\n"; // out of order now

        var upload = job.Post(body);

        Assert.Equal(3, upload.ProcessedRecordCount);
        Assert.Equal(2, upload.OutOfOrderTimestampCount);
        Assert.Equal(5, upload.InputFieldCount); // out-of-order records' fields are counted too
        Assert.Equal([1403485300000L, 1403485200000L, 1403488900000L], job.Sink.Records.Select(r => r.TimeMs));
        Assert.Equal(1403485300000, upload.EarliestRecordTimestamp);
        Assert.Equal(1403488900000, upload.LatestRecordTimestamp);
    }

    [Fact]
    public void Latency_widens_the_accepted_window_by_whole_seconds()
    {
        // latency 2h: a record is out of order only when older than bucket start − 7200 s.
        using var job = new TestJob(["f"], bucketSpanMs: 3_600_000, latencyMs: 7_200_000);
        var body =
            "{\"time\":1403488900,\"f\":1}\n" + // bucket start 1403488800
            "{\"time\":1403481600,\"f\":1}\n" + // = 1403488800 − 7200: accepted
            "{\"time\":1403481599,\"f\":1}\n"; // one second older: out of order

        var upload = job.Post(body);

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.OutOfOrderTimestampCount);
    }

    [Fact]
    public void Out_of_order_check_continues_across_uploads_from_the_total_latest_time()
    {
        using var job = new TestJob(["f"]);
        job.Post("{\"time\":1403488900,\"f\":1}");

        // Second upload starts with an out-of-order record: ES puts its time in this upload's latest_record_timestamp.
        var second = job.Post("{\"time\":1403481600,\"f\":1}");

        Assert.Equal(0, second.ProcessedRecordCount);
        Assert.Equal(1, second.OutOfOrderTimestampCount);
        Assert.Equal(1403481600000, second.LatestRecordTimestamp);
        Assert.Null(second.EarliestRecordTimestamp);
        Assert.Equal(1403488900000, job.Tracker.Totals.LatestRecordTimestamp);
        Assert.Equal(1403488900000, job.Tracker.Totals.EarliestRecordTimestamp);
    }

    [Fact]
    public void Concatenated_objects_without_separators_and_a_wrapping_array_are_read()
    {
        using var job = new TestJob(["f"]);

        var upload = job.Post("[{\"time\":1403481600,\"f\":1},{\"time\":1403481601,\"f\":2}]{\"time\":1403481602,\"f\":3}{\"time\":1403481603,\"f\":4}");

        Assert.Equal(4, upload.ProcessedRecordCount);
        Assert.Equal(["1", "2", "3", "4"], job.Sink.Records.Select(r => r.Values[0]));
    }

    [Fact]
    public void Escaped_keys_and_values_are_unescaped_before_matching()
    {
        using var job = new TestJob(["na\"me"]);

        var upload = job.Post("{\"ti\\u006de\":1403481600,\"na\\\"me\":\"a\\tb\\u00e9\\ud83d\\ude00\\/\"}");

        Assert.Equal(1, upload.ProcessedRecordCount);
        Assert.Equal("a\tb\u00e9\U0001F600/", job.Sink.Records[0].Values[0]);
    }

    [Fact]
    public void Malformed_record_keeps_the_fields_read_before_the_error_and_reading_resumes()
    {
        using var job = new TestJob(["f", "g"]);
        var body =
            "{\"time\":1403481600,\"f\":1}\n" +
            "{\"time\":1403481601,\"f\":oops,\"g\":2}\n" + // error at 'oops': time read, f and g not
            "{\"f\":1,\"time\":tru}\n" + // error before the time: invalid date
            "{\"time\":1403481602,\"f\":3,\"g\":4}\n";

        var upload = job.Post(body);

        Assert.Equal(3, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.InvalidDateCount);
        // missing: record 1 g; record 2 f,g; record 3 time,g; record 4 none.
        Assert.Equal(1 + 2 + 2, upload.MissingFieldCount);
        // input fields: r1 2→1, r2 time only 1→0, r3 f only 1→0, r4 3→2.
        Assert.Equal(3, upload.InputFieldCount);
        Assert.Equal([1403481600000L, 1403481601000L, 1403481602000L], job.Sink.Records.Select(r => r.TimeMs));
    }

    [Fact]
    public void Error_inside_a_nested_object_keeps_fields_read_so_far_like_es_recover_from_bad_nested_json()
    {
        // XContentRecordReaderTests.testRead_RecoverFromBadNestedJson: the second record yields 2 fields (b, d.ee).
        using var job = new TestJob(["a", "b", "c"]);
        var body = "{\"time\":1,\"a\":10, \"b\":20, \"c\":30}\n{\"time\":2,\"b\":21, \"d\" : {\"ee\": 1 \"ff\":0}, \"a\":11, \"c\":31}";

        var upload = job.Post(body);

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(3 + 2, upload.InputFieldCount); // (4 − 1) + (3 − 1): time, b, d.ee read before the error
        AssertValues(job.Sink.Records[1].Values, [null, "21", null]);
        Assert.Equal(2, upload.MissingFieldCount);
    }

    [Fact]
    public void Control_character_in_a_key_loses_only_that_record_like_es()
    {
        // XContentRecordReaderTests.testRead_givenControlCharacterInData: the next two records read normally.
        using var job = new TestJob(["a", "b", "c"]);
        var body =
            "{\"time\":1,\"a\":10, \"\u0002\" : 5, \"b\":20, \"c\":30}\n" +
            "{\"time\":2,\"b\":21, \"a\":11, \"c\":31}\n" +
            "{\"time\":3,\"c\":32, \"b\":22, \"a\":12}\n";

        job.Post(body);

        Assert.Equal(3, job.Sink.Records.Count);
        AssertValues(job.Sink.Records[0].Values, ["10", null, null]);
        AssertValues(job.Sink.Records[1].Values, ["11", "21", "31"]);
        AssertValues(job.Sink.Records[2].Values, ["12", "22", "32"]);
    }

    [Theory]
    [InlineData(99, false)]
    [InlineData(100, true)]
    public void Hundred_malformed_records_in_one_upload_raise_parse_exception(int bad, bool throws)
    {
        using var job = new TestJob(["f"]);
        var sb = new StringBuilder();
        for (var i = 0; i < bad; i++)
        {
            sb.Append("{\"time\":1403481600,\"f\"2}\n"); // missing ':' (XContentRecordReaderTests.testRead_HitParseErrorsLimit)
        }

        sb.Append("{\"time\":1403481600,\"f\":3}\n");
        job.Tracker.BeginUpload();

        var ex = Record.Exception(() =>
        {
            job.Reader.Feed(Encoding.UTF8.GetBytes(sb.ToString()));
            job.Reader.Complete();
        });

        if (throws)
        {
            var es = Assert.IsType<ElasticsearchException>(ex);
            Assert.Equal("parse_exception", es.Type);
            Assert.Equal("The input JSON data is malformed.", es.Reason);
            Assert.Equal(100, job.Tracker.Totals.ProcessedRecordCount); // the bad ones were still counted
        }
        else
        {
            Assert.Null(ex);
            Assert.Equal(bad + 1, job.Tracker.Totals.ProcessedRecordCount);
        }
    }

    [Fact]
    public void Raw_newline_in_a_string_is_malformed_and_recovers_at_the_record_end()
    {
        using var job = new TestJob(["f"]);
        var body = "{\"time\":1403481600,\"f\":\"broken\nstring\"}\n{\"time\":1403481601,\"f\":\"ok\"}\n";

        var upload = job.Post(body);

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.MissingFieldCount);
        Assert.Equal("ok", job.Sink.Records[1].Values[0]);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_malformed()
    {
        using var job = new TestJob(["f"]);
        var body = new List<byte>();
        body.AddRange(Encoding.UTF8.GetBytes("{\"time\":1403481600,\"f\":\"a"));
        body.AddRange(new byte[] { 0xC3, 0x28 }); // invalid 2-byte sequence
        body.AddRange(Encoding.UTF8.GetBytes("\"}\n{\"time\":1403481601,\"f\":\"b\"}"));

        var upload = job.Post([.. body]);

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(1, upload.MissingFieldCount);
        Assert.Null(job.Sink.Records[0].Values[0]);
        Assert.Equal("b", job.Sink.Records[1].Values[0]);
    }

    [Fact]
    public void Garbage_between_records_is_skipped()
    {
        using var job = new TestJob(["f"]);
        var body = "\uFEFF 42 \"text\" true {\"time\":1403481600,\"f\":1}\nnot json at all\n{\"time\":1403481601,\"f\":2}";

        var upload = job.Post(body);

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(0, upload.InvalidDateCount);
    }

    [Fact]
    public void Body_ending_inside_a_record_throws_parse_exception_after_counting_earlier_records()
    {
        using var job = new TestJob(["f"]);
        job.Tracker.BeginUpload();
        var body = Encoding.UTF8.GetBytes("{\"time\":1403481600,\"f\":1}\n{\"time\":1403481601,\"f\":");

        job.Reader.Feed(body);
        var ex = Assert.Throws<ElasticsearchException>(job.Reader.Complete);

        Assert.Equal("parse_exception", ex.Type);
        Assert.Equal(400, ex.Status);
        Assert.Equal("The input JSON data is malformed.", ex.Reason);
        Assert.Single(job.Sink.Records);
        var totals = job.Tracker.Totals;
        Assert.Equal(1, totals.ProcessedRecordCount);
        Assert.Equal(body.Length, totals.InputBytes);

        // The job stays usable: the next upload counts normally.
        var next = job.Post("{\"time\":1403481602,\"f\":2}");
        Assert.Equal(1, next.ProcessedRecordCount);
        Assert.Equal(2, job.Tracker.Totals.ProcessedRecordCount);
    }

    [Fact]
    public void Body_ending_inside_a_malformed_record_also_throws()
    {
        using var job = new TestJob(["f"]);
        job.Tracker.BeginUpload();

        job.Reader.Feed("{\"time\":1403481600,\"f\":x, \"g\":{"u8);

        Assert.Throws<ElasticsearchException>(job.Reader.Complete);
    }

    [Fact]
    public void Record_over_the_size_limit_throws_and_earlier_records_stay_counted()
    {
        using var job = new TestJob(["f"], maxRecordBytes: 64);
        job.Tracker.BeginUpload();
        var big = "{\"time\":1403481601,\"f\":\"" + new string('x', 100) + "\"}";
        job.Reader.Feed(Encoding.UTF8.GetBytes("{\"time\":1403481600,\"f\":1}\n"));

        var ex = Assert.Throws<ElasticsearchException>(() =>
        {
            var bytes = Encoding.UTF8.GetBytes(big);
            for (var i = 0; i < bytes.Length; i += 16)
            {
                job.Reader.Feed(bytes.AsSpan(i, Math.Min(16, bytes.Length - i)));
            }
        });

        Assert.Equal("parse_exception", ex.Type);
        Assert.Equal(400, ex.Status);
        Assert.StartsWith("The input JSON data is malformed.", ex.Reason);
        Assert.Equal(1, job.Tracker.Totals.ProcessedRecordCount);
    }

    [Fact]
    public void Record_over_the_size_limit_in_a_single_chunk_throws()
    {
        using var job = new TestJob(["f"], maxRecordBytes: 64);
        job.Tracker.BeginUpload();

        Assert.Throws<ElasticsearchException>(() =>
            job.Reader.Feed(Encoding.UTF8.GetBytes("{\"time\":1403481601,\"f\":\"" + new string('x', 100) + "\"}")));
    }

    [Fact]
    public void Nesting_deeper_than_1000_levels_is_malformed_and_reading_resumes()
    {
        using var job = new TestJob(["f"]);
        var deep = new StringBuilder("{\"time\":1403481600,\"f\":1,\"d\":");
        for (var i = 0; i < 1500; i++)
        {
            deep.Append("{\"x\":");
        }

        deep.Append('1').Append('}', 1501).Append("\n{\"time\":1403481601,\"f\":2}");

        var upload = job.Post(deep.ToString());

        Assert.Equal(2, upload.ProcessedRecordCount);
        Assert.Equal(2, upload.InputFieldCount); // r1: time, f read before the error → 1; r2: time, f → 1
    }

    [Fact]
    public void Epoch_ms_numbers_and_strings_parse()
    {
        using var job = new TestJob(["f"], timeFormat: "epoch_ms");

        job.Post("{\"time\":1403481600000,\"f\":1}{\"time\":\"1403481600001\",\"f\":1}{\"time\":1.4034816000025E12,\"f\":1}");

        Assert.Equal([1403481600000L, 1403481600001L, 1403481600002L], job.Sink.Records.Select(r => r.TimeMs));
    }

    [Fact]
    public void Feeding_many_records_allocates_nothing_after_warm_up()
    {
        var schema = new Vigil.Engine.Input.IngestSchema("time", "epoch_ms", ["responsetime", "airline"], 300_000, 0);
        var tracker = new Vigil.Engine.DataCounts.DataCountsTracker(schema, 3, null, TimeProvider.System);
        var sink = new NoopSink();
        using var reader = new Vigil.Engine.Input.NdjsonRecordReader(schema, tracker, sink);
        var airlines = new[] { "AAL", "JZA", "JBU", "A\\u00e9L" };
        var random = new Random(42);

        byte[] Body(long startMs)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < 20_000; i++)
            {
                sb.Append("{\"time\":").Append(startMs + (i * 1000L))
                    .Append(",\"airline\":\"").Append(airlines[i % airlines.Length])
                    .Append("\",\"responsetime\":").Append((random.NextDouble() * 1000).ToString("F4", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(",\"nested\":{\"x\":[1,2]}}\n");
            }

            return Encoding.UTF8.GetBytes(sb.ToString());
        }

        void FeedAll(byte[] body)
        {
            tracker.BeginUpload();
            for (var i = 0; i < body.Length; i += 8192)
            {
                reader.Feed(body.AsSpan(i, Math.Min(8192, body.Length - i)));
            }

            reader.Complete();
        }

        var warmUp = Body(1403481600000L);
        var measured = Body(1403481600000L + 100_000_000L);
        FeedAll(warmUp); // pooled buffers grow, JIT runs
        tracker.BeginUpload(); // one small UploadCounter per upload, outside the measurement

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < measured.Length; i += 8192)
        {
            reader.Feed(measured.AsSpan(i, Math.Min(8192, measured.Length - i)));
        }

        reader.Complete();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(40_000, sink.Count);
        Assert.Equal(0, allocated);
    }
}
