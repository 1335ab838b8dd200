using System.Globalization;

namespace Vigil.Cli;

/// <summary>
/// Minimal CSV reader for <c>vigil detect</c>: a header row, comma separated, optional double quotes
/// around fields (no embedded commas or newlines inside quotes). The server has its own full reader.
/// </summary>
internal sealed class CsvMetricReader : IDisposable
{
    private readonly StreamReader _reader;
    private readonly int _timeColumn;
    private readonly int _valueColumn;

    private CsvMetricReader(StreamReader reader, int timeColumn, int valueColumn)
    {
        _reader = reader;
        _timeColumn = timeColumn;
        _valueColumn = valueColumn;
    }

    /// <summary>Rows skipped because the time or value did not parse.</summary>
    public long SkippedRows { get; private set; }

    /// <summary>Opens a file and locates the time column and (optional) value column by header name.</summary>
    public static CsvMetricReader Open(string path, string timeField, string? valueField)
    {
        var reader = new StreamReader(path);
        var header = reader.ReadLine();
        if (header == null)
        {
            reader.Dispose();
            throw new InvalidDataException("the file is empty");
        }

        var names = header.Split(',');
        int time = -1, value = -1;
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i].Trim().Trim('"');
            if (name == timeField)
            {
                time = i;
            }

            if (valueField != null && name == valueField)
            {
                value = i;
            }
        }

        if (time < 0 || (valueField != null && value < 0))
        {
            reader.Dispose();
            throw new InvalidDataException(time < 0
                ? $"time field [{timeField}] is not a column of the header"
                : $"field [{valueField}] is not a column of the header");
        }

        return new CsvMetricReader(reader, time, value);
    }

    /// <summary>Reads the next row that parses. The value is NaN when no value column was requested.</summary>
    public bool TryRead(out long timeMs, out double value, out string timeText, out string valueText)
    {
        string? line;
        while ((line = _reader.ReadLine()) != null)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            var max = Math.Max(_timeColumn, _valueColumn);
            if (fields.Length <= max)
            {
                SkippedRows++;
                continue;
            }

            timeText = fields[_timeColumn];
            valueText = _valueColumn >= 0 ? fields[_valueColumn] : string.Empty;
            value = double.NaN;
            if (!TimeText.TryParseTimestamp(timeText, out timeMs)
                || (_valueColumn >= 0 && !double.TryParse(valueText.Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out value)))
            {
                SkippedRows++;
                continue;
            }

            return true;
        }

        timeMs = 0;
        value = 0;
        timeText = valueText = string.Empty;
        return false;
    }

    public void Dispose() => _reader.Dispose();
}
