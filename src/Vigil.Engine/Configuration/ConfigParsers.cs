using System.Globalization;
using System.Text.RegularExpressions;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>
/// Strict parsers for the objects inside a job (analysis_config, detector, custom rules, analysis_limits,
/// data_description, model_plot_config, ...), with the validation Elasticsearch runs when each is built.
/// </summary>
internal static class ConfigParsers
{
    public const string ControlFieldName = ".";

    private static readonly string[] RuleActions = ["skip_result", "skip_model_update", "force_time_shift"];

    private static readonly string[] CategorizationStopWords =
    [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        "GMT", "UTC",
    ];

    // ---------------------------------------------------------------- detector

    /// <summary>Parses and builds one detector (ES <c>Detector.STRICT_PARSER</c> then <c>build()</c>).</summary>
    /// <param name="x">The parse context.</param>
    /// <param name="node">The detector object.</param>
    /// <param name="strict">False when reading stored configs: no validation.</param>
    public static Detector ParseDetector(XContent x, JNode node, bool strict)
    {
        string? description = null;
        string? function = null;
        string? fieldName = null, byField = null, overField = null, partitionField = null;
        var useNull = false;
        string? excludeFrequent = null;
        List<DetectionRule> rules = [];
        var index = 0;
        x.ParseObject(node, "detector",
        [
            new("detector_description", VType.String, v => description = XContent.AsString(v)),
            new("function", VType.String, v =>
            {
                function = DetectorFunctions.ToCanonical(v.Text)
                    ?? throw ElasticsearchException.IllegalArgument($"Unknown function '{v.Text}'");
            }),
            new("field_name", VType.String, v => fieldName = XContent.AsString(v)),
            new("by_field_name", VType.String, v => byField = XContent.AsString(v)),
            new("over_field_name", VType.String, v => overField = XContent.AsString(v)),
            new("partition_field_name", VType.String, v => partitionField = XContent.AsString(v)),
            new("use_null", VType.Boolean, v => useNull = XContent.AsBool(v)),
            new("exclude_frequent", VType.String, v => excludeFrequent = ParseEnum(v.Text, ["all", "none", "by", "over"],
                "org.elasticsearch.xpack.core.ml.job.config.Detector.ExcludeFrequent")),
            new("custom_rules", VType.ObjectArray, v => rules = x.ParseObjectArray(v, r => ParseRule(x, r, strict))),
            new("detector_index", VType.Number, v => index = XContent.AsInt(v)),
        ]);

        if (strict)
        {
            ValidateDetector(function, fieldName, byField, overField, partitionField, rules);
        }

        var fn = function ?? "metric";
        return new Detector
        {
            Function = fn,
            FieldName = fieldName,
            ByFieldName = byField,
            OverFieldName = overField,
            PartitionFieldName = partitionField,
            UseNull = useNull,
            ExcludeFrequent = excludeFrequent,
            CustomRules = rules,
            DetectorIndex = index,
            DetectorDescription = description
                ?? Detector.DefaultDescription(fn, fieldName, byField, overField, partitionField, useNull, excludeFrequent),
        };
    }

    /// <summary>ES <c>Detector.Builder.build()</c> checks, in ES's order.</summary>
    public static void ValidateDetector(
        string? function, string? fieldName, string? byField, string? overField, string? partitionField, IReadOnlyList<DetectionRule> rules)
    {
        var emptyField = string.IsNullOrEmpty(fieldName);
        var emptyBy = string.IsNullOrEmpty(byField);
        var emptyOver = string.IsNullOrEmpty(overField);
        var emptyPartition = string.IsNullOrEmpty(partitionField);
        var fnText = function ?? "null";

        if (emptyField && emptyBy && emptyOver && !DetectorFunctions.IsCountWithoutField(function))
        {
            throw Messages.BadRequest(
                "Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set");
        }

        if (emptyField && DetectorFunctions.RequiresFieldName(function))
        {
            throw Messages.BadRequest($"field_name must be set when the '{fnText}' function is used");
        }

        if (!emptyField && !DetectorFunctions.RequiresFieldName(function))
        {
            throw Messages.BadRequest($"field_name cannot be used with function '{fnText}'");
        }

        if (emptyBy && DetectorFunctions.RequiresByField(function))
        {
            throw Messages.BadRequest($"by_field_name must be set when the '{fnText}' function is used");
        }

        if (emptyOver && DetectorFunctions.RequiresOverField(function))
        {
            throw Messages.BadRequest($"over_field_name must be set when the '{fnText}' function is used");
        }

        if (!emptyOver && DetectorFunctions.ForbidsOverField(function))
        {
            throw Messages.BadRequest($"over_field_name cannot be used with function '{fnText}'");
        }

        VerifyFieldName(fieldName);
        VerifyFieldName(byField);
        VerifyFieldName(overField);
        VerifyFieldName(partitionField);

        var effective = function ?? "metric";
        var scopeFields = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in new[] { byField, overField, partitionField })
        {
            if (f is not null)
            {
                scopeFields.Add(f);
            }
        }

