using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Input;

/// <summary>
/// Push-based reader for the <c>_data</c> body: NDJSON, or JSON objects concatenated with or without
/// whitespace (a top-level array of objects is accepted too). Feed the body in chunks of any size, then call
/// <see cref="Complete"/>. Each top-level object is one record; it is counted on the
/// <see cref="DataCountsTracker"/> and, when accepted, handed to the <see cref="IRecordSink"/>.
/// </summary>
/// <remarks>
/// <para>Memory is bounded: a record wholly inside a chunk is parsed in place; only a record split across chunks
/// is copied into a pooled carry buffer, at most <c>maxRecordBytes</c> long. Nothing is allocated per record once
/// the pooled buffers have grown to the largest record.</para>
/// <para>Field rules (Elasticsearch <c>XContentRecordReader</c>): nested objects are flattened with dots
/// (<c>{"a":{"b":1}}</c> is field <c>a.b</c>) and are not counted themselves; every scalar and every array counts
/// as one input field; JSON <c>null</c> is not counted and leaves the field missing. An array read into an
/// analysis or time field becomes its scalar values joined with commas (<c>[1403481600]</c> is a valid time).
/// Duplicate keys are each counted, the last value wins. Field values that are objects leave the field missing
/// (their leaves count under dotted names).</para>
/// <para>Bad input, chosen to match ES's observable behaviour:</para>
/// <list type="bullet">
/// <item>Malformed JSON inside a record (bad token, bad escape, raw control character in a string, invalid
/// UTF-8, nesting deeper than 1000, a non-string key): ES's reader logs "Attempting to recover from malformed
/// JSON data", skips to the end of the object and still processes the fields read before the error. We do the
/// same: the record is finished with the values read so far (so it usually counts as an invalid date or with
/// missing fields) and reading resumes after the record's closing brace, found by brace counting outside
/// strings; a raw line feed inside a string (an unterminated string) ends the record, so the next NDJSON line is
/// read normally. (Jackson resumes at the next <c>}</c> token, which can swallow part of, or all of, the next
/// record; we resume at the balanced end or the end of the broken line.)</item>
/// <item>Too many malformed records: ES's reader counts parse errors met while recovering and, at 100 in one upload,
/// throws <c>ElasticsearchParseException("The input JSON data is malformed.")</c> (400 <c>parse_exception</c>).
/// How many errors Jackson meets per bad record depends on its tokenizer state, so we count malformed records
/// instead: the 100th malformed record of an upload (after being counted like the others) raises that error.</item>
/// <item>Text between records that is not an object (top-level scalars, a wrapping <c>[</c>…<c>]</c>, commas,
/// a UTF-8 BOM, garbage): skipped up to the next <c>{</c>. ES ignores top-level scalars and array tokens too.</item>
/// <item>A body that ends inside a record: ES's recovery reads to EOF, fails 100 times and throws
/// <c>ElasticsearchParseException("The input JSON data is malformed.")</c>, i.e. HTTP 400
/// <c>parse_exception</c>. <see cref="Complete"/> throws exactly that; the records before it were already
/// counted and forwarded, and the unfinished record is dropped (not counted).</item>
/// <item>A record longer than <c>maxRecordBytes</c>: ES has no per-record limit (only the 100mb HTTP body limit),
/// so this is ours: 400 <c>parse_exception</c> "The input JSON data is malformed. Record exceeds the maximum size
/// of [N] bytes." Records before it were counted and forwarded.</item>
/// </list>
/// <para>After an exception call <see cref="Reset"/> (or just drop the reader); the tracker stays consistent because
/// every count is applied per finished record.</para>
/// </remarks>
public sealed class NdjsonRecordReader : IDisposable
{
    /// <summary>Default per-record limit: 10 MiB.</summary>
    public const int DefaultMaxRecordBytes = 10 * 1024 * 1024;

    private const int MaxDepth = 1000;
    private const int ParseErrorsLimit = 100;
    private const string MalformedReason = "The input JSON data is malformed.";

    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"u8);

    private static readonly SearchValues<byte> StructureStops = SearchValues.Create("\"{}"u8);

    private static readonly SearchValues<byte> BoundaryStringStops = SearchValues.Create("\"\\\n"u8);

