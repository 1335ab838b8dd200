using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Server.Http;

/// <summary>Request media types and Elasticsearch's REST compatibility versions.</summary>
internal static class MediaTypes
{
    /// <summary>Compatibility versions accepted in <c>compatible-with=N</c>.</summary>
    private static readonly int[] Supported = [9, 8, 7];

    /// <summary>Classifies a Content-Type header.</summary>
    public static ContentKind Classify(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return ContentKind.None;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
        return type switch
        {
            "application/json" or "application/vnd.elasticsearch+json" => ContentKind.Json,
            "application/x-ndjson" or "application/vnd.elasticsearch+x-ndjson" => ContentKind.NdJson,
            "text/csv" or "application/csv" => ContentKind.Csv,
            _ => ContentKind.Unsupported,
        };
    }

    /// <summary>
    /// The REST compatibility version the client asked for (0 for none), checking that Accept and
    /// Content-Type agree and name a supported version.
    /// </summary>
    public static int ParseCompatibleVersion(string accept, string contentType)
    {
        var acceptVersion = VersionOf(accept);
        var contentVersion = VersionOf(contentType);
        if (acceptVersion > 0 && Array.IndexOf(Supported, acceptVersion) < 0)
        {
            throw Invalid($"Accept version must be either version 9, 8 or 7, but found {acceptVersion}. Accept={accept}");
        }

        if (contentVersion > 0 && Array.IndexOf(Supported, contentVersion) < 0)
        {
            throw Invalid($"Content-Type version must be either version 9, 8 or 7, but found {contentVersion}. Content-Type={contentType}");
        }

        if (acceptVersion > 0 && contentVersion > 0 && acceptVersion != contentVersion)
        {
            throw Invalid("A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. "
                + $"Accept={accept}, Content-Type={contentType}");
        }

        return acceptVersion > 0 ? acceptVersion : contentVersion;
    }

    private static int VersionOf(string header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return 0;
        }

        const string key = "compatible-with=";
        var at = header.IndexOf(key, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return 0;
        }

        var start = at + key.Length;
        var end = start;
        while (end < header.Length && char.IsAsciiDigit(header[end]))
        {
            end++;
        }

        if (end == start || !int.TryParse(header.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw Invalid($"Invalid media-type value on headers [Accept, Content-Type]: {header}");
        }

        return version;
    }

    private static ElasticsearchException Invalid(string detail) =>
        new("media_type_header_exception", "Invalid media-type value on headers [Accept, Content-Type]", 400,
            ElasticsearchException.StatusError(detail));
}
