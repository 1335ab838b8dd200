using System.Net;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class FlushTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Flush_reports_the_start_of_the_open_bucket_as_last_finalized_end()
    {
        var job = await Jobs.CreateOpenAsync(Server, "flush-basic");
        await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403481700,\"airline\":\"AAL\",\"responsetime\":2}\n");

        var flush = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush");

        Assert.Equal(HttpStatusCode.OK, flush.Status);
        Assert.True((bool)flush.Json!["flushed"]!);
        Assert.Equal(1403481600000, (long)flush.Json!["last_finalized_bucket_end"]!);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task Flush_with_no_data_has_no_last_finalized_bucket_end()
    {
        var job = await Jobs.CreateOpenAsync(Server, "flush-empty");

        var flush = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush");

        Assert.True((bool)flush.Json!["flushed"]!);
        Assert.Null(flush.Json!["last_finalized_bucket_end"]);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task A_later_record_finalizes_the_bucket_and_close_does_not_finalize_the_last_one()
    {
        var job = await Jobs.CreateOpenAsync(Server, "flush-finalize");
        await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":2}\n{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":3}\n");
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush");

        var stats = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;
        Assert.Equal(1, (long)stats["timing_stats"]!["bucket_count"]!);
        Assert.True((double)stats["timing_stats"]!["minimum_bucket_processing_time_ms"]! >= 0);

        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
        var closed = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;
        Assert.Equal(1, (long)closed["timing_stats"]!["bucket_count"]!);
        Assert.True((long)closed["model_size_stats"]!["model_bytes"]! > 0); // jobs_get_stats.yml: after data and close
        Assert.Equal(1, (long)closed["model_size_stats"]!["total_by_field_count"]!);
    }

    [Fact]
    public async Task Skip_time_rounds_up_to_a_bucket_boundary_and_advance_time_finalizes()
    {
        var job = await Jobs.CreateOpenAsync(Server, "flush-skip");
        await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":2}\n");

        var skip = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush?skip_time=1403488700");
        Assert.Equal(1403488800000, (long)skip.Json!["last_finalized_bucket_end"]!);

        await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403488600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403488700,\"airline\":\"AAL\",\"responsetime\":1}\n");
        await Jobs.PostDataAsync(Server, job,
            "{\"time\":1403488900,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403492400,\"airline\":\"AAL\",\"responsetime\":1}\n");
        var stats = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;
        Assert.Equal(2, (long)stats["timing_stats"]!["bucket_count"]!); // 1403481600 and 1403488800; the skipped bucket has no result

        var advance = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush?advance_time=1403499600");
        Assert.Equal(1403499600000, (long)advance.Json!["last_finalized_bucket_end"]!);
        stats = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;
        Assert.Equal(4, (long)stats["timing_stats"]!["bucket_count"]!); // 1403492400 and the empty 1403496000
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Theory]
    [InlineData("start=1403481600", "illegal_argument_exception", "Invalid flush parameters: unexpected 'start'.")]
    [InlineData("end=1403481600", "illegal_argument_exception", "Invalid flush parameters: unexpected 'end'.")]
    [InlineData("calc_interim=true&end=1403481600", "illegal_argument_exception", "Invalid flush parameters: 'start' has not been specified.")]
    [InlineData("calc_interim=true&start=1403485200&end=1403481600", "illegal_argument_exception", "Invalid time range: end time '1403481600' is earlier than start time '1403485200'.")]
    [InlineData("advance_time=1403481600&skip_time=1403485200", "illegal_argument_exception", "advance_time [1403481600] must be later than skip_time [1403485200]")]
    [InlineData("start=not_a_date", "parse_exception", "Query param [start] with value [not_a_date] cannot be parsed as a date or converted to a number (epoch).")]
    [InlineData("advance_time=bad", "parse_exception", "Query param [advance_time] with value [bad] cannot be parsed as a date or converted to a number (epoch).")]
    public async Task Flush_parameters_are_validated_as_elasticsearch_does(string query, string type, string reason)
    {
        var job = await Jobs.CreateOpenAsync(Server, "flush-validate-" + Math.Abs(query.GetHashCode(StringComparison.Ordinal)));

        var reply = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal(type, reply.ErrorType);
        Assert.Equal(reason, reply.ErrorReason);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task Flush_parameters_in_the_body_and_calc_interim_are_accepted()
    {
        var job = await Jobs.CreateOpenAsync(Server, "flush-body");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n");

        var reply = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush", """{"calc_interim":true,"advance_time":"1403485200"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(1403485200000, (long)reply.Json!["last_finalized_bucket_end"]!);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }
}
