using System.Buffers.Text;
using System.Globalization;

namespace Vigil.Engine.Input;

/// <summary>Parses numbers from UTF-8 text without allocating.</summary>
public static class NumberText
{
    /// <summary>Parses a decimal number (optionally with exponent), allowing surrounding ASCII spaces.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out double value)
    {
        utf8 = utf8.Trim((byte)' ');
        if (Utf8Parser.TryParse(utf8, out value, out var consumed) && consumed == utf8.Length)
        {
            return double.IsFinite(value);
        }

        if (utf8.Length is > 0 and < 64)
        {
            // Slow path for forms Utf8Parser rejects (e.g. a leading '+'); still no allocation.
            Span<char> chars = stackalloc char[utf8.Length];
            for (var i = 0; i < utf8.Length; i++)
            {
                chars[i] = (char)utf8[i];
            }

            if (double.TryParse(chars, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            {
                return double.IsFinite(value);
            }
        }

        value = 0;
        return false;
    }
}
