using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Elasticsearch's ML configuration messages (ES <c>Messages</c>), formatted as Java's MessageFormat does.</summary>
internal static class Messages
{
    /// <summary>Java <c>{n,number}</c> with <c>Locale.ROOT</c>: grouping separators (<c>1,000</c>).</summary>
    public static string Num(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static ElasticsearchException BadRequest(string reason) => ElasticsearchException.StatusError(reason, 400);

    public static string InvalidId(string field, string id) =>
        $"Invalid {field}; '{id}' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric";

    public static string InvalidGroup(string group) =>
        $"Invalid group id '{group}'; must be non-empty string and may contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric";

    public static string FieldValueTooLow(string field, long min, long value) =>
        $"{field} cannot be less than {Num(min)}. Value = {Num(value)}";

    public static string JobAndGroupNamesMustBeUnique(string name) =>
        $"job and group names must be unique but job [{name}] and group [{name}] have the same name";

    public static string UnknownJob(string id) => $"No known job with id '{id}'";

    public static string JobIdTooLong => "The job id cannot contain more than 64 characters.";
}
