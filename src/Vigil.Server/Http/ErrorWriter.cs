using System.Text.Json;
using Vigil.Engine.Errors;

namespace Vigil.Server.Http;

/// <summary>Writes errors in Elasticsearch's envelope.</summary>
public static class ErrorWriter
{
    /// <summary>Writes <c>{"error":{root_cause,type,reason,caused_by?},"status":N}</c>.</summary>
    public static void Write(Utf8JsonWriter writer, ElasticsearchException error, bool errorTrace)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("error");
        writer.WriteStartObject();
        writer.WritePropertyName("root_cause");
        writer.WriteStartArray();
        WriteCause(writer, error.RootCause, errorTrace, nested: false);
        writer.WriteEndArray();
        WriteFields(writer, error, errorTrace, nested: true);
        writer.WriteEndObject();
        writer.WriteNumber("status", error.Status);
        writer.WriteEndObject();
    }

    /// <summary>The plain form Elasticsearch uses for routing errors: <c>{"error":"text","status":N}</c>.</summary>
    public static void WritePlain(Utf8JsonWriter writer, string text, int status)
    {
        writer.WriteStartObject();
        writer.WriteString("error", text);
        writer.WriteNumber("status", status);
        writer.WriteEndObject();
    }

    private static void WriteCause(Utf8JsonWriter writer, ElasticsearchException error, bool errorTrace, bool nested)
    {
        writer.WriteStartObject();
        WriteFields(writer, error, errorTrace, nested);
        writer.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter writer, ElasticsearchException error, bool errorTrace, bool nested)
    {
        writer.WriteString("type", error.Type);
        writer.WriteString("reason", error.Reason);
        if (error.Metadata is { } metadata)
        {
            foreach (var (key, value) in metadata)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, value, value.GetType(), ServerJsonContext.Default);
            }
        }

        if (errorTrace)
        {
            writer.WriteString("stack_trace", error.ToString());
        }

        if (nested && error.Cause is { } cause)
        {
            writer.WritePropertyName("caused_by");
            WriteCause(writer, cause, errorTrace, nested: true);
        }
    }
}
