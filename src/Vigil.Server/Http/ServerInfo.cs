namespace Vigil.Server.Http;

/// <summary>The Elasticsearch version Vigil presents itself as, and its own build facts.</summary>
/// <remarks>
/// Implementation note: clients look at <c>version.number</c> (the 7.x JavaScript client requires a major
/// of at least 6) and at the <c>X-Elastic-Product</c> header. Vigil answers as an 8.19 node: it accepts
/// REST compatibility headers for 7, 8 and 9, so the 8.x and 9.x official clients both work.
/// </remarks>
public static class ServerInfo
{
    /// <summary>The Elasticsearch version reported by <c>GET /</c> and in <c>Warning</c> headers.</summary>
    public const string VersionNumber = "8.19.0";

    /// <summary>The major version that unversioned requests are treated as.</summary>
    public const int Major = 8;

    /// <summary>Build hash reported by <c>GET /</c>: Vigil's own build, not Elasticsearch's.</summary>
    public const string BuildHash = "vigil0000000000000000000000000000000000000";

    /// <summary>Build date reported by <c>GET /</c>.</summary>
    public const string BuildDate = "2026-11-22T00:00:00.000Z";

    /// <summary>Lucene version field of <c>GET /</c> (Vigil has no Lucene; the value ES 8.19 reports).</summary>
    public const string LuceneVersion = "9.12.1";

    /// <summary>The ML "native code" version reported by <c>GET _ml/info</c>.</summary>
    public const string NativeCodeVersion = VersionNumber;

    /// <summary>The job_version stamped on jobs created here.</summary>
    public const string JobVersion = "12.0.0";
}
