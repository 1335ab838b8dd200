using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class JobIdTests
{
    private static JobConfig Job(string id, params string[] groups)
    {
        var g = groups.Length == 0 ? string.Empty : "'groups':['" + string.Join("','", groups) + "'],";
        return Create(Q("{" + g + "'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"), id);
    }

    private static readonly JobConfig[] Jobs =
    [
        Job("jobs-foo-2", "group-a"), Job("jobs-bar-1"), Job("jobs-foo-1", "group-a", "group-b"),
    ];

    private static string[] Ids(IReadOnlyList<JobConfig> jobs)
    {
        var ids = new string[jobs.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = jobs[i].JobId;
        }

        return ids;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("_all")]
    [InlineData("*")]
    public void Resolve_all_returns_every_job_sorted(string? expression)
    {
        Assert.Equal(["jobs-bar-1", "jobs-foo-1", "jobs-foo-2"], Ids(JobIdExpression.Resolve(expression, Jobs, allowNoMatch: true)));
    }

    [Fact]
    public void Resolve_handles_wildcards_groups_and_lists()
    {
        Assert.Equal(["jobs-foo-1", "jobs-foo-2"], Ids(JobIdExpression.Resolve("*foo-*", Jobs, true)));
        Assert.Equal(["jobs-foo-1", "jobs-foo-2"], Ids(JobIdExpression.Resolve("group-a", Jobs, true)));
        Assert.Equal(["jobs-foo-1"], Ids(JobIdExpression.Resolve("group-b", Jobs, false)));
        Assert.Equal(["jobs-bar-1", "jobs-foo-1"], Ids(JobIdExpression.Resolve("jobs-foo-1, jobs-bar-1,group-b", Jobs, false)));
        Assert.Equal(["jobs-foo-1", "jobs-foo-2"], Ids(JobIdExpression.Resolve("group-*", Jobs, false)));
    }

    [Fact]
    public void Resolve_no_match_rules()
    {
        Assert.Empty(JobIdExpression.Resolve("missing-*", Jobs, allowNoMatch: true));
        var e = Assert.Throws<ElasticsearchException>(() => JobIdExpression.Resolve("missing-*", Jobs, allowNoMatch: false));
        Assert.Equal("resource_not_found_exception", e.Type);
        Assert.Equal(404, e.Status);
        Assert.Equal("No known job with id 'missing-*'", e.Reason);

        var exact = Assert.Throws<ElasticsearchException>(() => JobIdExpression.Resolve("non-existing", Jobs, allowNoMatch: true));
        Assert.Equal("No known job with id 'non-existing'", exact.Reason);

        var two = Assert.Throws<ElasticsearchException>(() => JobIdExpression.Resolve("a,jobs-bar-1,b", Jobs, allowNoMatch: true));
        Assert.Equal("No known job with id 'a,b'", two.Reason);

        Assert.Empty(JobIdExpression.Resolve("_all", [], allowNoMatch: true));
        Assert.Equal("No known job with id '*'", Assert.Throws<ElasticsearchException>(() => JobIdExpression.Resolve("_all", [], allowNoMatch: false)).Reason);
        Assert.Equal("No known job with id '_all'", Assert.Throws<ElasticsearchException>(() => JobIdExpression.Resolve("jobs-bar-1,_all", Jobs, allowNoMatch: true)).Reason);
        Assert.True(JobIdExpression.IsAll(" , "));
        Assert.False(JobIdExpression.IsAll("a,*"));
    }

    [Theory]
    [InlineData("a*c", "abc", true)]
    [InlineData("a*c", "ac", true)]
    [InlineData("*foo-*", "jobs-foo-1", true)]
    [InlineData("*foo-*", "jobs-bar-1", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("abc", "abcd", false)]
    public void SimpleMatch_like_ES(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, JobIdExpression.SimpleMatch(pattern, value));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("a.b-c_d", true)]
    [InlineData("0", true)]
    [InlineData("_all", false)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("aB", false)]
    [InlineData("", false)]
    public void Id_syntax(string id, bool valid)
    {
        Assert.Equal(valid, JobIdRules.IsValidId(id));
    }

    [Fact]
    public void ValidateJobId_messages()
    {
        Assert.Equal("Invalid job_id; '_all' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric",
            Assert.Throws<ElasticsearchException>(() => JobIdRules.ValidateJobId("_all")).Reason);
        Assert.Equal("The job id cannot contain more than 64 characters.",
            Assert.Throws<ElasticsearchException>(() => JobIdRules.ValidateJobId(new string('a', 65))).Reason);
        JobIdRules.ValidateJobId(new string('a', 64));
    }

    [Fact]
    public void CheckCreateConflicts_messages()
    {
        var used = Assert.Throws<ElasticsearchException>(() => JobIdRules.CheckCreateConflicts(Job("jobs-bar-1"), Jobs));
        Assert.Equal("resource_already_exists_exception", used.Type);
        Assert.Equal(400, used.Status);
        Assert.Equal("The job cannot be created with the Id 'jobs-bar-1'. The Id is already used.", used.Reason);

        var isGroup = Assert.Throws<ElasticsearchException>(() => JobIdRules.CheckCreateConflicts(Job("group-a"), Jobs));
        Assert.Equal("job and group names must be unique but job [group-a] and group [group-a] have the same name", isGroup.Reason);

        var groupIsJob = Assert.Throws<ElasticsearchException>(() => JobIdRules.CheckCreateConflicts(Job("new", "jobs-bar-1"), Jobs));
        Assert.Equal("job and group names must be unique but job [jobs-bar-1] and group [jobs-bar-1] have the same name", groupIsJob.Reason);

        JobIdRules.CheckCreateConflicts(Job("new", "group-a"), Jobs);
    }
}
