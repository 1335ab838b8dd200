using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class PostDataTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Deprecation =
        "Posting data directly to anomaly detection jobs is deprecated, in a future major version it will be compulsory to use a datafeed";

    private VigilTestServer Server => fixture.Server;

    private async Task<JsonNode> StatsAsync(string job) =>
        (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;

    [Fact]
    public async Task PostData_counts_fields_bytes_and_timestamps_as_elasticsearch_does()
    {
        var job = await Jobs.CreateOpenAsync(Server, "counts-job");
        // post_data.yml: two documents with four keys; the job needs responsetime, airline and time.
        const string body = "{\"airline\":\"AAL\",\"responsetime\":\"132.2046\",\"sourcetype\":\"post-data-job\",\"time\":\"1403481600\"}\n"
            + "{\"airline\":\"JZA\",\"responsetime\":\"990.4628\",\"sourcetype\":\"post-data-job\",\"time\":\"1403481700\"}\n";

        var reply = await Jobs.PostDataAsync(Server, job, body);

        Assert.Equal(HttpStatusCode.Accepted, reply.Status);
        Assert.Contains(Deprecation, reply.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
        var counts = reply.Json!;
        Assert.Equal(job, (string?)counts["job_id"]);
        Assert.Equal(2, (long)counts["processed_record_count"]!);
        Assert.Equal(2 * (3 - 1), (long)counts["processed_field_count"]!); // records × (required fields − time) − missing
        Assert.Equal(Encoding.UTF8.GetByteCount(body), (long)counts["input_bytes"]!);
        Assert.Equal(2 * (4 - 1), (long)counts["input_field_count"]!); // leaf fields minus the time field, per record
        Assert.Equal(0, (long)counts["invalid_date_count"]!);
        Assert.Equal(0, (long)counts["missing_field_count"]!);
        Assert.Equal(0, (long)counts["out_of_order_timestamp_count"]!);
        Assert.Equal(1403481600000, (long)counts["earliest_record_timestamp"]!);
        Assert.Equal(1403481700000, (long)counts["latest_record_timestamp"]!);
        Assert.Equal(2, (long)counts["input_record_count"]!);
        Assert.True((long)counts["last_data_time"]! > 0);
    }

    [Fact]
    public async Task PostData_counts_invalid_dates_missing_fields_and_out_of_order_records()
    {
        var job = await Jobs.CreateOpenAsync(Server, "rules-job");
        var body = string.Join('\n',
            "{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":1}",          // accepted; its bucket starts 1403485200
            "{\"time\":\"not a date\",\"airline\":\"AAL\",\"responsetime\":1}",      // invalid date
            "{\"airline\":\"AAL\",\"responsetime\":1}",                               // time absent: invalid date, 1 missing (time)
            "{\"time\":{\"nested\":1},\"airline\":\"AAL\",\"responsetime\":1}",      // time is an object: no "time" leaf, so missing and invalid
            "{\"time\":1403485300,\"responsetime\":2}",                               // accepted, airline missing
            "{\"time\":1403485100,\"airline\":\"AAL\",\"responsetime\":3}",           // before the latest bucket start: out of order
            "{\"time\":1403485250,\"airline\":\"AAL\",\"responsetime\":null}",        // accepted (same bucket), null counts as missing
            "");

        var counts = (await Jobs.PostDataAsync(Server, job, body)).Json!;

        Assert.Equal(3, (long)counts["processed_record_count"]!);
        Assert.Equal(3, (long)counts["invalid_date_count"]!);
        Assert.Equal(1, (long)counts["out_of_order_timestamp_count"]!);
        Assert.Equal(4, (long)counts["missing_field_count"]!); // time (records 3 and 4), airline (5), responsetime (7)
        Assert.Equal(7, (long)counts["input_record_count"]!);
        Assert.Equal((3 * 2) - 4, (long)counts["processed_field_count"]!); // missing counts of rejected records count too
    }

    [Fact]
    public async Task PostData_latency_widens_the_out_of_order_tolerance()
    {
        var job = await Jobs.CreateOpenAsync(Server, "latency-job", """
            {"analysis_config":{"bucket_span":"1h","latency":"2h","detectors":[{"function":"count"}]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """);
        var body = "{\"time\":1403492400}\n{\"time\":1403485300}\n{\"time\":1403478000}\n";

        var counts = (await Jobs.PostDataAsync(Server, job, body)).Json!;

        // Latest bucket starts 1403492400; with 2h latency anything from 1403485200 on is accepted.
        Assert.Equal(2, (long)counts["processed_record_count"]!);
        Assert.Equal(1, (long)counts["out_of_order_timestamp_count"]!);
    }

    [Fact]
    public async Task PostData_totals_accumulate_across_uploads_in_stats()
    {
        var job = await Jobs.CreateOpenAsync(Server, "totals-job");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n");
        var second = (await Jobs.PostDataAsync(Server, job, "{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":1}\n")).Json!;

        Assert.Equal(1, (long)second["processed_record_count"]!);
        Assert.Null(second["earliest_record_timestamp"]); // only the upload that saw it reports it
        var stats = await StatsAsync(job);
        Assert.Equal(2, (long)stats["data_counts"]!["processed_record_count"]!);
        Assert.Equal(1403481600000, (long)stats["data_counts"]!["earliest_record_timestamp"]!);
        Assert.Equal(1403485200000, (long)stats["data_counts"]!["latest_record_timestamp"]!);
    }

    [Fact]
    public async Task PostData_accepts_concatenated_objects_without_newlines()
    {
        var job = await Jobs.CreateOpenAsync(Server, "concat-job");

        var counts = (await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403481600,\"airline\":\"A\",\"responsetime\":1} {\"time\":1403481601,\"airline\":\"B\",\"responsetime\":2}{\"time\":1403481602,\"airline\":\"C\",\"responsetime\":3}")).Json!;

        Assert.Equal(3, (long)counts["processed_record_count"]!);
    }

    [Fact]
    public async Task PostData_reads_nested_fields_by_dotted_name()
    {
        var job = await Jobs.CreateOpenAsync(Server, "nested-job", """
            {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"metrics.rt","by_field_name":"meta.airline"}]},
             "data_description":{"time_field":"event.time","time_format":"epoch"}}
            """);

        var counts = (await Jobs.PostDataAsync(Server, job,
            "{\"event\":{\"time\":1403481600},\"meta\":{\"airline\":\"AAL\"},\"metrics\":{\"rt\":12.5,\"other\":1}}\n")).Json!;

        Assert.Equal(1, (long)counts["processed_record_count"]!);
        Assert.Equal(0, (long)counts["missing_field_count"]!);
        Assert.Equal(3, (long)counts["input_field_count"]!); // 4 leaves − time
    }

    [Fact]
    public async Task PostData_accepts_a_gzip_body()
    {
        var job = await Jobs.CreateOpenAsync(Server, "gzip-job");
        var text = "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403481700,\"airline\":\"AAL\",\"responsetime\":2}\n";
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(text));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_data")
        {
            Content = new ByteArrayContent(compressed.ToArray()),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-ndjson");
        request.Content.Headers.ContentEncoding.Add("gzip");
        using var response = await Server.Client.SendAsync(request);
        var reply = await EsReply.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, reply.Status);
        Assert.Equal(2, (long)reply.Json!["processed_record_count"]!);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), (long)reply.Json!["input_bytes"]!);
    }

    [Fact]
    public async Task PostData_with_a_body_that_is_not_gzip_is_a_parse_exception_and_the_job_stays_open()
    {
        var job = await Jobs.CreateOpenAsync(Server, "bad-gzip-job");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_data")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("this is not gzip")),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-ndjson");
        request.Content.Headers.ContentEncoding.Add("gzip");
        using var response = await Server.Client.SendAsync(request);
        var reply = await EsReply.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("parse_exception", reply.ErrorType);
        Assert.Equal("opened", (string?)(await StatsAsync(job))["state"]);
        var next = await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n");
        Assert.Equal(HttpStatusCode.Accepted, next.Status);
    }

    [Fact]
    public async Task PostData_accepts_csv_with_a_header_row()
    {
        var job = await Jobs.CreateOpenAsync(Server, "csv-job");
        const string csv = "time,airline,responsetime,sourcetype\n1403481600,AAL,132.2,x\n1403481700,\"JZA\",990.4,y\n1403481800,AAL,,z\n";

        var reply = await Server.SendAsync(HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_data", csv, "text/csv");

        Assert.Equal(HttpStatusCode.Accepted, reply.Status);
        Assert.Equal(3, (long)reply.Json!["processed_record_count"]!);
        Assert.Equal(3 * 3, (long)reply.Json!["input_field_count"]!); // header columns − 1 per row
    }

    [Fact]
    public async Task PostData_csv_without_an_analysis_field_in_the_header_is_rejected()
    {
        var job = await Jobs.CreateOpenAsync(Server, "csv-bad-job");

        var reply = await Server.SendAsync(HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_data", "time,airline\n1403481600,AAL\n", "text/csv");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("illegal_argument_exception", reply.ErrorType);
        Assert.Contains("responsetime", reply.ErrorReason, StringComparison.Ordinal);
        Assert.Equal("opened", (string?)(await StatsAsync(job))["state"]);
    }

    [Fact]
    public async Task PostData_body_that_stops_mid_record_keeps_earlier_records_and_the_job_usable()
    {
        var job = await Jobs.CreateOpenAsync(Server, "cut-job");

        var reply = await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403481700,\"airline\":\"AAL\",\"resp");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("parse_exception", reply.ErrorType);
        var stats = await StatsAsync(job);
        Assert.Equal("opened", (string?)stats["state"]);
        Assert.Equal(1, (long)stats["data_counts"]!["processed_record_count"]!);

        var next = await Jobs.PostDataAsync(Server, job, "{\"time\":1403481800,\"airline\":\"AAL\",\"responsetime\":1}\n");
        Assert.Equal(HttpStatusCode.Accepted, next.Status);
        Assert.Equal(2, (long)(await StatsAsync(job))["data_counts"]!["processed_record_count"]!);
    }

    [Fact]
    public async Task PostData_malformed_line_is_recovered_and_following_records_are_processed()
    {
        var job = await Jobs.CreateOpenAsync(Server, "malformed-job");

        var reply = await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403481650,\"airline\":\"AAL\",\"responsetime\":oops}\n{\"time\":1403481700,\"airline\":\"AAL\",\"responsetime\":2}\n");

        Assert.Equal(HttpStatusCode.Accepted, reply.Status);
        // The bad record keeps the fields read before the error (ES's recovery), so it counts with one field missing.
        Assert.Equal(3, (long)reply.Json!["processed_record_count"]!);
        Assert.Equal(1, (long)reply.Json!["missing_field_count"]!);
    }

    [Fact]
    public async Task PostData_invalid_utf8_never_crashes_the_node()
    {
        var job = await Jobs.CreateOpenAsync(Server, "utf8-job");
        var bytes = Encoding.UTF8.GetBytes("{\"time\":1403481600,\"airline\":\"A\u00e9\",\"responsetime\":1}\n{\"time\":1403481700,\"airline\":\"X");
        bytes = [.. bytes, 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\",\"responsetime\":1}\n{\"time\":1403481800,\"airline\":\"B\",\"responsetime\":1}\n")];
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_data") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-ndjson");
        using var response = await Server.Client.SendAsync(request);

        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.BadRequest, response.StatusCode.ToString());
        var stats = await StatsAsync(job);
        Assert.Equal("opened", (string?)stats["state"]);
        Assert.True((long)stats["data_counts"]!["processed_record_count"]! >= 1);
        Assert.Equal(HttpStatusCode.OK, (await Server.GetAsync("/")).Status);
    }

    [Fact]
    public async Task PostData_record_larger_than_the_limit_is_a_parse_exception()
    {
        var job = await Jobs.CreateOpenAsync(Server, "huge-job");
        var huge = "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403481700,\"airline\":\""
            + new string('x', 11 * 1024 * 1024) + "\",\"responsetime\":1}\n";

        var reply = await Jobs.PostDataAsync(Server, job, huge);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("parse_exception", reply.ErrorType);
        Assert.Contains("Record exceeds the maximum size", reply.ErrorReason, StringComparison.Ordinal);
        Assert.Equal(1, (long)(await StatsAsync(job))["data_counts"]!["processed_record_count"]!);
    }

    [Fact]
    public async Task PostData_to_unknown_or_closed_job_and_bad_reset_dates_are_rejected()
    {
        var unknown = await Jobs.PostDataAsync(Server, "no-such-job", "{}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("No known job with id 'no-such-job'", unknown.ErrorReason);

        await Jobs.CreateAsync(Server, "never-opened");
        var closed = await Jobs.PostDataAsync(Server, "never-opened", "{\"time\":1}");
        Assert.Equal(HttpStatusCode.Conflict, closed.Status);
        Assert.Equal("status_exception", closed.ErrorType);
        Assert.Equal("Cannot perform requested action because job [never-opened] is not open", closed.ErrorReason);

        var badReset = await Server.SendAsync(HttpMethod.Post, "/_ml/anomaly_detectors/never-opened/_data?reset_start=not_a_date", "{}", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, badReset.Status);
        Assert.Equal("parse_exception", badReset.ErrorType);
        Assert.Equal("Query param [reset_start] with value [not_a_date] cannot be parsed as a date or converted to a number (epoch).", badReset.ErrorReason);
    }

    [Fact]
    public async Task Concurrent_uploads_to_one_job_are_processed_one_at_a_time_and_none_is_lost()
    {
        var job = await Jobs.CreateOpenAsync(Server, "concurrent-job");
        static string Body(int offset)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < 5000; i++)
            {
                sb.Append("{\"time\":1403481600,\"airline\":\"A").Append((offset + i) % 7).Append("\",\"responsetime\":1}\n");
            }

            return sb.ToString();
        }

        var uploads = Enumerable.Range(0, 6).Select(i => Jobs.PostDataAsync(Server, job, Body(i))).ToArray();
        var replies = await Task.WhenAll(uploads);

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));
        Assert.All(replies, r => Assert.Equal(5000, (long)r.Json!["processed_record_count"]!));
        Assert.Equal(30000, (long)(await StatsAsync(job))["data_counts"]!["processed_record_count"]!);
    }

    [Fact]
    public async Task Uploads_to_different_jobs_run_side_by_side()
    {
        var a = await Jobs.CreateOpenAsync(Server, "parallel-a");
        var b = await Jobs.CreateOpenAsync(Server, "parallel-b");
        var body = string.Concat(Enumerable.Repeat("{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n", 2000));

        var replies = await Task.WhenAll(Jobs.PostDataAsync(Server, a, body), Jobs.PostDataAsync(Server, b, body));

        Assert.All(replies, r => Assert.Equal(2000, (long)r.Json!["processed_record_count"]!));
    }
}
