using System.Text;
using Vigil.Engine.Input;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>Builds <see cref="RecordFields"/> for tests without allocating per record once created.</summary>
internal sealed class TestRecord
{
    private readonly FieldSlot[] _slots;
    private readonly byte[] _text = new byte[4096];
    private int _used;

    public TestRecord(int fields)
    {
        _slots = new FieldSlot[fields];
    }

    public TestRecord Clear()
    {
        Array.Clear(_slots);
        _used = 0;
        return this;
    }

    public TestRecord Str(int index, string value)
    {
        var n = Encoding.UTF8.GetBytes(value, _text.AsSpan(_used));
        _slots[index] = new FieldSlot { Kind = FieldKind.String, Offset = _used, Length = n };
        _used += n;
        return this;
    }

    public TestRecord Num(int index, double value)
    {
        if (!value.TryFormat(_text.AsSpan(_used), out var n, "R", System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("text buffer full");
        }

        _slots[index] = new FieldSlot { Kind = FieldKind.Number, Offset = _used, Length = n, Number = value };
        _used += n;
        return this;
    }

    public TestRecord Missing(int index)
    {
        _slots[index] = default;
        return this;
    }

    public RecordFields Fields => new(_slots, _text.AsSpan(0, _used));
}
