using System.Buffers;
using System.Globalization;
using System.Text;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Input;

/// <summary>
/// Push-based reader for a delimited (CSV) <c>_data</c> body: a header row naming the columns, then one record
/// per row. RFC 4180 quoting (<c>"a,b"</c>, <c>""</c> for a quote, line breaks inside quotes). Feed chunks of any
/// size, then call <see cref="Complete"/>.
/// </summary>
/// <remarks>
/// <para>This is a Vigil extension: Elasticsearch 8 reads only JSON/SMILE. The counting rules are those of
/// Elasticsearch 5.x–7.x <c>CsvDataToProcessWriter</c>: every required field must be a header column, otherwise
/// 400 <c>illegal_argument_exception</c> "Field configured for analysis 'f' is not in the CSV header '[a, b]'";
/// each row counts <c>header columns − 1</c> input fields; a row too short to hold a required column counts that
/// field as missing (an empty cell is an empty value, not missing; an empty time is an invalid date); empty lines
/// are skipped; when a column name repeats, the first one is used. Lines end with <c>\n</c> or <c>\r\n</c>; the
/// last row needs no line end.</para>
/// <para>A body that ends inside a quoted cell, or a row longer than <c>maxRecordBytes</c>, throws 400
/// <c>parse_exception</c> (ES's supercsv raised an unchecked error there); rows before it were counted and forwarded.</para>
/// </remarks>
public sealed class CsvRecordReader : IDisposable
{
    private readonly DataCountsTracker _tracker;
    private readonly RecordAssembler _record;
    private readonly int _maxRecordBytes;
    private readonly byte _delimiter;
    private byte[] _row;
    private int _rowLength;
    private int[] _cellEnds;
    private int _cellCount;
    private State _state;
    private int[]? _columnToField; // per header column: analysis index, RecordAssembler.TimeIndex or NoMatch
    private int _headerColumns;
    private long _line = 1;
    private long _rowStartLine = 1;

    /// <summary>Creates a reader; the time format is compiled from <see cref="IngestSchema.TimeFormat"/>.</summary>
    public CsvRecordReader(IngestSchema schema, DataCountsTracker tracker, IRecordSink sink, int maxRecordBytes = NdjsonRecordReader.DefaultMaxRecordBytes, char delimiter = ',')
        : this(schema, TimeFormat.Create((schema ?? throw new ArgumentNullException(nameof(schema))).TimeFormat), tracker, sink, maxRecordBytes, delimiter)
    {
    }

    /// <summary>Creates a reader with a time format compiled once per job.</summary>
    public CsvRecordReader(IngestSchema schema, TimeFormat timeFormat, DataCountsTracker tracker, IRecordSink sink, int maxRecordBytes = NdjsonRecordReader.DefaultMaxRecordBytes, char delimiter = ',')
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(timeFormat);
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(sink);
        if (delimiter is '"' or '\r' or '\n' or > (char)0x7F)
        {
            throw new ArgumentOutOfRangeException(nameof(delimiter), "delimiter must be an ASCII character other than a quote or line break");
        }

