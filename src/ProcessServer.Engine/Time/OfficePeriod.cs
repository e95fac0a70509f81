namespace ProcessServer.Engine.Time;

/// <summary>One stretch of office hours within a working day, in local wall-clock time.</summary>
/// <param name="Start">When the counters open.</param>
/// <param name="End">When they close; later than <paramref name="Start"/> on the same day.</param>
public readonly record struct OfficePeriod(TimeOnly Start, TimeOnly End)
{
    /// <summary>Office time in the period.</summary>
    public TimeSpan Length => End - Start;
}

/// <summary>A calendar date with the reason it is special (a holiday, a swapped day, a make-up Saturday).</summary>
/// <param name="Date">The local date.</param>
/// <param name="Name">Why the day is off or worked, as published.</param>
public sealed record NamedDate(DateOnly Date, string Name);
