using Vigil.Engine.Configuration;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class AnalyzerAndMapOrderTests
{
    private const string Prefix = "{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_analyzer':";

    [Theory]
    [InlineData("hello", 99162322)]
    [InlineData("type", 3575610)]
    [InlineData("", 0)]
    public void Java_string_hash_code(string s, int expected)
    {
        Assert.Equal(expected, JavaMapOrder.JavaHashCode(s));
    }

    [Fact]
    public void HashMap_order_puts_pattern_before_type_and_type_before_stopwords()
    {
        var node = JNode.Parse(Utf8(Q("{'type':'pattern_replace','pattern':'x','stopwords':[]}")));
        var names = new List<string>();
        foreach (var p in JavaMapOrder.Order(node.Properties))
        {
            names.Add(p.Name);
        }

        Assert.Equal(["pattern", "type", "stopwords"], names);
    }

    [Fact]
    public void Standard_analyzer_from_filters_matches_ES_serialization()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_filters':['cat1.*']},'data_description':{}}"));
        Assert.StartsWith(Q("{'char_filter':['first_non_blank_line',{'pattern':'cat1.*','type':'pattern_replace'}],'tokenizer':'ml_standard','filter':[{'type':'stop','stopwords':['Monday',"),
            job.AnalysisConfig.CategorizationAnalyzer!.CustomJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_analyzer_definitions_are_rewritten_in_fixed_key_order()
    {
        var job = Create(Q(Prefix + "{'filter':[{'type':'stop','stopwords':['a']}],'tokenizer':{'type':'pattern','pattern':'\\\\W'},'char_filter':[]}},'data_description':{}}"));
        Assert.Equal(Q("{'tokenizer':{'pattern':'\\\\W','type':'pattern'},'filter':[{'type':'stop','stopwords':['a']}]}"), job.AnalysisConfig.CategorizationAnalyzer!.CustomJson);
    }

    [Theory]
    [InlineData("{'char_filter':['html_strip']}", "categorization_analyzer that is not a global analyzer must specify a [tokenizer] field")]
    [InlineData("{'tokenizer':'classic','foo':1}", "Parameter [foo] in [categorization_analyzer] is unknown or of the wrong type [VALUE_NUMBER]")]
    [InlineData("{'tokenizer':'classic','char_filter':'html_strip'}", "Parameter [char_filter] in [categorization_analyzer] is unknown or of the wrong type [VALUE_STRING]")]
    [InlineData("{'tokenizer':['classic']}", "[tokenizer] in [categorization_analyzer] should be tokenizer's name or settings [START_ARRAY]")]
    [InlineData("{'tokenizer':'classic','filter':[1]}", "[filter] in [categorization_analyzer] array element should contain token_filter's name or settings [VALUE_NUMBER]")]
    public void Custom_analyzer_errors(string analyzer, string reason)
    {
        var e = CreateFails(Q(Prefix + analyzer + "},'data_description':{}}"));
        Assert.EndsWith("[job_details] failed to parse field [analysis_config]", e.Reason, StringComparison.Ordinal);
        Assert.EndsWith("[analysis_config] failed to parse field [categorization_analyzer]", e.Cause!.Reason, StringComparison.Ordinal);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);
        Assert.Equal(reason, e.RootCause.Reason);
    }

    [Fact]
    public void Analyzer_without_categorization_field_is_rejected()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}],'categorization_analyzer':'standard'},'data_description':{}}"));
        Assert.Equal("categorization_analyzer requires setting categorization_field_name", e.RootCause.Reason);
    }

    [Fact]
    public void New_categorization_job_without_analyzer_gets_the_standard_one()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c'},'data_description':{}}"));
        Assert.StartsWith(Q("{'char_filter':['first_non_blank_line'],'tokenizer':'ml_standard','filter':[{'type':'stop','stopwords':["),
            job.AnalysisConfig.CategorizationAnalyzer!.CustomJson, StringComparison.Ordinal);
        Assert.Null(job.AnalysisConfig.CategorizationFilters);

        var plain = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Null(plain.AnalysisConfig.CategorizationAnalyzer);
    }
}
