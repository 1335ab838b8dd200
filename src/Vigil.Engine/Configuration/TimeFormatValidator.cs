namespace Vigil.Engine.Configuration;

/// <summary>
/// Checks <c>data_description.time_format</c>: <c>epoch</c>, <c>epoch_ms</c>, or a Java DateTimeFormatter pattern
/// from which a date can be derived.
/// </summary>
/// <remarks>
/// Implementation note: ES builds a <c>DateTimeFormatter</c> from the pattern (defaulting the year), formats the
/// epoch and parses it back, and rejects the pattern unless the result carries a date. We check the same
/// things structurally: every letter must be a pattern letter Java knows with an allowed repeat count, quotes and
/// optional sections must balance, and the pattern must contain month and day of month, or day of year.
/// </remarks>
internal static class TimeFormatValidator
{
    public static bool IsValid(string format)
    {
        if (format is "epoch" or "epoch_ms")
        {
            return true;
        }

        var hasMonth = false;
        var hasDay = false;
        var hasDayOfYear = false;
        var optionalDepth = 0;
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c == '\'')
            {
                // Quoted literal; '' is an escaped quote.
                var end = i + 1;
                if (end < format.Length && format[end] == '\'')
                {
                    i += 2;
                    continue;
                }

                var closed = false;
                while (end < format.Length)
                {
                    if (format[end] == '\'')
                    {
                        if (end + 1 < format.Length && format[end + 1] == '\'')
                        {
                            end += 2;
                            continue;
                        }

                        closed = true;
                        break;
                    }

                    end++;
                }

                if (!closed)
                {
                    return false;
                }

                i = end + 1;
                continue;
            }

            if (c == '[')
            {
                optionalDepth++;
                i++;
                continue;
            }

            if (c == ']')
            {
                if (optionalDepth == 0)
                {
                    return false;
                }

                optionalDepth--;
                i++;
                continue;
            }

            if (c is '{' or '}' or '#')
            {
                return false;
            }

            if (!char.IsAsciiLetter(c))
            {
                i++;
                continue;
            }

            var count = 1;
            while (i + count < format.Length && format[i + count] == c)
            {
                count++;
            }

            if (!LetterCountAllowed(c, count))
            {
                return false;
            }

            switch (c)
            {
                case 'M' or 'L':
                    hasMonth = true;
                    break;
                case 'd':
                    hasDay = true;
                    break;
                case 'D':
                    hasDayOfYear = true;
                    break;
            }

            i += count;
        }

        return optionalDepth == 0 && ((hasMonth && hasDay) || hasDayOfYear);
    }

    private static bool LetterCountAllowed(char letter, int count) => letter switch
    {
        'G' => count <= 5,
        'u' or 'y' or 'Y' => count <= 19,
        'M' or 'L' or 'Q' or 'q' or 'E' or 'e' => count <= 5,
        'c' => count is 1 or 3 or 4 or 5,
        'd' or 'w' or 'h' or 'K' or 'k' or 'H' or 'm' or 's' => count <= 2,
        'D' => count <= 3,
        'W' or 'F' or 'a' or 'B' => count == 1 || (letter == 'B' && count is 4 or 5),
        'S' => count <= 9,
        'A' or 'n' or 'N' => count <= 19,
        'g' => count <= 19,
        'V' => count == 2,
        'v' => count is 1 or 4,
        'z' => count <= 4,
        'O' => count is 1 or 4,
        'X' or 'x' or 'Z' => count <= 5,
        'p' => true,
        _ => false,
    };
}
