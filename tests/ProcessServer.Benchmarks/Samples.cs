using System.Globalization;

/// <summary>The statistics the throughput benchmarks print: quantiles of latencies and medians of rounds.</summary>
internal static class Samples
{
    /// <summary>The <paramref name="q"/> quantile (nearest rank) of <paramref name="samples"/>, which it sorts; NaN when empty.</summary>
    public static double Quantile(List<double> samples, double q)
    {
        samples.Sort();
        return samples.Count == 0 ? double.NaN : samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
    }

    /// <summary>The median of the rounds (the upper one of an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}

/// <summary>A rate with its latency at p50 and p99.</summary>
/// <param name="PerSecond">Operations per second.</param>
/// <param name="P50">Median latency (ms).</param>
/// <param name="P99">99th percentile latency (ms).</param>
internal sealed record Measure(double PerSecond, double P50, double P99)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{PerSecond,7:0.0}/s p50 {P50,6:0.00} p99 {P99,7:0.00} ms");
}
