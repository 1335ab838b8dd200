using System.Buffers;
using Vigil.Engine.Categorization;
using Vigil.Engine.Pipeline;
using Vigil.Engine.Tests.Pipeline;

namespace Vigil.Engine.Tests.Categorization;

public sealed class CategorizationPipelineTests
{
    private static AnalysisSpec Spec(string? partition = null, bool perPartition = false, string[]? influencers = null) => new(
        "cat-job",
        Gen.SpanMs,
        0,
        [new DetectorSpec(0, "count", null, "mlcategory", null, partition, false, null, "count by mlcategory")],
        influencers ?? [],
        null,
        partition is null ? ["message"] : ["message", partition],
        false,
        new CategorizationSpec("message", null, null, 4, perPartition ? partition : null, false));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Count_by_mlcategory_finds_a_burst_of_one_message_template(bool mlcategoryInfluencer)
    {
        var pipeline = new AnomalyDetectorPipeline(Spec(influencers: mlcategoryInfluencer ? ["mlcategory"] : null));
        var rec = new TestRecord(1);
        var sink = new CollectingSink();
        var r = new Random(21);
        const int BurstBucket = 60;
        for (var b = 0; b < 80; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var t = 0L;
            for (var template = 0; template < CategorizerTests.ExpectedTerms.Length; template++)
            {
                var n = Gen.Poisson(r, 20) + (b == BurstBucket && template == 1 ? 400 : 0);
                for (var i = 0; i < n; i++)
                {
                    pipeline.OnRecord(start + (t++ % Gen.SpanMs), rec.Clear().Str(0, CategorizerTests.Message(r, template)).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        var documents = new List<CategoryDocument>();
        pipeline.DrainChangedCategories(documents);
        Assert.Equal(CategorizerTests.ExpectedTerms.Length, documents.Count);
        var burstCategory = documents.Single(d => d.Terms == CategorizerTests.ExpectedTerms[1]).CategoryId;

        var top = sink.Records.MaxBy(x => x.RecordScore)!;
        Assert.Equal(Gen.Start + (BurstBucket * Gen.SpanMs), top.Timestamp);
        Assert.Equal("mlcategory", top.ByFieldName);
        Assert.Equal(burstCategory.ToString(System.Globalization.CultureInfo.InvariantCulture), top.ByFieldValue);
        Assert.True(top.RecordScore > 50, $"record score {top.RecordScore}");
        if (mlcategoryInfluencer)
        {
            var influencer = sink.Influencers.MaxBy(x => x.InfluencerScore)!;
            Assert.Equal("mlcategory", influencer.InfluencerFieldName);
            Assert.Equal(top.ByFieldValue, influencer.InfluencerFieldValue);
            Assert.Equal(top.Timestamp, influencer.Timestamp);
        }

        Assert.Equal(5, pipeline.CategorizerStats!.TotalCategoryCount);
    }

    [Fact]
    public void Records_without_the_categorization_field_are_not_categorized_and_get_mlcategory_minus_one()
    {
        var pipeline = new AnomalyDetectorPipeline(Spec());
        var rec = new TestRecord(1);
        var sink = new CollectingSink();
        pipeline.OnRecord(Gen.Start, rec.Clear().Missing(0).Fields);
        pipeline.OnRecord(Gen.Start + 1, rec.Clear().Str(0, "").Fields);
        pipeline.OnRecord(Gen.Start + 2, rec.Clear().Str(0, "Service started on node alpha").Fields);
        var stats = pipeline.CategorizerStats!;
        Assert.Equal(1, stats.CategorizedDocCount);
        Assert.Equal(1, stats.TotalCategoryCount);

        // The detector sees two by values: "-1" (two records) and "1".
        Assert.Equal(2, pipeline.ByFieldCount);
        pipeline.CloseBucket(Gen.Start, sink);
        Assert.Equal(3, sink.Buckets.Single().EventCount);
    }

    [Fact]
    public void OnRecord_allocates_nothing_for_messages_of_existing_categories()
    {
        var pipeline = new AnomalyDetectorPipeline(Spec());
        var rec = new TestRecord(1);
        var r = new Random(5);
        var messages = new string[500];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = CategorizerTests.Message(r, i % CategorizerTests.ExpectedTerms.Length);
        }

        var sink = new CollectingSink();
        for (var b = 0; b < 2; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 5_000; i++)
            {
                pipeline.OnRecord(start + i, rec.Clear().Str(0, messages[i % messages.Length]).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var t = Gen.Start + (2 * Gen.SpanMs);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5_000; i++)
        {
            pipeline.OnRecord(t + i, rec.Clear().Str(0, messages[(i * 7) % messages.Length]).Fields);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Save_and_load_keep_categories_and_their_ids()
    {
        var spec = Spec();
        var pipeline = new AnomalyDetectorPipeline(spec);
        var rec = new TestRecord(1);
        var r = new Random(9);
        var sink = new CollectingSink();
        for (var i = 0; i < 300; i++)
        {
            pipeline.OnRecord(Gen.Start + i, rec.Clear().Str(0, CategorizerTests.Message(r, (i * 3) % 5)).Fields);
        }

        pipeline.CloseBucket(Gen.Start, sink);
        var before = new List<CategoryDocument>();
        pipeline.DrainChangedCategories(before);
        var state = new ArrayBufferWriter<byte>();
        pipeline.Save(state);
        var restored = AnomalyDetectorPipeline.Load(spec, state.WrittenSpan);
        Assert.Equal(pipeline.CategorizerStats, restored.CategorizerStats);

        // Nothing changed since the definitions were drained; a new match changes exactly its category.
        var none = new List<CategoryDocument>();
        restored.DrainChangedCategories(none);
        Assert.Empty(none);
        var t = Gen.Start + Gen.SpanMs;
        restored.OnRecord(t, rec.Clear().Str(0, CategorizerTests.Message(r, 2)).Fields);
        restored.OnRecord(t + 1, rec.Clear().Str(0, "Completely unrelated shutdown notice").Fields);
        var after = new List<CategoryDocument>();
        restored.DrainChangedCategories(after);
        Assert.Equal(2, after.Count);
        var template2 = before.Single(d => d.Terms == CategorizerTests.ExpectedTerms[2]);
        Assert.Equal(template2.CategoryId, after[0].CategoryId);
        Assert.Equal(template2.NumMatches + 1, after[0].NumMatches);
        Assert.Equal(6, after[1].CategoryId);
    }

    [Fact]
    public void Per_partition_categorization_gives_each_partition_its_categories()
    {
        var spec = Spec("service", perPartition: true);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var rec = new TestRecord(2);
        pipeline.OnRecord(Gen.Start, rec.Clear().Str(0, "Service started on node alpha").Str(1, "web").Fields);
        pipeline.OnRecord(Gen.Start + 1, rec.Clear().Str(0, "Service started on node beta").Str(1, "db").Fields);
        pipeline.OnRecord(Gen.Start + 2, rec.Clear().Str(0, "Service started on node gamma").Str(1, "web").Fields);
        var documents = new List<CategoryDocument>();
        pipeline.DrainChangedCategories(documents);
        Assert.Equal(2, documents.Count);
        Assert.Equal(("web", 2L), (documents[0].PartitionFieldValue, documents[0].NumMatches));
        Assert.Equal(("db", 1L), (documents[1].PartitionFieldValue, documents[1].NumMatches));
        Assert.All(documents, d => Assert.Equal("service", d.PartitionFieldName));
    }
}
