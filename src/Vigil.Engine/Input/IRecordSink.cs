namespace Vigil.Engine.Input;

/// <summary>
/// Receives the records an input reader accepted (time parsed, not out of order), in input order.
/// </summary>
/// <remarks>
/// This is the seam between ingestion (parse, count) and analysis (bucket, model). The reader owns
/// every buffer behind the fields: a sink copies what it keeps and never holds on to
/// the spans after the call returns. Implementations must not allocate per record.
/// </remarks>
public interface IRecordSink
{
    /// <summary>Called once per accepted record.</summary>
    /// <param name="timeMs">Record time, epoch milliseconds.</param>
    /// <param name="fields">The job's analysis fields (see <see cref="IngestSchema.AnalysisFields"/>) by index.</param>
    void OnRecord(long timeMs, scoped in RecordFields fields);
}

/// <summary>The values of the job's analysis fields for one record, addressed by field index.</summary>
/// <remarks>
/// Index <c>i</c> is the position of the field in <see cref="IngestSchema.AnalysisFields"/>. A value is
/// either missing (the key was absent or JSON <c>null</c>), a string (UTF-8, already unescaped), or a
/// number, which is also available as its UTF-8 text so that split fields holding numbers work.
/// </remarks>
public readonly ref struct RecordFields
{
    private readonly ReadOnlySpan<FieldSlot> _slots;
    private readonly ReadOnlySpan<byte> _text;

    /// <summary>Wraps slot descriptors and the text buffer they point into.</summary>
    public RecordFields(ReadOnlySpan<FieldSlot> slots, ReadOnlySpan<byte> text)
    {
        _slots = slots;
        _text = text;
    }

    /// <summary>Number of analysis fields.</summary>
    public int Count => _slots.Length;

    /// <summary>True when the record has no value for field <paramref name="index"/>.</summary>
    public bool IsMissing(int index) => _slots[index].Kind == FieldKind.Missing;

    /// <summary>The value's UTF-8 text (a string's unescaped content, or a number/boolean's literal text).</summary>
    public ReadOnlySpan<byte> Utf8(int index)
    {
        var s = _slots[index];
        return s.Kind == FieldKind.Missing ? default : _text.Slice(s.Offset, s.Length);
    }

    /// <summary>The value as a number: a JSON number, or a string that parses as one.</summary>
    public bool TryGetNumber(int index, out double value)
    {
        var s = _slots[index];
        if (s.Kind == FieldKind.Number)
        {
            value = s.Number;
            return true;
        }

        if (s.Kind == FieldKind.String)
        {
            return NumberText.TryParse(_text.Slice(s.Offset, s.Length), out value);
        }

        value = 0;
        return false;
    }
}

/// <summary>What kind of value a field holds in one record.</summary>
public enum FieldKind : byte
{
    /// <summary>Absent, or JSON <c>null</c>.</summary>
    Missing,

    /// <summary>A string (or CSV cell).</summary>
    String,

    /// <summary>A JSON number (its text is kept too).</summary>
    Number,

    /// <summary>A boolean or another scalar kept only as text.</summary>
    Other,
}

/// <summary>Where one field's value lives in a reader's text buffer.</summary>
public struct FieldSlot
{
    /// <summary>Kind of value.</summary>
    public FieldKind Kind;

    /// <summary>Start of the value's UTF-8 text in the reader's buffer.</summary>
    public int Offset;

    /// <summary>Length of the value's UTF-8 text.</summary>
    public int Length;

    /// <summary>The numeric value when <see cref="Kind"/> is <see cref="FieldKind.Number"/>.</summary>
    public double Number;
}
