using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Primitives;
using Vigil.Engine.Errors;

namespace Vigil.Server.Http;

/// <summary>One REST request as a handler sees it: route values, query parameters, body, output flags.</summary>
public sealed class EsRequest
{
    /// <summary>Largest JSON body a handler reads whole (Elasticsearch's http.max_content_length default, 100mb).</summary>
    public const long MaxContentLength = 100L * 1024 * 1024;

    private readonly Dictionary<string, string> _routeValues;

    internal EsRequest(HttpContext context, Dictionary<string, string> routeValues, ContentKind contentKind)
    {
        Context = context;
        _routeValues = routeValues;
        ContentKind = contentKind;
        Pretty = IsTrue(context.Request.Query["pretty"]);
        Human = IsTrue(context.Request.Query["human"]);
        ErrorTrace = IsTrue(context.Request.Query["error_trace"]);
    }

    /// <summary>The ASP.NET Core context.</summary>
    public HttpContext Context { get; }

    /// <summary>Request path, as Elasticsearch prints it in messages.</summary>
    public string Path => Context.Request.Path.Value ?? "/";

    /// <summary>HTTP method.</summary>
    public string Method => Context.Request.Method;

    /// <summary>Whether <c>?pretty</c> was asked for.</summary>
    public bool Pretty { get; }

    /// <summary>Whether <c>?human</c> was asked for: readable twins of times and sizes.</summary>
    public bool Human { get; }

    /// <summary>Whether <c>?error_trace</c> was asked for.</summary>
    public bool ErrorTrace { get; }

    /// <summary>The kind of body the request declared.</summary>
    public ContentKind ContentKind { get; }

    /// <summary>True when the request carries a body (Content-Length &gt; 0 or chunked).</summary>
    public bool HasBody
    {
        get
        {
            var length = Context.Request.ContentLength;
            return length is > 0 || (length is null && Context.Request.Headers.TransferEncoding.Count > 0);
        }
    }

    /// <summary>A path parameter of the route, URL-decoded.</summary>
    public string Route(string name) => _routeValues[name];

    /// <summary>A path parameter, or null when the route has none of that name.</summary>
    public string? RouteOrNull(string name) => _routeValues.TryGetValue(name, out var v) ? v : null;

    /// <summary>A query parameter's value, or null when absent. <c>?flag</c> without a value reads as "".</summary>
    public string? Query(string name)
    {
        var values = Context.Request.Query[name];
        return values.Count == 0 ? null : values[^1] ?? string.Empty;
    }

    /// <summary>A boolean query parameter, parsed as Elasticsearch parses booleans (only true/false; empty means true).</summary>
    public bool? QueryBool(string name)
    {
        var raw = Query(name);
        return raw is null ? null : ParseBool(name, raw);
    }

    /// <summary>Parses an Elasticsearch boolean parameter value.</summary>
    public static bool ParseBool(string name, string raw) => raw switch
    {
        "" or "true" => true,
        "false" => false,
        _ => throw ElasticsearchException.IllegalArgument(
            $"Failed to parse value [{raw}] as only [true] or [false] are allowed."),
    };

    /// <summary>Reads the whole body (bounded by <see cref="MaxContentLength"/>). Empty array when there is none.</summary>
    public async Task<byte[]> ReadBodyAsync()
    {
        var reader = Context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(Context.RequestAborted).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > MaxContentLength)
            {
                reader.AdvanceTo(buffer.Start);
                throw new ElasticsearchException("content_too_long_exception",
                    $"entity content is too long [{buffer.Length}] for the configured buffer limit [{MaxContentLength}]", 413);
            }

            if (result.IsCompleted)
            {
                var bytes = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The request body as a pipe, for streaming handlers.</summary>
    public PipeReader BodyReader => Context.Request.BodyReader;

    private static bool IsTrue(StringValues values) =>
        values.Count > 0 && (values[^1] is null or "" or "true");
}

/// <summary>The kinds of request body Vigil understands.</summary>
public enum ContentKind
{
    /// <summary>No Content-Type (a bodiless request).</summary>
    None,

    /// <summary>JSON (<c>application/json</c> or the vendor form).</summary>
    Json,

    /// <summary>NDJSON (<c>application/x-ndjson</c> or the vendor form).</summary>
    NdJson,

    /// <summary>CSV with a header row (<c>text/csv</c>, a Vigil extension for <c>_data</c>).</summary>
    Csv,

    /// <summary>Something else: rejected with 406 when a body is sent.</summary>
    Unsupported,
}
