using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Vigil.Engine.Errors;

namespace Vigil.Server.Http;

/// <summary>
/// The terminal middleware that gives every request Elasticsearch's HTTP conventions: the product header,
/// media types and REST compatibility versions, routing errors, unrecognized parameters, the error envelope,
/// and <c>pretty</c> / <c>filter_path</c> output.
/// </summary>
public sealed class EsProtocolMiddleware
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Indented = new() { Indented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly RestRouter _router;
    private readonly ILogger<EsProtocolMiddleware> _logger;

    /// <summary>Creates the middleware over a router.</summary>
    public EsProtocolMiddleware(RequestDelegate next, RestRouter router, ILogger<EsProtocolMiddleware> logger)
    {
        _ = next;
        _router = router;
        _logger = logger;
    }

    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        context.Response.Headers["X-Elastic-Product"] = "Elasticsearch";
        var pretty = IsFlag(context, "pretty");
        var errorTrace = IsFlag(context, "error_trace");
        var compatible = 0;
        try
        {
            compatible = MediaTypes.ParseCompatibleVersion(context.Request.Headers.Accept.ToString(), context.Request.Headers.ContentType.ToString());
            var contentKind = MediaTypes.Classify(context.Request.ContentType);
            var match = _router.Match(context.Request.Method, context.Request.Path.Value ?? "/");
            if (match.Route is null)
            {
                var path = context.Request.Path.Value ?? "/";
                if (match.AllowedMethods is { } allowed)
                {
                    context.Response.Headers.Allow = string.Join(",", allowed);
                    await WritePlainAsync(context, $"Incorrect HTTP method for uri [{path}] and method [{context.Request.Method}], allowed: [{string.Join(", ", allowed)}]", 405, compatible, pretty).ConfigureAwait(false);
                }
                else
                {
                    await WritePlainAsync(context, $"no handler found for uri [{path}] and method [{context.Request.Method}]", 400, compatible, pretty).ConfigureAwait(false);
                }

                return;
            }

            var request = new EsRequest(context, match.Values!, contentKind);
            if (request.HasBody && (contentKind is ContentKind.Unsupported or ContentKind.None || (contentKind == ContentKind.Csv && !match.Route.AcceptsCsv)))
            {
                var header = context.Request.ContentType;
                var text = string.IsNullOrEmpty(header) ? "Content-Type header is missing" : $"Content-Type header [{header}] is not supported";
                await WritePlainAsync(context, text, 406, compatible, pretty).ConfigureAwait(false);
                return;
            }

            CheckParameters(context, request.Path, match.Route.Parameters);
            var response = await match.Route.Handler(request).ConfigureAwait(false);
            foreach (var (name, value) in response.Headers)
            {
                context.Response.Headers.Append(name, value);
            }

            await WriteJsonAsync(context, response.Status, response.Body, compatible, pretty, FilterPath.Parse(context.Request.Query["filter_path"].ToString())).ConfigureAwait(false);
        }
        catch (ElasticsearchException e)
        {
            await WriteErrorAsync(context, e, compatible, pretty, errorTrace).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own complaints about the request (a body cut short, too large, ...).
            var error = e.StatusCode == 413
                ? new ElasticsearchException("content_too_long_exception", e.Message, 413)
                : new ElasticsearchException("parse_exception", e.Message, e.StatusCode);
            await WriteErrorAsync(context, error, compatible, pretty, errorTrace).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            // A Content-Encoding body that does not decompress.
            var error = ElasticsearchException.Parse($"The request body could not be decoded as [{context.Request.Headers.ContentEncoding}]: {e.Message}");
            await WriteErrorAsync(context, error, compatible, pretty, errorTrace).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Unhandled error serving {Method} {Path}", context.Request.Method, context.Request.Path);
            var error = new ElasticsearchException("exception", e.Message, 500);
            await WriteErrorAsync(context, error, compatible, pretty, errorTrace).ConfigureAwait(false);
        }
    }

    private static bool IsFlag(HttpContext context, string name)
    {
        var values = context.Request.Query[name];
        return values.Count > 0 && (values[^1] is null or "" or "true");
    }

    private static void CheckParameters(HttpContext context, string path, HashSet<string> allowed)
    {
        List<string>? unknown = null;
        foreach (var key in context.Request.Query.Keys)
        {
            if (!allowed.Contains(key) && !RestRouter.GenericParameters.Contains(key))
            {
                (unknown ??= []).Add(key);
            }
        }

        if (unknown is null)
        {
            return;
        }

        var candidates = new List<string>(allowed);
        candidates.AddRange(RestRouter.GenericParameters);
        var message = new StringBuilder();
        message.Append("request [").Append(path).Append("] contains unrecognized parameter").Append(unknown.Count > 1 ? "s" : "").Append(": ");
        for (var i = 0; i < unknown.Count; i++)
        {
            if (i > 0)
            {
                message.Append(", ");
            }

            message.Append('[').Append(unknown[i]).Append(']');
            var suggestions = Suggestions.Similar(unknown[i], candidates);
            if (suggestions.Count == 1)
            {
                message.Append(" -> did you mean [").Append(suggestions[0]).Append("]?");
            }
            else if (suggestions.Count > 1)
            {
                message.Append(" -> did you mean any of [").Append(string.Join(", ", suggestions)).Append("]?");
            }
        }

        throw ElasticsearchException.IllegalArgument(message.ToString());
    }

    private static Task WriteErrorAsync(HttpContext context, ElasticsearchException error, int compatible, bool pretty, bool errorTrace)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        return WriteJsonAsync(context, error.Status, w => ErrorWriter.Write(w, error, errorTrace), compatible, pretty, null);
    }

    private static Task WritePlainAsync(HttpContext context, string text, int status, int compatible, bool pretty) =>
        WriteJsonAsync(context, status, w => ErrorWriter.WritePlain(w, text, status), compatible, pretty, null);

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter>? body, int compatible, bool pretty, FilterPath? filter)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = compatible > 0
            ? $"application/vnd.elasticsearch+json;compatible-with={compatible}"
            : "application/json";
        if (body is null || HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = 0;
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            body(writer);
        }

        // Handlers may embed stored JSON verbatim, so indentation and filtering work on the finished document.
        if (filter is not null || pretty)
        {
            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            var filtered = new ArrayBufferWriter<byte>(buffer.WrittenCount);
            using (var writer = new Utf8JsonWriter(filtered, pretty ? Indented : Compact))
            {
                if (filter is null)
                {
                    document.RootElement.WriteTo(writer);
                }
                else
                {
                    filter.Write(document.RootElement, writer);
                }
            }

            buffer = filtered;
        }

        if (pretty)
        {
            buffer.Write("\n"u8);
        }

        response.ContentLength = buffer.WrittenCount;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
