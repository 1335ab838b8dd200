using System.Text;
using Vigil.Engine.Configuration;
using Vigil.Engine.Jobs;
using Vigil.Engine.Results;

namespace Vigil.Engine.Tests.Jobs;

public sealed class JobProcessorTests
{
    private static JobProcessor Create(string analysis = """{"bucket_span":"1h","detectors":[{"function":"count"}]}""", byte[]? state = null)
    {
        var json = "{\"analysis_config\":" + analysis + ",\"data_description\":{\"time_field\":\"time\",\"time_format\":\"epoch\"}}";
        var job = JobConfigParser.ParseForCreate(Encoding.UTF8.GetBytes(json), "job", DateTimeOffset.UnixEpoch, "12.0.0");
        return new JobProcessor(JobProcessorSpecs.From(job), null, state ?? [], TimeProvider.System);
    }

    private static void Post(JobProcessor processor, params long[] seconds)
    {
        processor.BeginUpload(InputFormat.Json);
        foreach (var t in seconds)
        {
            processor.Feed(Encoding.UTF8.GetBytes($"{{\"time\":{t}}}\n"));
        }

        processor.EndUpload();
    }

    private static List<long> FinalBuckets(JobProcessor processor)
    {
        var buckets = new List<long>();
        foreach (var r in processor.DrainResults())
        {
            if (r is BucketDocument { IsInterim: false } b)
            {
                buckets.Add(b.Timestamp);
            }
        }

        return buckets;
    }

    [Fact]
    public void First_record_sets_the_last_finalized_end_to_its_bucket_start()
    {
        using var processor = Create();
        Post(processor, 1403481600, 1403481700);

        Assert.Equal(1403481600000, processor.Flush(new FlushRequest(false, null, null, null, null)).LastFinalizedBucketEndMs);
        Assert.Empty(FinalBuckets(processor));
    }

    [Fact]
    public void A_record_past_a_bucket_end_finalizes_every_bucket_before_it_including_empty_ones()
    {
        using var processor = Create();
        Post(processor, 1403481600, 1403481600 + (3 * 3600) + 5);

        Assert.Equal([1403481600000, 1403485200000, 1403488800000], FinalBuckets(processor));
        Assert.Equal(3, processor.Timing.BucketCount);
    }

    [Fact]
    public void Latency_keeps_buckets_open_until_time_passes_their_end_plus_latency()
    {
        using var processor = Create("""{"bucket_span":"1h","latency":"2h","detectors":[{"function":"count"}]}""");
        Post(processor, 1403481600, 1403481600 + (2 * 3600) + 10);
        Assert.Empty(FinalBuckets(processor));

        Post(processor, 1403481600 + (3 * 3600));
        Assert.Equal([1403481600000], FinalBuckets(processor));
    }

    [Fact]
    public void Skip_time_jumps_to_the_next_boundary_without_results_and_advance_time_finalizes()
    {
        using var processor = Create();
        Post(processor, 1403481600, 1403485200);
        FinalBuckets(processor);

        var skip = processor.Flush(new FlushRequest(false, null, null, null, 1403488700000));
        Assert.Equal(1403488800000, skip.LastFinalizedBucketEndMs);
        Post(processor, 1403488700); // before the skip point: ignored by the analysis
        var advance = processor.Flush(new FlushRequest(false, null, null, 1403496000000, null));

        Assert.Equal(1403496000000, advance.LastFinalizedBucketEndMs);
        Assert.Equal([1403488800000, 1403492400000], FinalBuckets(processor));
    }

    [Fact]
    public void Calc_interim_emits_interim_results_for_the_open_bucket_only()
    {
        using var processor = Create();
        Post(processor, 1403481600);
        processor.Flush(new FlushRequest(true, null, null, null, null));

        var results = processor.DrainResults();
        var bucket = Assert.Single(results.OfType<BucketDocument>());
        Assert.True(bucket.IsInterim);
        Assert.Equal(1403481600000, bucket.Timestamp);
        Assert.Equal(1, bucket.EventCount);
    }

    [Fact]
    public void State_round_trips_the_bucket_clock_and_timing()
    {
        byte[] state;
        using (var processor = Create())
        {
            Post(processor, 1403481600, 1403485200);
            state = processor.SaveState();
        }

        using var restored = Create(state: state);
        Assert.Equal(1403485200000, restored.LastFinalizedBucketEndMs);
        Assert.Equal(1, restored.Timing.BucketCount);
        Post(restored, 1403488800);
        Assert.Equal([1403485200000], FinalBuckets(restored));
    }
}