    private readonly DataCountsTracker _tracker;
    private readonly RecordAssembler _record;
    private readonly int _maxRecordBytes;
    private byte[] _path;
    private int[] _prefixStack;
    private byte[] _carry;
    private int _carryLength;
    private Mode _mode;
    private BoundaryState _boundary;
    private int _malformedRecords;

    /// <summary>Creates a reader; the time format is compiled from <see cref="IngestSchema.TimeFormat"/>.</summary>
    public NdjsonRecordReader(IngestSchema schema, DataCountsTracker tracker, IRecordSink sink, int maxRecordBytes = DefaultMaxRecordBytes)
        : this(schema, TimeFormat.Create((schema ?? throw new ArgumentNullException(nameof(schema))).TimeFormat), tracker, sink, maxRecordBytes)
    {
    }

    /// <summary>Creates a reader with a time format compiled once per job.</summary>
    public NdjsonRecordReader(IngestSchema schema, TimeFormat timeFormat, DataCountsTracker tracker, IRecordSink sink, int maxRecordBytes = DefaultMaxRecordBytes)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(timeFormat);
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecordBytes, 2);
        _tracker = tracker;
        _record = new RecordAssembler(schema, timeFormat, tracker, sink);
        _maxRecordBytes = maxRecordBytes;
        _path = ArrayPool<byte>.Shared.Rent(256);
        _prefixStack = new int[16];
        _carry = [];
    }

    private enum Mode : byte
    {
        BetweenRecords,
        Carrying,
        Skipping,
    }

    private enum Status : byte
    {
        Ok,
        Complete,
        Incomplete,
        Malformed,
    }

    /// <summary>Parses a chunk of the body. Records may span chunks. Counts the chunk's bytes as <c>input_bytes</c>.</summary>
    /// <exception cref="ElasticsearchException">A record is larger than the limit (400 <c>parse_exception</c>).</exception>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        _tracker.ReportBytes(chunk.Length);
        var pos = 0;
        if (_mode != Mode.BetweenRecords)
        {
            var end = ScanBoundary(chunk, ref _boundary);
            var take = end < 0 ? chunk.Length : end;
            if (_mode == Mode.Carrying)
            {
                AppendCarry(chunk[..take]);
                if (end < 0)
                {
                    return;
                }

                // Complete, or malformed (ES recovery keeps the fields read before the error): finish either way.
                var carriedStatus = ParseRecord(_carry.AsSpan(0, _carryLength), 0, out _);
                _record.Finish();
                if (carriedStatus != Status.Complete)
                {
                    CountMalformed();
                }
            }
            else if (end < 0)
            {
                return;
            }

            _mode = Mode.BetweenRecords;
            _carryLength = 0;
            pos = end;
        }

        while (true)
        {
            pos = SkipBetweenRecords(chunk, pos);
            if (pos >= chunk.Length)
            {
                return;
            }

            var status = ParseRecord(chunk, pos, out var end);
            if (status == Status.Complete)
            {
                CheckSize(end - pos);
                _record.Finish();
                pos = end;
                continue;
            }

            if (status == Status.Malformed)
            {
                // ES recovery: the fields read before the error still form a record.
                _record.Finish();
                CountMalformed();
                _boundary = default;
                var recordEnd = ScanBoundary(chunk[pos..], ref _boundary);
                if (recordEnd < 0)
                {
                    _mode = Mode.Skipping;
                    return;
                }

                pos += recordEnd;
                continue;
            }

            // Incomplete: the record continues in a later chunk.
            _boundary = default;
            var rest = chunk[pos..];
            var found = ScanBoundary(rest, ref _boundary);
            if (found >= 0)
            {
                // The parser stopped early but braces balance: treat as malformed and move on.
                _record.Finish();
                CountMalformed();
                pos += found;
                continue;
            }

            _carryLength = 0;
            AppendCarry(rest);
            _mode = Mode.Carrying;
            return;
        }
    }

    /// <summary>End of body. Throws when the body ended inside a record, as ES does.</summary>
    /// <exception cref="ElasticsearchException">400 <c>parse_exception</c> "The input JSON data is malformed."</exception>
    public void Complete()
    {
        var mode = _mode;
        Reset();
        if (mode != Mode.BetweenRecords)
        {
            throw ElasticsearchException.Parse(MalformedReason);
        }
    }

    /// <summary>Drops any partial record so the reader can be used for another body.</summary>
    public void Reset()
    {
        _malformedRecords = 0;
        _mode = Mode.BetweenRecords;
        _carryLength = 0;
        _boundary = default;
    }

    /// <summary>Returns pooled buffers.</summary>
    public void Dispose()
    {
        _record.Dispose();
        if (_path.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_path);
            _path = [];
        }

        if (_carry.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_carry);
            _carry = [];
        }
    }

    /// <summary>Implementation note: XContentRecordReader gives up after PARSE_ERRORS_LIMIT (100) parse errors in one
    /// upload with "The input JSON data is malformed."; we count malformed records (see the class remarks).</summary>
    private void CountMalformed()
    {
        if (++_malformedRecords >= ParseErrorsLimit)
        {
            Reset();
            throw ElasticsearchException.Parse(MalformedReason);
        }
    }

    private void CheckSize(long length)
    {
        if (length > _maxRecordBytes)
        {
            Reset();
            throw ElasticsearchException.Parse(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{MalformedReason} Record exceeds the maximum size of [{_maxRecordBytes}] bytes."));
        }
    }

    private void AppendCarry(ReadOnlySpan<byte> bytes)
    {
        var needed = (long)_carryLength + bytes.Length;
        CheckSize(needed);
        if (needed > _carry.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, _carry.Length * 2L), _maxRecordBytes));
            _carry.AsSpan(0, _carryLength).CopyTo(bigger);
            if (_carry.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_carry);
            }

            _carry = bigger;
        }

        bytes.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += bytes.Length;
    }

    /// <summary>Skips whitespace, commas, array brackets and any other non-object text up to the next '{'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipBetweenRecords(ReadOnlySpan<byte> d, int pos)
    {
        while (pos < d.Length)
        {
            var c = d[pos];
            if (c == (byte)'{')
            {
                return pos;
            }

            if (c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',' or (byte)'[' or (byte)']')
            {
                pos++;
                continue;
            }

            var next = d[pos..].IndexOf((byte)'{');
            return next < 0 ? d.Length : pos + next;
        }

        return pos;
    }

    /// <summary>Brace depth and string state of a record being scanned for its end.</summary>
    private struct BoundaryState
    {
        public int Depth;
        public bool InString;
        public bool Escape;
    }

    /// <summary>Finds the end of the record (index after its closing brace) or returns −1 with the state saved.</summary>
    private static int ScanBoundary(ReadOnlySpan<byte> d, ref BoundaryState s)
    {
        var pos = 0;
        while (pos < d.Length)
        {
            if (s.InString)
            {
                if (s.Escape)
                {
                    s.Escape = false;
                    pos++;
                    continue;
                }

                // Other control characters are invalid in strings but the string goes on to its closing quote.
                var i = d[pos..].IndexOfAny(BoundaryStringStops);
                if (i < 0)
                {
                    return -1;
                }

                pos += i;
                var c = d[pos];
                if (c == (byte)'\\')
                {
                    s.Escape = true;
                }
                else if (c == (byte)'\n')
                {
                    // A raw line feed cannot be inside a JSON string: the string was never closed. NDJSON has one
                    // record per line, so the record ends here and reading resumes on the next line.
                    s = default;
                    return pos + 1;
                }
                else
                {
                    s.InString = false;
                }

                pos++;
                continue;
            }

            var j = d[pos..].IndexOfAny(StructureStops);
            if (j < 0)
            {
                return -1;
            }

            pos += j;
            switch (d[pos])
            {
                case (byte)'"':
                    s.InString = true;
                    break;
                case (byte)'{':
                    s.Depth++;
                    break;
                default:
                    s.Depth--;
                    if (s.Depth <= 0)
                    {
                        s = default;
                        return pos + 1;
                    }

                    break;
            }

            pos++;
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWs(ReadOnlySpan<byte> d, int pos)
    {
        while (pos < d.Length)
        {
            if (d[pos] is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return pos;
            }

            pos++;
        }

        return pos;
    }

    /// <summary>
    /// Parses one object starting at <paramref name="start"/> (a '{'), filling the record assembler.
    /// Complete: <paramref name="end"/> is the index after the closing brace. Incomplete: data ran out.
    /// Malformed: a syntax error; the values read so far stay in the assembler.
    /// </summary>
    private Status ParseRecord(ReadOnlySpan<byte> d, int start, out int end)
    {
        end = start;
        _record.Reset();
        var pos = start + 1;
        var depth = 0;
        var prefixLength = 0;
        var afterValue = false;
        var first = true;
        while (true)
        {
            pos = SkipWs(d, pos);
            if (pos >= d.Length)
            {
                return Status.Incomplete;
            }

            var c = d[pos];
            if (afterValue || (first && c == (byte)'}'))
            {
                if (c == (byte)',' && afterValue)
                {
                    pos++;
                    afterValue = false;
                    first = false;
                    continue;
                }

                if (c != (byte)'}')
                {
                    return Status.Malformed;
                }

                pos++;
                if (depth == 0)
                {
                    end = pos;
                    return Status.Complete;
                }

                depth--;
                prefixLength = _prefixStack[depth];
                afterValue = true;
                first = false;
                continue;
            }

            if (c != (byte)'"')
            {
                return Status.Malformed;
            }

            // Key: written into the path buffer after the current prefix.
            var keyStatus = ReadString(d, ref pos, out var keyStart, out var keyLength, out var keyEscaped);
            if (keyStatus != Status.Ok)
            {
                return keyStatus;
            }

            // Top-level keys without escapes are matched in place; the path buffer is only written for nested
            // or escaped keys (or when the value turns out to be an object and becomes a prefix).
            var inPlace = prefixLength == 0 && !keyEscaped;
            var pathLength = prefixLength + keyLength;
            if (!inPlace)
            {
                EnsurePath(pathLength + 1);
                if (keyEscaped)
                {
                    if (!Unescape(d.Slice(keyStart, keyLength), _path.AsSpan(prefixLength), out var written))
                    {
                        return Status.Malformed;
                    }

                    pathLength = prefixLength + written;
                }
                else
                {
                    d.Slice(keyStart, keyLength).CopyTo(_path.AsSpan(prefixLength));
                }
            }

            pos = SkipWs(d, pos);
            if (pos >= d.Length)
            {
                return Status.Incomplete;
            }

            if (d[pos] != (byte)':')
            {
                return Status.Malformed;
            }

            pos = SkipWs(d, pos + 1);
            if (pos >= d.Length)
            {
                return Status.Incomplete;
            }

            c = d[pos];
            if (c == (byte)'{')
            {
                if (depth + 1 >= MaxDepth)
                {
                    return Status.Malformed;
                }

                if (depth + 1 >= _prefixStack.Length)
                {
                    Array.Resize(ref _prefixStack, _prefixStack.Length * 2);
                }

                if (inPlace)
                {
                    EnsurePath(pathLength + 1);
                    d.Slice(keyStart, keyLength).CopyTo(_path);
                }

                _prefixStack[depth] = prefixLength;
                depth++;
                _path[pathLength] = (byte)'.';
                prefixLength = pathLength + 1;
                pos++;
                first = true;
                afterValue = false;
                continue;
            }

            var index = _record.Match(inPlace ? d.Slice(keyStart, keyLength) : _path.AsSpan(0, pathLength));
            var valueStatus = ReadValue(d, ref pos, index);
            if (valueStatus != Status.Ok)
            {
                return valueStatus;
            }

            afterValue = true;
            first = false;
        }
    }

    /// <summary>Reads a scalar or array value at <paramref name="pos"/> and stores it when <paramref name="index"/> is a job field.</summary>
    private Status ReadValue(ReadOnlySpan<byte> d, ref int pos, int index)
    {
        var c = d[pos];
        switch (c)
        {
            case (byte)'"':
                {
                    var s = ReadString(d, ref pos, out var start, out var length, out var escaped);
                    if (s != Status.Ok)
                    {
                        return s;
                    }

                    _record.FieldCount++;
                    if (index != RecordAssembler.NoMatch)
                    {
                        return StoreString(d.Slice(start, length), escaped, index);
                    }

                    return Status.Ok;
                }

            case (byte)'[':
                _record.FieldCount++;
                return index == RecordAssembler.NoMatch ? SkipArray(d, ref pos) : CollectArray(d, ref pos, index);
            case (byte)'t':
                return ReadLiteral(d, ref pos, "true"u8, index, counts: true);
            case (byte)'f':
                return ReadLiteral(d, ref pos, "false"u8, index, counts: true);
            case (byte)'n':
                return ReadLiteral(d, ref pos, "null"u8, RecordAssembler.NoMatch, counts: false);
            default:
                {
                    if (c != (byte)'-' && (uint)(c - '0') > 9)
                    {
                        return Status.Malformed;
                    }

                    var s = ReadNumber(d, ref pos, out var start);
                    if (s != Status.Ok)
                    {
                        return s;
                    }

                    _record.FieldCount++;
                    if (index != RecordAssembler.NoMatch)
                    {
                        _record.SetValue(index, d[start..pos], FieldKind.Number);
                    }

                    return Status.Ok;
                }
        }
    }

    private Status StoreString(ReadOnlySpan<byte> raw, bool escaped, int index)
    {
        if (!escaped)
        {
            _record.SetValue(index, raw, FieldKind.String);
            return Status.Ok;
        }

        var offset = _record.TextPosition;
        var dest = _record.BeginValue(raw.Length);
        if (!Unescape(raw, dest, out var written))
        {
            return Status.Malformed;
        }

        _record.SetValue(index, offset, written, FieldKind.String);
        return Status.Ok;
    }

    private Status ReadLiteral(ReadOnlySpan<byte> d, ref int pos, ReadOnlySpan<byte> literal, int index, bool counts)
    {
        var available = Math.Min(literal.Length, d.Length - pos);
        if (!d.Slice(pos, available).SequenceEqual(literal[..available]))
        {
            return Status.Malformed;
        }

        if (available < literal.Length || pos + literal.Length >= d.Length)
        {
            // Need the next byte too, to be sure the token ends here (e.g. "truex").
            return Status.Incomplete;
        }

        if (!IsDelimiter(d[pos + literal.Length]))
        {
            return Status.Malformed;
        }

        if (counts)
        {
            _record.FieldCount++;
            if (index != RecordAssembler.NoMatch)
            {
                _record.SetValue(index, literal, FieldKind.Other);
            }
        }

        pos += literal.Length;
        return Status.Ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDelimiter(byte c) =>
        c is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)':';

    /// <summary>JSON number grammar: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>, then a delimiter.</summary>
    private static Status ReadNumber(ReadOnlySpan<byte> d, ref int pos, out int start)
    {
        start = pos;
        var i = pos;
        if (d[i] == (byte)'-')
        {
            i++;
        }

        if (i >= d.Length)
        {
            return Status.Incomplete;
        }

        if (d[i] == (byte)'0')
        {
            i++;
        }
        else if ((uint)(d[i] - '1') <= 8)
        {
            while (i < d.Length && (uint)(d[i] - '0') <= 9)
            {
                i++;
            }
        }
        else
        {
            return Status.Malformed;
        }

        if (i < d.Length && d[i] == (byte)'.')
        {
            i++;
            var digits = 0;
            while (i < d.Length && (uint)(d[i] - '0') <= 9)
            {
                i++;
                digits++;
            }

            if (i >= d.Length)
            {
                return Status.Incomplete;
            }

            if (digits == 0)
            {
                return Status.Malformed;
            }
        }

        if (i < d.Length && (d[i] == (byte)'e' || d[i] == (byte)'E'))
        {
            i++;
            if (i < d.Length && (d[i] == (byte)'+' || d[i] == (byte)'-'))
            {
                i++;
            }

            var digits = 0;
            while (i < d.Length && (uint)(d[i] - '0') <= 9)
            {
                i++;
                digits++;
            }

            if (i >= d.Length)
            {
                return Status.Incomplete;
            }

            if (digits == 0)
            {
                return Status.Malformed;
            }
        }

        if (i >= d.Length)
        {
            return Status.Incomplete;
        }

        if (!IsDelimiter(d[i]))
        {
            return Status.Malformed;
        }

        pos = i;
        return Status.Ok;
    }

    /// <summary>Reads a string token at <paramref name="pos"/> (a quote): content bounds, whether it has escapes.</summary>
    private static Status ReadString(ReadOnlySpan<byte> d, ref int pos, out int start, out int length, out bool escaped)
    {
        start = pos + 1;
        length = 0;
        escaped = false;
        var i = start;
        while (true)
        {
            var k = d[i..].IndexOfAny(StringStops);
            if (k < 0)
            {
                return Status.Incomplete;
            }

            i += k;
            var c = d[i];
            if (c == (byte)'"')
            {
                break;
            }

            if (c != (byte)'\\')
            {
                return Status.Malformed; // raw control character
            }

            escaped = true;
            if (i + 1 >= d.Length)
            {
                return Status.Incomplete;
            }

            i += 2; // the escape's second byte cannot be a stop we must see (validated when unescaping)
        }

        length = i - start;
        var content = d.Slice(start, length);
        if (!System.Text.Ascii.IsValid(content) && !Utf8.IsValid(content))
        {
            return Status.Malformed;
        }

        pos = i + 1;
        return Status.Ok;
    }

    /// <summary>Unescapes JSON string content into <paramref name="dest"/> (never longer than the source).</summary>
    private static bool Unescape(ReadOnlySpan<byte> src, Span<byte> dest, out int written)
    {
        written = 0;
        var i = 0;
        while (i < src.Length)
        {
            var b = src[i];
            if (b != (byte)'\\')
            {
                var run = src[i..].IndexOf((byte)'\\');
                if (run < 0)
                {
                    run = src.Length - i;
                }

                src.Slice(i, run).CopyTo(dest[written..]);
                written += run;
                i += run;
                continue;
            }

            if (i + 1 >= src.Length)
            {
                return false;
            }

            var e = src[i + 1];
            i += 2;
            switch (e)
            {
                case (byte)'"': dest[written++] = (byte)'"'; break;
                case (byte)'\\': dest[written++] = (byte)'\\'; break;
                case (byte)'/': dest[written++] = (byte)'/'; break;
                case (byte)'b': dest[written++] = 0x08; break;
                case (byte)'f': dest[written++] = 0x0C; break;
                case (byte)'n': dest[written++] = (byte)'\n'; break;
                case (byte)'r': dest[written++] = (byte)'\r'; break;
                case (byte)'t': dest[written++] = (byte)'\t'; break;
                case (byte)'u':
                    if (!ReadHex4(src, i, out var cp))
                    {
                        return false;
                    }

                    i += 4;
                    if (cp is >= 0xD800 and <= 0xDBFF && i + 6 <= src.Length && src[i] == (byte)'\\' && src[i + 1] == (byte)'u'
                        && ReadHex4(src, i + 2, out var low) && low is >= 0xDC00 and <= 0xDFFF)
                    {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                    else if (cp is >= 0xD800 and <= 0xDFFF)
                    {
                        cp = 0xFFFD; // a lone surrogate cannot be UTF-8; Java would later encode it as '?'
                    }

                    written += new Rune(cp).EncodeToUtf8(dest[written..]);
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static bool ReadHex4(ReadOnlySpan<byte> s, int at, out int value)
    {
        value = 0;
        if (at + 4 > s.Length)
        {
            return false;
        }

        for (var k = 0; k < 4; k++)
        {
            var c = s[at + k];
            int v = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }

            value = (value << 4) | v;
        }

        return true;
    }

    /// <summary>Skips an array (any nesting) that no job field reads; strings are validated, structure balanced.</summary>
    private static Status SkipArray(ReadOnlySpan<byte> d, ref int pos)
    {
        var depth = 0;
        var i = pos;
        while (i < d.Length)
        {
            var c = d[i];
            switch (c)
            {
                case (byte)'"':
                    {
                        var p = i;
                        var s = ReadString(d, ref p, out _, out _, out _);
                        if (s != Status.Ok)
                        {
                            return s;
                        }

                        i = p;
                        continue;
                    }

                case (byte)'[' or (byte)'{':
                    if (++depth > MaxDepth)
                    {
                        return Status.Malformed;
                    }

                    break;
                case (byte)']' or (byte)'}':
                    depth--;
                    if (depth == 0)
                    {
                        if (c != (byte)']')
                        {
                            return Status.Malformed;
                        }

                        pos = i + 1;
                        return Status.Ok;
                    }

                    break;
            }

            i++;
        }

        return Status.Incomplete;
    }

    /// <summary>
    /// Reads an array for a job field: its scalar values (strings unescaped, numbers and booleans as written,
    /// nulls skipped, object keys not included) joined with commas, at any depth.
    /// </summary>
    /// <remarks>Implementation note: XContentRecordReader.parseSingleFieldValue joins the scalar tokens up to the
    /// first END_ARRAY token; for nested arrays in analysis fields it stops at the inner ']' while we join the
    /// whole array. For flat arrays (the documented case) the result is identical.</remarks>
    private Status CollectArray(ReadOnlySpan<byte> d, ref int pos, int index)
    {
        var offset = _record.TextPosition;
        var needComma = false;
        var depth = 0;
        var i = pos;
        while (i < d.Length)
        {
            var c = d[i];
            switch (c)
            {
                case (byte)'[' or (byte)'{':
                    if (++depth > MaxDepth)
                    {
                        return Status.Malformed;
                    }

                    i++;
                    continue;
                case (byte)']' or (byte)'}':
                    depth--;
                    i++;
                    if (depth == 0)
                    {
                        if (c != (byte)']')
                        {
                            return Status.Malformed;
                        }

                        pos = i;
                        _record.SetValue(index, offset, _record.TextPosition - offset, FieldKind.String);
                        return Status.Ok;
                    }

                    continue;
                case (byte)',' or (byte)':' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t':
                    i++;
                    continue;
                case (byte)'"':
                    {
                        var p = i;
                        var s = ReadString(d, ref p, out var start, out var length, out var escaped);
                        if (s != Status.Ok)
                        {
                            return s;
                        }

                        var q = SkipWs(d, p);
                        if (q >= d.Length)
                        {
                            return Status.Incomplete;
                        }

                        if (d[q] != (byte)':')
                        {
                            AppendJoined(ref needComma);
                            var raw = d.Slice(start, length);
                            if (escaped)
                            {
                                var at = _record.TextPosition;
                                if (!Unescape(raw, _record.BeginValue(raw.Length), out var written))
                                {
                                    return Status.Malformed;
                                }

                                _record.AdvanceTo(at + written);
                            }
                            else
                            {
                                _record.Append(raw);
                            }
                        }

                        i = p;
                        continue;
                    }

                case (byte)'n':
                    {
                        var p = i;
                        var s = ReadLiteral(d, ref p, "null"u8, RecordAssembler.NoMatch, counts: false);
                        if (s != Status.Ok)
                        {
                            return s;
                        }

                        i = p;
                        continue;
                    }

                case (byte)'t' or (byte)'f':
                    {
                        var lit = c == (byte)'t' ? "true"u8 : "false"u8;
                        var available = Math.Min(lit.Length, d.Length - i);
                        if (!d.Slice(i, available).SequenceEqual(lit[..available]))
                        {
                            return Status.Malformed;
                        }

                        if (i + lit.Length >= d.Length)
                        {
                            return Status.Incomplete;
                        }

                        if (!IsDelimiter(d[i + lit.Length]))
                        {
                            return Status.Malformed;
                        }

                        AppendJoined(ref needComma);
                        _record.Append(lit);
                        i += lit.Length;
                        continue;
                    }

                default:
                    {
                        if (c != (byte)'-' && (uint)(c - '0') > 9)
                        {
                            return Status.Malformed;
                        }

                        var p = i;
                        var s = ReadNumber(d, ref p, out var start);
                        if (s != Status.Ok)
                        {
                            return s;
                        }

                        AppendJoined(ref needComma);
                        _record.Append(d[start..p]);
                        i = p;
                        continue;
                    }
            }
        }

        return Status.Incomplete;
    }

    private void AppendJoined(ref bool needComma)
    {
        if (needComma)
        {
            _record.Append((byte)',');
        }

        needComma = true;
    }

    private void EnsurePath(int needed)
    {
        if (needed <= _path.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _path.Length * 2));
        _path.CopyTo(bigger, 0);
        ArrayPool<byte>.Shared.Return(_path);
        _path = bigger;
    }
}
