namespace ProcessServer.Host.Features.OData;

// Row types for $apply results: EF Core groups by and projects into member initialisers of these
// (one generic class per arity, since expression trees cannot build anonymous types). Records, so
// that a set served from memory (Units, the period report) groups by value: with reference equality
// LINQ to Objects made one group per row; EF Core translates the key to GROUP BY either way.

/// <summary>A row of 1 typed slot(s).</summary>
internal sealed record Slots1<T1>
{
    public T1 P1 { get; set; } = default!;
}

/// <summary>A row of 2 typed slot(s).</summary>
internal sealed record Slots2<T1, T2>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;
}

/// <summary>A row of 3 typed slot(s).</summary>
internal sealed record Slots3<T1, T2, T3>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;
}

/// <summary>A row of 4 typed slot(s).</summary>
internal sealed record Slots4<T1, T2, T3, T4>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;
}

/// <summary>A row of 5 typed slot(s).</summary>
internal sealed record Slots5<T1, T2, T3, T4, T5>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;
}

/// <summary>A row of 6 typed slot(s).</summary>
internal sealed record Slots6<T1, T2, T3, T4, T5, T6>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;
}

/// <summary>A row of 7 typed slot(s).</summary>
internal sealed record Slots7<T1, T2, T3, T4, T5, T6, T7>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;
}

/// <summary>A row of 8 typed slot(s).</summary>
internal sealed record Slots8<T1, T2, T3, T4, T5, T6, T7, T8>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;
}

/// <summary>A row of 9 typed slot(s).</summary>
internal sealed record Slots9<T1, T2, T3, T4, T5, T6, T7, T8, T9>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;
}

/// <summary>A row of 10 typed slot(s).</summary>
internal sealed record Slots10<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;
}

/// <summary>A row of 11 typed slot(s).</summary>
internal sealed record Slots11<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;

    public T11 P11 { get; set; } = default!;
}

/// <summary>A row of 12 typed slot(s).</summary>
internal sealed record Slots12<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;

    public T11 P11 { get; set; } = default!;

    public T12 P12 { get; set; } = default!;
}

/// <summary>A row of 13 typed slot(s).</summary>
internal sealed record Slots13<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;

    public T11 P11 { get; set; } = default!;

    public T12 P12 { get; set; } = default!;

    public T13 P13 { get; set; } = default!;
}

/// <summary>A row of 14 typed slot(s).</summary>
internal sealed record Slots14<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;

    public T11 P11 { get; set; } = default!;

    public T12 P12 { get; set; } = default!;

    public T13 P13 { get; set; } = default!;

    public T14 P14 { get; set; } = default!;
}

/// <summary>A row of 15 typed slot(s).</summary>
internal sealed record Slots15<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;

    public T11 P11 { get; set; } = default!;

    public T12 P12 { get; set; } = default!;

    public T13 P13 { get; set; } = default!;

    public T14 P14 { get; set; } = default!;

    public T15 P15 { get; set; } = default!;
}

/// <summary>A row of 16 typed slot(s).</summary>
internal sealed record Slots16<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>
{
    public T1 P1 { get; set; } = default!;

    public T2 P2 { get; set; } = default!;

    public T3 P3 { get; set; } = default!;

    public T4 P4 { get; set; } = default!;

    public T5 P5 { get; set; } = default!;

    public T6 P6 { get; set; } = default!;

    public T7 P7 { get; set; } = default!;

    public T8 P8 { get; set; } = default!;

    public T9 P9 { get; set; } = default!;

    public T10 P10 { get; set; } = default!;

    public T11 P11 { get; set; } = default!;

    public T12 P12 { get; set; } = default!;

    public T13 P13 { get; set; } = default!;

    public T14 P14 { get; set; } = default!;

    public T15 P15 { get; set; } = default!;

    public T16 P16 { get; set; } = default!;
}
