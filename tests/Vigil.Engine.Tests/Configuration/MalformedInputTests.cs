using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class MalformedInputTests
{
    private static readonly byte[] Seed = Utf8(Q("{'description':'d','groups':['g'],'custom_settings':{'a':[1,2.5,true,null]},"
        + "'analysis_config':{'bucket_span':'15m','latency':'0s','detectors':[{'function':'mean','field_name':'x','by_field_name':'b',"
        + "'custom_rules':[{'scope':{'b':{'filter_id':'f'}},'conditions':[{'applies_to':'actual','operator':'gt','value':1}]}]},"
        + "{'function':'count','by_field_name':'mlcategory'}],'influencers':['b'],'categorization_field_name':'m',"
        + "'categorization_analyzer':{'tokenizer':'ml_standard','filter':['stop']},'model_prune_window':'30d'},"
        + "'analysis_limits':{'model_memory_limit':'12mb'},'data_description':{'time_field':'t','time_format':'yyyy-MM-dd HH:mm:ss'},"
        + "'model_plot_config':{'enabled':true},'model_snapshot_retention_days':5,'overall_cardinality':{'b':10}}"));

    [Fact]
    public void Random_mutations_only_ever_raise_elasticsearch_exceptions()
    {
        var random = new Random(20261122);
        byte[] alphabet = "{}[]\":,.-0123456789eE truefalsnul\\x\u00e9"u8.ToArray();
        var job = Create(System.Text.Encoding.UTF8.GetString(Seed).Replace(Q(",'overall_cardinality':{'b':10}"), string.Empty, StringComparison.Ordinal));
        for (var i = 0; i < 600; i++)
        {
            var body = (byte[])Seed.Clone();
            var edits = random.Next(1, 4);
            for (var k = 0; k < edits; k++)
            {
                var at = random.Next(body.Length);
                switch (random.Next(3))
                {
                    case 0:
                        body[at] = alphabet[random.Next(alphabet.Length)];
                        break;
                    case 1:
                        body = [.. body[..at], .. body[(at + 1)..]];
                        break;
                    default:
                        body = [.. body[..at], alphabet[random.Next(alphabet.Length)], .. body[at..]];
                        break;
                }
            }

            AssertOnlyEs(() => JobConfigParser.ParseForCreate(body, "j", Now, "8.15.0"));
            AssertOnlyEs(() => JobConfigParser.ValidateJob(body));
            AssertOnlyEs(() => JobConfigParser.ParseStored(body));
            AssertOnlyEs(() => ModelMemoryEstimator.Estimate(body));
            AssertOnlyEs(() => JobUpdate.Parse(body).ApplyTo(job, false, [job]));
        }
    }

    private static void AssertOnlyEs(Action action)
    {
        try
        {
            action();
        }
        catch (ElasticsearchException e)
        {
            Assert.InRange(e.Status, 400, 599);
            Assert.False(string.IsNullOrEmpty(e.Reason));
        }
    }
}
