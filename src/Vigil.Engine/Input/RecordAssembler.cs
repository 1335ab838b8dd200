using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using Vigil.Engine.DataCounts;

namespace Vigil.Engine.Input;

/// <summary>
/// Collects one record's values for the time field and the analysis fields, then counts and forwards it.
/// Shared by the NDJSON and CSV readers; allocation-free once its buffers have grown to the largest record.
/// </summary>
/// <remarks>
/// Implementation note: the per-record flow mirrors Elasticsearch's <c>JsonDataToProcessWriter.writeJson</c>
/// and <c>AbstractDataToProcessWriter.transformTimeAndWrite</c>: missing required fields are counted for every
/// record read; the input field count is the record's leaf count minus one (time) floored at 0; an absent or
/// unparseable time makes the record an invalid date; otherwise the out-of-order rule decides whether the
/// record is processed (see <see cref="DataCountsTracker.TryAcceptRecord"/>).
/// </remarks>
internal sealed class RecordAssembler : IDisposable
{
    /// <summary>Match result: the path is the time field.</summary>
    public const int TimeIndex = -1;

    /// <summary>Match result: the path is not a field the job reads.</summary>
    public const int NoMatch = -2;

    private readonly byte[][] _names;
    private readonly byte[] _timeName;
    private readonly int _minNameLength;
    private readonly int _maxNameLength;
    private readonly TimeFormat _timeFormat;
    private readonly DataCountsTracker _tracker;
    private readonly IRecordSink _sink;
    private readonly FieldSlot[] _slots;
    private byte[] _text;
    private int _textLength;
    private int _timeOffset;
    private int _timeLength;
    private bool _timeSet;

    /// <summary>Creates the assembler for one job.</summary>
    public RecordAssembler(IngestSchema schema, TimeFormat timeFormat, DataCountsTracker tracker, IRecordSink sink)
    {
        _timeFormat = timeFormat;
        _tracker = tracker;
        _sink = sink;
        _timeName = Encoding.UTF8.GetBytes(schema.TimeField);
        _names = new byte[schema.AnalysisFields.Count][];
        _minNameLength = _timeName.Length;
        _maxNameLength = _timeName.Length;
        for (var i = 0; i < _names.Length; i++)
        {
            _names[i] = Encoding.UTF8.GetBytes(schema.AnalysisFields[i]);
            _minNameLength = Math.Min(_minNameLength, _names[i].Length);
            _maxNameLength = Math.Max(_maxNameLength, _names[i].Length);
        }

        _slots = new FieldSlot[_names.Length];
        _text = ArrayPool<byte>.Shared.Rent(256);
    }

    /// <summary>Leaf values counted in the current record.</summary>
    public long FieldCount { get; set; }

    /// <summary>Number of analysis fields.</summary>
    public int AnalysisFieldCount => _names.Length;

    /// <summary>The UTF-8 names of the analysis fields (for CSV header mapping).</summary>
    public ReadOnlySpan<byte> AnalysisName(int index) => _names[index];

    /// <summary>The UTF-8 name of the time field.</summary>
    public ReadOnlySpan<byte> TimeName => _timeName;

    /// <summary>Clears the record state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset()
    {
        FieldCount = 0;
        _textLength = 0;
        _timeSet = false;
        Array.Clear(_slots);
    }

    /// <summary>Which field a full dotted path names: an analysis index, <see cref="TimeIndex"/> or <see cref="NoMatch"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Match(ReadOnlySpan<byte> path)
    {
        if (path.Length < _minNameLength || path.Length > _maxNameLength)
        {
            return NoMatch;
        }

        if (path.SequenceEqual(_timeName))
        {
            return TimeIndex;
        }

        var names = _names;
        for (var i = 0; i < names.Length; i++)
        {
            if (path.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        return NoMatch;
    }

    /// <summary>Returns where to write a value of up to <paramref name="maxLength"/> bytes (at <see cref="TextPosition"/>).</summary>
    public Span<byte> BeginValue(int maxLength)
    {
        EnsureText(_textLength + maxLength);
        return _text.AsSpan(_textLength, maxLength);
    }

    /// <summary>Current write position in the text buffer (for values appended in pieces).</summary>
    public int TextPosition => _textLength;

    /// <summary>Appends bytes to the text buffer (used when joining array values).</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        EnsureText(_textLength + bytes.Length);
        bytes.CopyTo(_text.AsSpan(_textLength));
        _textLength += bytes.Length;
    }

    /// <summary>Moves the write position after bytes written through <see cref="BeginValue"/>.</summary>
    public void AdvanceTo(int position) => _textLength = position;

    /// <summary>Appends one byte to the text buffer.</summary>
    public void Append(byte b)
    {
        EnsureText(_textLength + 1);
        _text[_textLength++] = b;
    }

    /// <summary>Commits a value written at <paramref name="offset"/> with <paramref name="length"/> bytes.</summary>
    public void SetValue(int index, int offset, int length, FieldKind kind)
    {
        _textLength = Math.Max(_textLength, offset + length);
        if (index == TimeIndex)
        {
            _timeSet = true;
            _timeOffset = offset;
            _timeLength = length;
            return;
        }

        ref var slot = ref _slots[index];
        slot.Kind = kind;
        slot.Offset = offset;
        slot.Length = length;
        slot.Number = 0;
        if (kind == FieldKind.Number && !Utf8Parser.TryParse(_text.AsSpan(offset, length), out slot.Number, out _))
        {
            slot.Number = NumberText.TryParse(_text.AsSpan(offset, length), out var v) ? v : double.NaN;
        }
    }

    /// <summary>Copies a complete value and commits it.</summary>
    public void SetValue(int index, ReadOnlySpan<byte> value, FieldKind kind)
    {
        var offset = _textLength;
        Append(value);
        SetValue(index, offset, value.Length, kind);
    }

    /// <summary>Counts the record and forwards it to the sink when its time is valid and in order.</summary>
    public void Finish()
    {
        long missing = _timeSet ? 0 : 1;
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i].Kind == FieldKind.Missing)
            {
                missing++;
            }
        }

        if (missing > 0)
        {
            _tracker.ReportMissingFields(missing);
        }

        var inputFields = Math.Max(FieldCount - 1, 0);
        if (!_timeSet || !_timeFormat.TryParse(_text.AsSpan(_timeOffset, _timeLength), out var epochMs))
        {
            _tracker.ReportInvalidDate(inputFields);
            return;
        }

        if (_tracker.TryAcceptRecord(epochMs, inputFields))
        {
            _sink.OnRecord(epochMs, new RecordFields(slots, _text.AsSpan(0, _textLength)));
        }
    }

    /// <summary>Returns the pooled buffer.</summary>
    public void Dispose()
    {
        var t = _text;
        _text = [];
        if (t.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(t);
        }
    }

    private void EnsureText(int needed)
    {
        if (needed <= _text.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _text.Length * 2));
        _text.AsSpan(0, _textLength).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_text);
        _text = bigger;
    }
}
