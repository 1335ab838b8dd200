namespace Vigil.Engine.Configuration;

/// <summary>Per-partition categorization settings (ES <c>PerPartitionCategorizationConfig</c>).</summary>
/// <param name="Enabled">Whether categorization runs per partition.</param>
/// <param name="StopOnWarn">Whether a partition stops categorizing when categorization status becomes warn.</param>
public sealed record PerPartitionCategorization(bool Enabled, bool StopOnWarn);

/// <summary>Memory and categorization limits of a job (ES <c>AnalysisLimits</c>).</summary>
/// <param name="ModelMemoryLimitMb">The model memory limit in MiB (output as <c>"&lt;N&gt;mb"</c>).</param>
/// <param name="CategorizationExamplesLimit">Examples kept per category (default 4); null only before defaults apply.</param>
public sealed record AnalysisLimits(long? ModelMemoryLimitMb, long? CategorizationExamplesLimit);

/// <summary>How input documents are described (ES <c>DataDescription</c>).</summary>
/// <param name="TimeField">Name of the time field (default <c>time</c>).</param>
/// <param name="TimeFormat"><c>epoch</c>, <c>epoch_ms</c> (default) or a Java DateTimeFormatter pattern.</param>
/// <remarks>Implementation note: as in ES 8, <c>format</c> is accepted on input (<c>xcontent</c>, or the removed
/// <c>delimited</c>, silently treated as xcontent) but neither stored nor echoed.</remarks>
public sealed record DataDescription(string TimeField = "time", string TimeFormat = "epoch_ms");

/// <summary>Model plot settings (ES <c>ModelPlotConfig</c>).</summary>
/// <param name="Enabled">Whether model plot is written.</param>
/// <param name="Terms">Comma-separated terms limiting model plot, when given.</param>
/// <param name="AnnotationsEnabled">Whether model change annotations are written (defaults to <paramref name="Enabled"/>).</param>
public sealed record ModelPlotConfig(bool Enabled, string? Terms, bool AnnotationsEnabled);

/// <summary>Why a job is blocked (ES <c>Blocked</c>); only written when <see cref="Reason"/> is not <c>none</c>.</summary>
/// <param name="Reason"><c>delete</c>, <c>reset</c> or <c>revert</c>.</param>
/// <param name="TaskId">The task doing it (<c>node:id</c>), when known.</param>
public sealed record Blocked(string Reason, string? TaskId);

/// <summary>The categorization analyzer: a global analyzer name or a custom definition kept as JSON.</summary>
/// <param name="Name">The analyzer name when a string was given.</param>
/// <param name="CustomJson">The compact JSON object when a custom analyzer was given.</param>
public sealed record CategorizationAnalyzer(string? Name, string? CustomJson);
