using System.Text.Json.Serialization;

namespace Vigil.Server.Http;

/// <summary>Source-generated JSON metadata for the few values the server serialises generically.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
public sealed partial class ServerJsonContext : JsonSerializerContext;
