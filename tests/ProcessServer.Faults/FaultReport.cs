using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace ProcessServer.Faults;

/// <summary>Where a scenario writes: the console in the fault program, ITestOutputHelper in tests.</summary>
public sealed class FaultLog(Action<string> write)
{
    public static FaultLog Console { get; } = new(System.Console.WriteLine);

    public void Line(string text)
    {
        lock (this)
        {
            write(text);
        }
    }
}

/// <summary>
/// A scenario's figures and the problems it found. A scenario passes only when it found no
/// failure, no lost or duplicated transition, no 5xx and no cross-unit access; every problem is
/// printed with the seed and the request that reproduces it.
/// </summary>
public sealed partial class FaultReport(string scenario, int seed, FaultLog log)
{
    private const int ShownPerCategory = 12;
    private const int ShownPerKind = 2;
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly ConcurrentDictionary<string, int> _kinds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _categories = new(StringComparer.Ordinal);
    private long _attempts;
    private long _unanswered;
    private long _failures;
    private long _lost;
    private long _duplicated;
    private long _serverErrors;
    private long _crossUnit;
    private long _problemCount;

    public string Scenario { get; } = scenario;

    public int Seed { get; } = seed;

    public FaultLog Log { get; } = log;

    /// <summary>Requests sent.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Requests that got no answer (connection refused or reset, e.g. by a kill).</summary>
    public long Unanswered => Interlocked.Read(ref _unanswered);

    /// <summary>Answers or states that broke an expectation (other than the categories below).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Acknowledged changes missing from the store.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Changes stored more often than they were asked for.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Answers with a 5xx status.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Reads or writes of another unit's dossier.</summary>
    public long CrossUnit => Interlocked.Read(ref _crossUnit);

    public bool Clean => Failures == 0 && Lost == 0 && Duplicated == 0 && ServerErrors == 0 && CrossUnit == 0;

    public IReadOnlyList<string> Problems => [.. _problems];

    public void Attempt() => Interlocked.Increment(ref _attempts);

    public void NoAnswer() => Interlocked.Increment(ref _unanswered);

    /// <summary>Adds to a scenario-specific figure (acknowledged, replayed, cycles ...).</summary>
    public void Count(string figure, long by = 1)
    {
        lock (_order)
        {
            if (!_counts.ContainsKey(figure))
            {
                _order.Add(figure);
            }

            _counts.AddOrUpdate(figure, by, (_, v) => v + by);
        }
    }

    public long Figure(string figure) => _counts.TryGetValue(figure, out var v) ? v : 0;

    public void Fail(string what, Probe? request = null, Answer? answer = null) => Record(ref _failures, "FAILURE", what, request, answer);

    /// <summary>The scenario could not go on; always printed, whatever was printed before.</summary>
    public void Stopped(Exception exception) => Record(ref _failures, "STOPPED", $"the run stopped: {exception}", null, null, always: true);

    public void LostChange(string what, Probe? request = null) => Record(ref _lost, "LOST", what, request, null);

    public void DuplicatedChange(string what, Probe? request = null) => Record(ref _duplicated, "DUPLICATED", what, request, null);

    public void ServerError(Probe request, Answer answer) => Record(ref _serverErrors, "5xx", $"{answer.Status} answered", request, answer);

    public void CrossUnitAccess(string what, Probe request, Answer? answer) => Record(ref _crossUnit, "CROSS-UNIT", what, request, answer);

    /// <summary>One line of figures.</summary>
    public string Summary()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[fault] {Scenario}: seed {Seed}, attempts {Attempts}");
        lock (_order)
        {
            foreach (var figure in _order)
            {
                text.Append(CultureInfo.InvariantCulture, $", {figure} {_counts[figure]}");
            }
        }

        text.Append(CultureInfo.InvariantCulture,
            $", unanswered {Unanswered} | failures {Failures}, lost {Lost}, duplicated {Duplicated}, 5xx {ServerErrors}, cross-unit {CrossUnit}");
        text.Append(Clean ? " — PASS" : " — FAIL");
        return text.ToString();
    }

    /// <summary>Prints the figures and the first problems with their reproductions.</summary>
    public void Print()
    {
        Log.Line(Summary());
        foreach (var problem in _problems)
        {
            Log.Line(problem);
        }

        var hidden = Interlocked.Read(ref _problemCount) - _problems.Count;
        if (hidden > 0)
        {
            Log.Line($"  … and {hidden} more problems of the same run (seed {Seed}), most of them repeats of the ones above.");
        }
    }

    private void Record(ref long counter, string kind, string what, Probe? request, Answer? answer, bool always = false)
    {
        Interlocked.Increment(ref counter);
        Interlocked.Increment(ref _problemCount);

        // The same problem found again (numbers aside) is counted, not printed again; each category
        // prints a dozen at most, so one flood of 5xx does not hide a loss.
        var signature = Digits().Replace($"{kind} {what} {request?.Method} {request?.Note}", "#");
        if (!always && (_kinds.AddOrUpdate(signature, 1, (_, n) => n + 1) > ShownPerKind || _categories.AddOrUpdate(kind, 1, (_, n) => n + 1) > ShownPerCategory))
        {
            return;
        }

        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"  {kind} [{Scenario}, seed {Seed}] {what}");
        if (request is not null)
        {
            text.Append("\n    reproduce: ").Append(request.Describe().Replace("\n", "\n    ", StringComparison.Ordinal));
        }

        if (answer is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    answer: {answer.Status} {Probe.Shorten(answer.Body, 600)}");
        }

        _problems.Enqueue(text.ToString());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+")]
    private static partial System.Text.RegularExpressions.Regex Digits();
}
