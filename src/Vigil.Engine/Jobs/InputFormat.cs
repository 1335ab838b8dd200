namespace Vigil.Engine.Jobs;

/// <summary>How a <c>_data</c> body is encoded.</summary>
public enum InputFormat
{
    /// <summary>NDJSON or concatenated JSON objects.</summary>
    Json,

    /// <summary>CSV with a header row (a Vigil extension).</summary>
    Csv,
}
