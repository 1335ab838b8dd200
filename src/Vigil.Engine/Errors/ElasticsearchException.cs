namespace Vigil.Engine.Errors;

/// <summary>
/// An error that is reported to clients in Elasticsearch's error envelope:
/// <c>{"error":{"root_cause":[...],"type":...,"reason":...,"caused_by":...},"status":N}</c>.
/// </summary>
/// <remarks>
/// <para>The <see cref="Type"/> is the snake_case Elasticsearch exception name
/// (<c>resource_not_found_exception</c>, <c>status_exception</c>, <c>illegal_argument_exception</c>,
/// <c>x_content_parse_exception</c>, <c>parse_exception</c>, ...) and <see cref="Status"/> the HTTP status
/// Elasticsearch answers with. <see cref="Cause"/> nests like Java's cause chain: the innermost cause is
/// what Elasticsearch lists in <c>root_cause</c>.</para>
/// </remarks>
public sealed class ElasticsearchException : Exception
{
    /// <summary>Creates an error with its Elasticsearch type, reason, status and optional cause.</summary>
    public ElasticsearchException(string type, string reason, int status, ElasticsearchException? cause = null)
        : base(reason, cause)
    {
        Type = type;
        Reason = reason;
        Status = status;
        Cause = cause;
    }

    /// <summary>The Elasticsearch exception type, e.g. <c>resource_not_found_exception</c>.</summary>
    public string Type { get; }

    /// <summary>The human-readable reason, exactly as Elasticsearch words it.</summary>
    public string Reason { get; }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The wrapped cause (<c>caused_by</c>), if any.</summary>
    public ElasticsearchException? Cause { get; }

    /// <summary>Extra top-level fields of the error object (e.g. <c>line</c> and <c>col</c> of a parse error).</summary>
    public IReadOnlyList<KeyValuePair<string, object>>? Metadata { get; init; }

    /// <summary>The innermost cause: what Elasticsearch reports in <c>root_cause</c>.</summary>
    public ElasticsearchException RootCause
    {
        get
        {
            var e = this;
            while (e.Cause is not null)
            {
                e = e.Cause;
            }

            return e;
        }
    }

    /// <summary>404 <c>resource_not_found_exception</c>.</summary>
    public static ElasticsearchException ResourceNotFound(string reason) =>
        new("resource_not_found_exception", reason, 404);

    /// <summary>400 <c>resource_already_exists_exception</c>.</summary>
    public static ElasticsearchException ResourceAlreadyExists(string reason) =>
        new("resource_already_exists_exception", reason, 400);

    /// <summary>400 <c>illegal_argument_exception</c>.</summary>
    public static ElasticsearchException IllegalArgument(string reason, ElasticsearchException? cause = null) =>
        new("illegal_argument_exception", reason, 400, cause);

    /// <summary><c>status_exception</c> with the given status (400 bad request, 409 conflict, ...).</summary>
    public static ElasticsearchException StatusError(string reason, int status = 400) =>
        new("status_exception", reason, status);

    /// <summary>409 <c>status_exception</c>.</summary>
    public static ElasticsearchException Conflict(string reason) =>
        new("status_exception", reason, 409);

    /// <summary>400 <c>parse_exception</c>.</summary>
    public static ElasticsearchException Parse(string reason, ElasticsearchException? cause = null) =>
        new("parse_exception", reason, 400, cause);

    /// <summary>400 <c>x_content_parse_exception</c>, whose reason starts with <c>[line:col]</c>.</summary>
    public static ElasticsearchException XContentParse(long line, long column, string reason, ElasticsearchException? cause = null) =>
        new("x_content_parse_exception", $"[{line}:{column}] {reason}", 400, cause);
}
