using System.Text.Json;

namespace Vigil.Server.Http;

/// <summary>What a handler answers: a status, a JSON body written on demand, and extra headers.</summary>
public sealed class EsResponse
{
    private EsResponse(int status, Action<Utf8JsonWriter>? body)
    {
        Status = status;
        Body = body;
    }

    /// <summary>HTTP status.</summary>
    public int Status { get; }

    /// <summary>Writes the JSON body; null for a bodiless answer (HEAD).</summary>
    public Action<Utf8JsonWriter>? Body { get; }

    /// <summary>Response headers to add, e.g. deprecation <c>Warning</c>s.</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>A JSON answer.</summary>
    public static EsResponse Json(Action<Utf8JsonWriter> body, int status = 200) => new(status, body);

    /// <summary>An answer without a body.</summary>
    public static EsResponse Empty(int status = 200) => new(status, null);

    /// <summary><c>{"acknowledged":true}</c>.</summary>
    public static EsResponse Acknowledged() => Json(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("acknowledged", true);
        w.WriteEndObject();
    });

    /// <summary>Adds a <c>Warning</c> header in Elasticsearch's form (<c>299 Elasticsearch-&lt;version&gt; "text"</c>).</summary>
    public EsResponse WithDeprecationWarning(string text)
    {
        Headers.Add(new("Warning", $"299 Elasticsearch-{ServerInfo.VersionNumber}-{ServerInfo.BuildHash} \"{text}\""));
        return this;
    }
}