        foreach (var rule in rules)
        {
            // Implementation note: ES looks only at the first condition when deciding whether a rule has a
            // condition on the result value.
            if (rule.Conditions.Count > 0 && rule.Conditions[0].AppliesTo != "time" && DetectorFunctions.ForbidsResultConditions(effective))
            {
                throw Messages.BadRequest($"Invalid detector rule: function {effective} only supports conditions that apply to time");
            }

            foreach (var entry in rule.Scope)
            {
                if (scopeFields.Count == 0)
                {
                    throw Messages.BadRequest(
                        $"Invalid detector rule: scope field '{entry.FieldName}' is invalid; detector has no available fields for scoping");
                }

                if (!scopeFields.Contains(entry.FieldName))
                {
                    throw Messages.BadRequest(
                        $"Invalid detector rule: scope field '{entry.FieldName}' is invalid; select from [{string.Join(", ", scopeFields)}]");
                }
            }
        }

        if (!emptyPartition)
        {
            if (partitionField == byField)
            {
                throw Messages.BadRequest($"partition_field_name and by_field_name cannot be the same: '{partitionField}'");
            }

            if (partitionField == overField)
            {
                throw Messages.BadRequest($"partition_field_name and over_field_name cannot be the same: '{partitionField}'");
            }
        }

        if (!emptyBy && byField == overField)
        {
            throw Messages.BadRequest($"by_field_name and over_field_name cannot be the same: '{byField}'");
        }