        _tracker = tracker;
        _record = new RecordAssembler(schema, timeFormat, tracker, sink);
        _maxRecordBytes = maxRecordBytes;
        _delimiter = (byte)delimiter;
        _row = ArrayPool<byte>.Shared.Rent(256);
        _cellEnds = new int[16];
    }

    private enum State : byte
    {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }

    /// <summary>Parses a chunk of the body and counts its bytes as <c>input_bytes</c>.</summary>
    /// <exception cref="ElasticsearchException">A required field is not in the header, or a row is too long.</exception>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        _tracker.ReportBytes(chunk.Length);
        for (var i = 0; i < chunk.Length; i++)
        {
            var b = chunk[i];
            switch (_state)
            {
                case State.CellStart:
                    if (b == (byte)'"')
                    {
                        _state = State.Quoted;
                        continue;
                    }

                    _state = State.Unquoted;
                    goto case State.Unquoted;
                case State.Unquoted:
                    if (b == _delimiter)
                    {
                        EndCell();
                    }
                    else if (b == (byte)'\n')
                    {
                        EndRow();
                    }
                    else
                    {
                        AppendByte(b);
                    }

                    continue;
                case State.Quoted:
                    if (b == (byte)'"')
                    {
                        _state = State.QuoteInQuoted;
                    }
                    else
                    {
                        if (b == (byte)'\n')
                        {
                            _line++;
                        }

                        AppendByte(b);
                    }

                    continue;
                default: // QuoteInQuoted
                    if (b == (byte)'"')
                    {
                        AppendByte(b); // "" inside quotes
                        _state = State.Quoted;
                    }
                    else if (b == _delimiter)
                    {
                        EndCell();
                    }
                    else if (b == (byte)'\n')
                    {
                        EndRow();
                    }
                    else
                    {
                        // Text after a closing quote is kept (lenient, like supercsv).
                        _state = State.Unquoted;
                        AppendByte(b);
                    }

                    continue;
            }
        }
    }

    /// <summary>End of body: processes a last row without a line end; throws if a quoted cell is unterminated.</summary>
    /// <exception cref="ElasticsearchException">400 <c>parse_exception</c> for an unterminated quoted cell.</exception>
    public void Complete()
    {
        if (_state == State.Quoted)
        {
            var start = _rowStartLine;
            var end = _line;
            Reset();
            throw ElasticsearchException.Parse(string.Create(CultureInfo.InvariantCulture,
                $"unexpected end of file while reading quoted column beginning on line [{start}] and ending on line [{end}]"));
        }

        if (_rowLength > 0 || _cellCount > 0 || _state != State.CellStart)
        {
            EndRow();
        }

        Reset();
    }

    /// <summary>Forgets the header and any partial row so the reader can read another body.</summary>
    public void Reset()
    {
        _state = State.CellStart;
        _rowLength = 0;
        _cellCount = 0;
        _columnToField = null;
        _headerColumns = 0;
        _line = 1;
        _rowStartLine = 1;
    }

    /// <summary>Returns pooled buffers.</summary>
    public void Dispose()
    {
        _record.Dispose();
        if (_row.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_row);
            _row = [];
        }
    }

    private void AppendByte(byte b)
    {
        if (_rowLength == _row.Length)
        {
            if (_rowLength >= _maxRecordBytes)
            {
                Reset();
                throw ElasticsearchException.Parse(string.Create(CultureInfo.InvariantCulture,
                    $"CSV row exceeds the maximum size of [{_maxRecordBytes}] bytes."));
            }

            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_row.Length * 2L, _maxRecordBytes));
            _row.AsSpan(0, _rowLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_row);
            _row = bigger;
        }

        _row[_rowLength++] = b;
    }

    private void EndCell()
    {
        if (_cellCount == _cellEnds.Length)
        {
            Array.Resize(ref _cellEnds, _cellEnds.Length * 2);
        }

        _cellEnds[_cellCount++] = _rowLength;
        _state = State.CellStart;
    }

    private void EndRow()
    {
        // A CR before the LF is part of the line end (also after a closing quote).
        if (_state == State.Unquoted && _rowLength > 0 && _row[_rowLength - 1] == (byte)'\r'
            && (_cellCount == 0 || _cellEnds[_cellCount - 1] < _rowLength))
        {
            _rowLength--;
        }

        var emptyLine = _cellCount == 0 && _rowLength == 0 && _state != State.QuoteInQuoted;
        EndCell();
        if (!emptyLine)
        {
            if (_columnToField is null)
            {
                ReadHeader();
            }
            else
            {
                EmitRow();
            }
        }

        _rowLength = 0;
        _cellCount = 0;
        _line++;
        _rowStartLine = _line;
    }

    private void ReadHeader()
    {
        var map = new int[_cellCount];
        var names = new string[_cellCount];
        var fieldColumn = new int[_record.AnalysisFieldCount];
        Array.Fill(fieldColumn, -1);
        var timeColumn = -1;
        var start = 0;
        for (var c = 0; c < _cellCount; c++)
        {
            var cell = _row.AsSpan(start, _cellEnds[c] - start);
            start = _cellEnds[c];
            names[c] = Encoding.UTF8.GetString(cell);
            var index = _record.Match(cell);
            map[c] = RecordAssembler.NoMatch;
            if (index == RecordAssembler.TimeIndex && timeColumn < 0)
            {
                timeColumn = c;
                map[c] = index;
            }
            else if (index >= 0 && fieldColumn[index] < 0)
            {
                fieldColumn[index] = c;
                map[c] = index;
            }
        }

        var header = "[" + string.Join(", ", names) + "]";
        if (timeColumn < 0)
        {
            throw MissingFromHeader(Encoding.UTF8.GetString(_record.TimeName), header);
        }

        for (var f = 0; f < fieldColumn.Length; f++)
        {
            if (fieldColumn[f] < 0)
            {
                throw MissingFromHeader(Encoding.UTF8.GetString(_record.AnalysisName(f)), header);
            }
        }

        _columnToField = map;
        _headerColumns = _cellCount;
    }

    private ElasticsearchException MissingFromHeader(string field, string header)
    {
        Reset();
        return ElasticsearchException.IllegalArgument($"Field configured for analysis '{field}' is not in the CSV header '{header}'");
    }

    private void EmitRow()
    {
        var map = _columnToField!;
        _record.Reset();
        _record.FieldCount = _headerColumns; // ES counts header columns − 1 per row
        var start = 0;
        var columns = Math.Min(_cellCount, map.Length);
        for (var c = 0; c < columns; c++)
        {
            var end = _cellEnds[c];
            var index = map[c];
            if (index != RecordAssembler.NoMatch)
            {
                _record.SetValue(index, _row.AsSpan(start, end - start), FieldKind.String);
            }

            start = end;
        }

        _record.Finish();
    }
}
