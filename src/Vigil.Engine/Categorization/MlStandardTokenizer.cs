namespace Vigil.Engine.Categorization;

/// <summary>Elasticsearch's <c>ml_standard</c> categorization tokenizer over a span of characters.</summary>
/// <remarks>
/// Implementation note (mirrors Elasticsearch's <c>MlStandardTokenizer</c>): tokens are runs of letters and digits that
/// may also hold <c>_ . - @</c> after their first character, forward slashes anywhere, one colon directly after
/// leading letters when a slash follows it (URLs, <c>C:\</c> paths), and backslashes at the start or in such paths, so
/// URLs and Unix/Windows paths stay single tokens. A colon not followed by a slash ends the token before it. Tokens
/// that are hex numbers (dots, dashes, at signs and colons count as numeric), start with a digit, or are only slashes
/// are dropped; trailing <c>_ . - @ :</c> are stripped. As in Elasticsearch, an invalid token cut by a colon ends the
/// stream (the Java tokenizer returns false there).
/// </remarks>
internal static class MlStandardTokenizer
{
    /// <summary>Finds the next token at or after <paramref name="pos"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="pos">Where to read from; advanced past the token.</param>
    /// <param name="start">Start of the token.</param>
    /// <param name="length">Length of the token.</param>
    /// <returns>False when there is no further token.</returns>
    public static bool Next(ReadOnlySpan<char> text, ref int pos, out int start, out int length)
    {
        start = -1;
        length = 0;
        var haveNonHex = false;
        var lettersBeforeColon = 0;
        var haveColon = false;
        var firstBackslash = -1;
        var firstSlash = -1;
        var slashCount = 0;
        while (pos < text.Length)
        {
            var c = text[pos++];
            var accept = char.IsLetterOrDigit(c)
                || (length > 0 && (c == '_' || c == '.' || c == '-' || c == '@' || (c == ':' && lettersBeforeColon == length)))
                || c == '/'
                || (c == '\\' && (length == 0 || (haveColon && lettersBeforeColon == 1) || firstBackslash == 0));
            if (accept)
            {
                if (length == 0)
                {
                    start = pos - 1;
                }

                length++;
                if (c == ':')
                {
                    haveColon = true;
                }
                else if (c == '/')
                {
                    slashCount++;
                    if (firstSlash == -1)
                    {
                        firstSlash = length - 1;
                    }
                }
                else if (c == '\\')
                {
                    slashCount++;
                    if (firstBackslash == -1)
                    {
                        firstBackslash = length - 1;
                    }
                }
                else if (haveColon)
                {
                    if (firstBackslash != lettersBeforeColon + 1 && firstSlash != lettersBeforeColon + 1)
                    {
                        // A colon not followed by a slash: the token ends before the colon; this character is read again.
                        length -= 2;
                        pos--;
                        break;
                    }
                }
                else if (char.IsLetter(c))
                {
                    lettersBeforeColon++;
                }

                haveNonHex = haveNonHex || (!char.IsAsciiHexDigit(c) && !char.IsDigit(c) && c != '.' && c != '-' && c != '@' && c != ':');
            }
            else if (length > 0)
            {
                if (haveNonHex && !char.IsDigit(text[start]) && length > slashCount)
                {
                    break;
                }

                start = -1;
                length = 0;
                haveNonHex = false;
                lettersBeforeColon = 0;
                haveColon = false;
                firstBackslash = -1;
                firstSlash = -1;
                slashCount = 0;
            }
        }

        if (length <= 0)
        {
            return false;
        }

        if (!haveNonHex || char.IsDigit(text[start]) || length == slashCount)
        {
            pos = text.Length;
            return false;
        }

        while (length > 0 && text[start + length - 1] is '_' or '.' or '-' or '@' or ':')
        {
            length--;
        }

        return length > 0;
    }
}