        CheckReserved(byField, "by_field_name");
        CheckReserved(overField, "over_field_name");
    }

    /// <summary>ES <c>Detector.Builder.verifyFieldName</c>.</summary>
    public static void VerifyFieldName(string? field)
    {
        if (field is null)
        {
            return;
        }

        foreach (var c in field)
        {
            if (c is '"' or '\\' || char.IsControl(c))
            {
                throw Messages.BadRequest(
                    $"Invalid field name '{field}'. Field names including over, by and partition fields cannot contain any of these characters: \",\\");
            }
        }

        if (field == ControlFieldName)
        {
            throw Messages.BadRequest(
                $"Invalid field name '{field}'. Field names including over, by and partition fields cannot be '{ControlFieldName}'");
        }
    }

    private static void CheckReserved(string? field, string name)
    {
        if (field == "count")
        {
            throw Messages.BadRequest($"'count' is not a permitted value for {name}");
        }

        if (field == "by")
        {
            throw Messages.BadRequest($"'by' is not a permitted value for {name}");
        }

        if (field == "over")
        {
            throw Messages.BadRequest($"'over' is not a permitted value for {name}");
        }
    }

    // ---------------------------------------------------------------- custom rules

    /// <summary>Parses a custom rule (ES <c>DetectionRule</c>, object name <c>detection_rule</c>).</summary>
    public static DetectionRule ParseRule(XContent x, JNode node, bool strict)
    {
        List<string>? actions = null;
        List<RuleScopeEntry> scope = [];
        List<RuleCondition> conditions = [];
        long? shift = null;
        x.ParseObject(node, "detection_rule",
        [
            new("actions", VType.StringArray, v =>
            {
                // Implementation note: ES keeps actions in an EnumSet, so duplicates collapse and the output
                // follows the enum order skip_result, skip_model_update, force_time_shift.
                var given = new HashSet<string>(StringComparer.Ordinal);
                foreach (var a in x.AsStringArray(v))
                {
                    given.Add(ParseEnum(a, RuleActions, "org.elasticsearch.xpack.core.ml.job.config.RuleAction"));
                }

                actions = [];
                foreach (var a in RuleActions)
                {
                    if (given.Contains(a))
                    {
                        actions.Add(a);
                    }
                }
            }),
            new("scope", VType.Object, v => scope = ParseScope(x, v)),
            new("conditions", VType.ObjectArray, v => conditions = x.ParseObjectArray(v, c => ParseCondition(x, c))),
            new("params", VType.Object, v => shift = ParseRuleParams(x, v)),
        ]);

        if (strict && scope.Count == 0 && conditions.Count == 0)
        {
            throw Messages.BadRequest("Invalid detector rule: at least scope or a condition is required");
        }

        var forceShift = actions?.Contains("force_time_shift") == true;
        if (strict && forceShift && shift is null)
        {
            // Unverified wording: ES's message constant could not be read.
            throw Messages.BadRequest("Invalid detector rule: the force_time_shift action requires params.force_time_shift");
        }

        if (strict && !forceShift && shift is not null)
        {
            // Unverified wording: ES's message constant could not be read.
            throw Messages.BadRequest("Invalid detector rule: params.force_time_shift requires the force_time_shift action");
        }

        return new DetectionRule
        {
            Actions = actions ?? ["skip_result"],
            Scope = scope,
            Conditions = conditions,
            ForceTimeShiftAmount = shift,
        };
    }

    private static List<RuleScopeEntry> ParseScope(XContent x, JNode node)
    {
        var list = new List<RuleScopeEntry>();
        foreach (var property in node.Properties)
        {
            x.Current = property.Value.Start;
            if (property.Value.Kind != JKind.Object)
            {
                throw x.At(property.Value.Start, $"[filter_ref] Expected START_OBJECT but was: {property.Value.TokenName}");
            }

            string? filterId = null;
            var filterType = "include";
            x.ParseObject(property.Value, "filter_ref",
            [
                new("filter_id", VType.String, v => filterId = v.Text),
                new("filter_type", VType.String, v => filterType = ParseEnum(v.Text, ["include", "exclude"],
                    "org.elasticsearch.xpack.core.ml.job.config.MlFilter.FilterType")),
            ]);
            if (filterId is null)
            {
                throw ElasticsearchException.IllegalArgument("Required [filter_id]");
            }

            list.Add(new RuleScopeEntry(property.Name, filterId, filterType));
        }

        return list;
    }

    private static RuleCondition ParseCondition(XContent x, JNode node)
    {
        string? appliesTo = null;
        string? op = null;
        JNode? value = null;
        x.ParseObject(node, "rule_condition",
        [
            new("applies_to", VType.String, v => appliesTo = ParseEnum(v.Text, ["actual", "typical", "diff_from_typical", "time"],
                "org.elasticsearch.xpack.core.ml.job.config.RuleCondition.AppliesTo")),
            new("operator", VType.String, v => op = ParseEnum(v.Text, ["gt", "gte", "lt", "lte"],
                "org.elasticsearch.xpack.core.ml.job.config.Operator")),
            new("value", VType.Number, v =>
            {
                XContent.AsDouble(v);
                value = v;
            }),
        ]);
        var missing = new List<string>();
        if (appliesTo is null)
        {
            missing.Add("applies_to");
        }

        if (op is null)
        {
            missing.Add("operator");
        }

        if (value is null)
        {
            missing.Add("value");
        }

        if (missing.Count > 0)
        {
            throw ElasticsearchException.IllegalArgument($"Required [{string.Join(", ", missing)}]");
        }

        var d = XContent.AsDouble(value!);
        return new RuleCondition(appliesTo!, op!, d, JavaDouble(d));
    }

    private static long? ParseRuleParams(XContent x, JNode node)
    {
        long? amount = null;
        x.ParseObject(node, "params",
        [
            new("force_time_shift", VType.Object, v =>
            {
                // ES parses this object leniently (unknown fields are ignored); time_shift_amount is required.
                var found = false;
                foreach (var p in v.Properties)
                {
                    if (p.Name == "time_shift_amount")
                    {
                        x.Current = p.Value.Start;
                        if (p.Value.Kind is not (JKind.Number or JKind.String))
                        {
                            throw x.At(p.Value.Start, $"[force_time_shift_params] time_shift_amount doesn't support values of type: {p.Value.TokenName}");
                        }

                        try
                        {
                            amount = XContent.AsLong(p.Value);
                        }
                        catch (ElasticsearchException e)
                        {
                            throw x.At(p.Value.Start, "[force_time_shift_params] failed to parse field [time_shift_amount]", e);
                        }

                        found = true;
                    }
                }

                x.Current = v.End;
                if (!found)
                {
                    throw ElasticsearchException.IllegalArgument("Required [time_shift_amount]");
                }
            }),
        ]);
        return amount;
    }

    /// <summary>
    /// Java's <c>Double.toString</c> (what Jackson writes for a double): shortest digits, plain notation with at
    /// least one decimal for 10^-3 &lt;= |d| &lt; 10^7 (<c>10.0</c>, <c>33.3</c>), otherwise <c>d.dddE±n</c> (<c>1.0E7</c>,
    /// <c>1.0E-5</c>).
    /// </summary>
    public static string JavaDouble(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "Infinity" : "-Infinity";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        // Shortest round-trip digits and the decimal exponent of the first digit.
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exponent;
        var e = shortest.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            var mantissa = shortest[..e];
            exponent = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            digits = mantissa.Replace(".", string.Empty, StringComparison.Ordinal);
        }
        else
        {
            var dot = shortest.IndexOf('.', StringComparison.Ordinal);
            var intPart = dot >= 0 ? shortest[..dot] : shortest;
            var fracPart = dot >= 0 ? shortest[(dot + 1)..] : string.Empty;
            var all = (intPart + fracPart).TrimStart('0');
            var leadingZeros = (intPart + fracPart).Length - all.Length;
            exponent = intPart.Length - 1 - leadingZeros;
            digits = all;
        }

        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var sign = d < 0 ? "-" : string.Empty;
        var abs = Math.Abs(d);
        if (abs >= 1e-3 && abs < 1e7)
        {
            string text;
            if (exponent >= 0)
            {
                var intDigits = digits.Length > exponent + 1 ? digits[..(exponent + 1)] : digits.PadRight(exponent + 1, '0');
                var frac = digits.Length > exponent + 1 ? digits[(exponent + 1)..] : "0";
                text = intDigits + "." + frac;
            }
            else
            {
                text = "0." + new string('0', -exponent - 1) + digits;
            }

            return sign + text;
        }

        var m = digits.Length == 1 ? digits + ".0" : digits[..1] + "." + digits[1..];
        return sign + m + "E" + exponent.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Java <c>Enum.valueOf(upper(value))</c> semantics, returning the lower-case name.</summary>
    public static string ParseEnum(string value, string[] allowed, string javaEnum)
    {
        var lower = value.ToLowerInvariant();
        foreach (var a in allowed)
        {
            if (a == lower)
            {
                return a;
            }
        }

        throw ElasticsearchException.IllegalArgument($"No enum constant {javaEnum}.{value.ToUpperInvariant()}");
    }

    // ---------------------------------------------------------------- analysis_config

    /// <summary>Parses and builds an analysis config (ES <c>AnalysisConfig.STRICT_PARSER</c> then <c>build()</c>).</summary>
    public static AnalysisConfig ParseAnalysisConfig(XContent x, JNode node, bool strict)
    {
        var b = new AnalysisConfigBuilder();

        // Implementation note: analysis_config is a ConstructingObjectParser whose constructor argument is
        // detectors. Consumers of fields that come before detectors are queued and run (last first) once detectors
        // has been read; only the duration fields can fail there.
        var built = false;
        var queued = new List<(string Name, JNode Value, Action<JNode> Apply)>();
        void Defer(string name, JNode value, Action<JNode> apply)
        {
            if (built)
            {
                apply(value);
            }
            else
            {
                queued.Add((name, value, apply));
            }
        }

        x.ParseObject(node, "analysis_config",
        [
            new("detectors", VType.ObjectArray, v =>
            {
                var detectors = x.ParseObjectArray(v, d => ParseDetector(x, d, strict));
                for (var i = 0; i < detectors.Count; i++)
                {
                    detectors[i] = detectors[i] with { DetectorIndex = i };
                }

                b.Detectors = detectors;
                built = true;
                x.RunQueued("analysis_config", queued);
            }),
            new("bucket_span", VType.String, v => Defer("bucket_span", v, n => b.BucketSpan = TimeValue.Parse(n.Text, "bucket_span"))),
            new("categorization_field_name", VType.String, v => b.CategorizationFieldName = v.Text),
            new("categorization_filters", VType.StringArray, v => b.CategorizationFilters = x.AsStringArray(v)),
            new("categorization_analyzer", VType.ObjectOrString, v => b.CategorizationAnalyzer = ParseAnalyzer(v)),
            new("per_partition_categorization", VType.Object, v => b.PerPartition = ParsePerPartition(x, v)),
            new("latency", VType.String, v => Defer("latency", v, n => b.Latency = TimeValue.Parse(n.Text, "latency"))),
            new("summary_count_field_name", VType.String, v => b.SummaryCountFieldName = v.Text),
            new("influencers", VType.StringArray, v => b.Influencers = x.AsStringArray(v)),
            new("multivariate_by_fields", VType.Boolean, v => b.MultivariateByFields = XContent.AsBool(v)),
            new("model_prune_window", VType.String,
                v => Defer("model_prune_window", v, n => b.ModelPruneWindow = TimeValue.Parse(n.Text, "model_prune_window"))),
        ]);
        if (b.Detectors is null)
        {
            // analysis_config is a ConstructingObjectParser whose only required argument is detectors.
            throw ElasticsearchException.IllegalArgument("Required [detectors]");
        }

        return b.Build(strict);
    }

    /// <summary>ES <c>CategorizationAnalyzerConfig.buildFromXContentFragment</c> (strict) and <c>Builder.build</c>.</summary>
    private static CategorizationAnalyzer ParseAnalyzer(JNode node)
    {
        if (node.Kind == JKind.String)
        {
            return new CategorizationAnalyzer(node.Text, null);
        }

        var charFilters = new List<JNode>();
        var tokenFilters = new List<JNode>();
        JNode? tokenizer = null;
        foreach (var p in node.Properties)
        {
            if (p.Name == "char_filter" && p.Value.Kind == JKind.Array)
            {
                AddElements(p.Name, p.Value, "char_filter", charFilters);
            }
            else if (p.Name == "tokenizer")
            {
                if (p.Value.Kind is not (JKind.String or JKind.Object))
                {
                    throw ElasticsearchException.IllegalArgument(
                        $"[tokenizer] in [categorization_analyzer] should be tokenizer's name or settings [{p.Value.TokenName}]");
                }

                tokenizer = p.Value;
            }
            else if (p.Name == "filter" && p.Value.Kind == JKind.Array)
            {
                AddElements(p.Name, p.Value, "token_filter", tokenFilters);
            }
            else
            {
                throw ElasticsearchException.IllegalArgument(
                    $"Parameter [{p.Name}] in [categorization_analyzer] is unknown or of the wrong type [{p.Value.TokenName}]");
            }
        }

        if (tokenizer is null)
        {
            throw ElasticsearchException.IllegalArgument(
                "categorization_analyzer that is not a global analyzer must specify a [tokenizer] field");
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (charFilters.Count > 0)
            {
                w.WriteStartArray("char_filter");
                foreach (var c in charFilters)
                {
                    JavaMapOrder.WriteAsHashMap(w, c);
                }

                w.WriteEndArray();
            }

            w.WritePropertyName("tokenizer");
            JavaMapOrder.WriteAsHashMap(w, tokenizer);
            if (tokenFilters.Count > 0)
            {
                w.WriteStartArray("filter");
                foreach (var f in tokenFilters)
                {
                    JavaMapOrder.WriteAsHashMap(w, f);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return new CategorizationAnalyzer(null, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static void AddElements(string field, JNode array, string kind, List<JNode> into)
    {
        foreach (var item in array.Items)
        {
            if (item.Kind is not (JKind.String or JKind.Object))
            {
                throw ElasticsearchException.IllegalArgument(
                    $"[{field}] in [categorization_analyzer] array element should contain {kind}'s name or settings [{item.TokenName}]");
            }

            into.Add(item);
        }
    }

    internal static PerPartitionCategorization ParsePerPartition(XContent x, JNode node)
    {
        var enabled = false;
        var stopOnWarn = false;
        x.ParseObject(node, "per_partition_categorization",
        [
            new("enabled", VType.Boolean, v => enabled = XContent.AsBool(v)),
            new("stop_on_warn", VType.Boolean, v => stopOnWarn = XContent.AsBool(v)),
        ]);
        if (!enabled && stopOnWarn)
        {
            throw XContent.FailedToBuild("per_partition_categorization",
                Messages.BadRequest("stop_on_warn cannot be true in per_partition_categorization when enabled is false"));
        }

        return new PerPartitionCategorization(enabled, stopOnWarn);
    }

    /// <summary>
    /// The analyzer ES builds on job creation from categorization filters
    /// (<c>CategorizationAnalyzerConfig.buildStandardCategorizationAnalyzer</c>).
    /// </summary>
    public static CategorizationAnalyzer StandardAnalyzerWithFilters(IReadOnlyList<string> filters)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("char_filter");
            w.WriteStringValue("first_non_blank_line");
            foreach (var f in filters)
            {
                // Java HashMap order of {type, pattern}: pattern comes first.
                w.WriteStartObject();
                w.WriteString("pattern", f);
                w.WriteString("type", "pattern_replace");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("tokenizer", "ml_standard");
            w.WriteStartArray("filter");
            w.WriteStartObject();
            w.WriteString("type", "stop");
            w.WriteStartArray("stopwords");
            foreach (var s in CategorizationStopWords)
            {
                w.WriteStringValue(s);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return new CategorizationAnalyzer(null, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // ---------------------------------------------------------------- analysis_limits, data_description, model_plot

    /// <summary>Parses analysis_limits (ES <c>AnalysisLimits</c>, a ConstructingObjectParser).</summary>
    public static AnalysisLimits ParseAnalysisLimits(XContent x, JNode node, bool strict)
    {
        long? mml = null;
        long? examples = null;
        x.ParseObject(node, "analysis_limits",
        [
            new("model_memory_limit", VType.Value, v => mml = v.Kind switch
            {
                JKind.String => ByteSizeValue.Parse(v.Text, "model_memory_limit").Mb,
                JKind.Number => XContent.AsLong(v),
                _ => throw ElasticsearchException.IllegalArgument($"Unsupported token [{v.TokenName}]"),
            }),
            new("categorization_examples_limit", VType.Number, v => examples = XContent.AsLong(v)),
        ]);
        if (strict)
        {
            if (mml is < 1)
            {
                throw XContent.FailedToBuild("analysis_limits",
                    Messages.BadRequest($"model_memory_limit must be at least 1 MiB. Value = {mml.Value.ToString(CultureInfo.InvariantCulture)}"));
            }

            if (examples is < 0)
            {
                throw XContent.FailedToBuild("analysis_limits",
                    Messages.BadRequest(Messages.FieldValueTooLow("categorization_examples_limit", 0, examples.Value)));
            }
        }

        return new AnalysisLimits(mml, examples);
    }

    /// <summary>Parses data_description (ES <c>DataDescription.STRICT_PARSER</c>).</summary>
    public static DataDescription ParseDataDescription(XContent x, JNode node)
    {
        var d = new DataDescription();
        x.ParseObject(node, "data_description",
        [
            new("format", VType.String, v => ParseEnum(v.Text.Equals("delimited", StringComparison.OrdinalIgnoreCase) ? "xcontent" : v.Text,
                ["xcontent"], "org.elasticsearch.xpack.core.ml.job.config.DataDescription.DataFormat")),
            new("time_field", VType.String, v => d = d with { TimeField = v.Text }),
            new("time_format", VType.String, v =>
            {
                if (!TimeFormatValidator.IsValid(v.Text))
                {
                    throw Messages.BadRequest($"Invalid Time format string '{v.Text}'");
                }

                d = d with { TimeFormat = v.Text };
            }),
        ]);
        return d;
    }

    /// <summary>Parses model_plot_config (ES <c>ModelPlotConfig</c>: <c>enabled</c> required).</summary>
    public static ModelPlotConfig ParseModelPlot(XContent x, JNode node)
    {
        bool? enabled = null;
        string? terms = null;
        bool? annotations = null;
        x.ParseObject(node, "model_plot_config",
        [
            new("enabled", VType.Boolean, v => enabled = XContent.AsBool(v)),
            new("terms", VType.String, v => terms = v.Text),
            new("annotations_enabled", VType.Boolean, v => annotations = XContent.AsBool(v)),
        ]);
        if (enabled is null)
        {
            throw ElasticsearchException.IllegalArgument("Required [enabled]");
        }

        return new ModelPlotConfig(enabled.Value, terms, annotations ?? enabled.Value);
    }

    /// <summary>Parses blocked (ES <c>Blocked</c>).</summary>
    public static Blocked ParseBlocked(XContent x, JNode node)
    {
        string? reason = null;
        string? taskId = null;
        x.ParseObject(node, "blocked",
        [
            new("reason", VType.String, v => reason = ParseEnum(v.Text, ["none", "delete", "reset", "revert"],
                "org.elasticsearch.xpack.core.ml.job.config.Blocked.Reason")),
            new("task_id", VType.String, v => taskId = v.Text),
        ]);
        return new Blocked(reason ?? throw ElasticsearchException.IllegalArgument("Required [reason]"), taskId);
    }

    /// <summary>Checks a regular expression the way Java would accept it (approximated with .NET's engine).</summary>
    public static bool IsValidRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
