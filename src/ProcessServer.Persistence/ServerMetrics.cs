using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Persistence;

/// <summary>
/// The numbers an operator of a province watches, as .NET metrics under the meter
/// <see cref="MeterName"/> (exported by OpenTelemetry when it is configured; free when nothing listens):
/// transitions per outcome and their latency, how long writers wait for the SQLite write gate, how late
/// deadline notifications fire after their instant, and how many outbox messages wait to be sent.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>Name of the meter every instrument belongs to.</summary>
    public const string MeterName = "ProcessServer";

    private readonly Meter _meter;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _transitionDuration;
    private readonly Histogram<double> _gateWait;
    private readonly Histogram<double> _deadlineLateness;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Counter<long> _keptRows;
    private int _backlogObserved;

    /// <summary>Creates the instruments.</summary>
    /// <remarks>
    /// A meter of its own rather than one from the host's IMeterFactory: the write gate, which records
    /// into it, is built before the host's services when Quartz's connections must share it.
    /// </remarks>
    public ServerMetrics()
    {
        _meter = new Meter(MeterName);
        _transitions = _meter.CreateCounter<long>("processserver.transitions", "{transition}",
            "State changes of dossiers (receipts, completions, off-path acts), by outcome: accepted, refused, replayed.");
        _transitionDuration = _meter.CreateHistogram<double>("processserver.transition.duration", "s",
            "Time from a state change's start to its durable commit (or refusal), by outcome.");
        _gateWait = _meter.CreateHistogram<double>("processserver.write_gate.wait", "s",
            "Time a writer waited for the SQLite write gate; grows when writers queue behind each other.");
        _deadlineLateness = _meter.CreateHistogram<double>("processserver.deadline.lateness", "s",
            "How long after its instant a deadline warning or overdue notification was fired, by kind.");
        _batchSize = _meter.CreateHistogram<int>("processserver.group_commit.batch.size", "{transition}",
            "State changes committed together in one SQLite transaction by the group commit.");
        _batchDuration = _meter.CreateHistogram<double>("processserver.group_commit.batch.duration", "s",
            "Time one group-commit batch holds the write path: its units one after the other, then the durable commit.");
        _checkpointDuration = _meter.CreateHistogram<double>("processserver.sqlite.checkpoint.duration", "s",
            "Time one checkpoint took to copy the SQLite write-ahead log into the database file, off the commit path.");
        _keptRows = _meter.CreateCounter<long>("processserver.kept_rows", "{transition}",
            "Accepted state changes of existing dossiers on SQLite by where their rows came from: kept (as this process's last change of the dossier "
            + "wrote them, not read again) or read; and stale: kept rows found changed, or refused on, so decided again on rows read.");
    }

    /// <summary>
    /// Adds the outbox backlog gauge, read from the store whenever a reader collects (every few seconds
    /// by the exporter's thread, never on a request): a count over the (Status, NextAttemptAt) index.
    /// </summary>
    public void ObserveOutboxBacklog(IServiceScopeFactory scopes)
    {
        if (Interlocked.Exchange(ref _backlogObserved, 1) == 0)
        {
            _meter.CreateObservableGauge("processserver.outbox.backlog", () => Backlog(scopes), "{message}",
                "Messages to the national portal, e-mail and SMS waiting to be sent (pending, including ones waiting to retry).");
        }
    }

    /// <summary>Records a state change that ended.</summary>
    /// <param name="outcome">accepted, refused or replayed.</param>
    /// <param name="startedTimestamp">Its <see cref="Stopwatch.GetTimestamp"/> at the start.</param>
    public void Transition(string outcome, long startedTimestamp)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _transitions.Add(1, tag);
        _transitionDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tag);
    }

    /// <summary>Records a group-commit batch: how many units it took and how long it held the write path.</summary>
    public void BatchCommitted(int units, TimeSpan duration)
    {
        _batchSize.Record(units);
        _batchDuration.Record(duration.TotalSeconds);
    }

    /// <summary>Records where an accepted state change took its dossier's rows from (kept or read), or that kept rows were stale.</summary>
    public void KeptRows(string source) => _keptRows.Add(1, new KeyValuePair<string, object?>("source", source));

    /// <summary>Records a checkpoint of the SQLite write-ahead log run beside the group commit.</summary>
    public void Checkpointed(TimeSpan duration) => _checkpointDuration.Record(duration.TotalSeconds);

    /// <summary>Records a wait for the write gate.</summary>
    public void GateWaited(TimeSpan wait) => _gateWait.Record(wait.TotalSeconds);

    /// <summary>Records a deadline fired <paramref name="late"/> after its instant.</summary>
    public void DeadlineFired(string kind, TimeSpan late) =>
        _deadlineLateness.Record(Math.Max(0, late.TotalSeconds), new KeyValuePair<string, object?>("kind", kind));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> Backlog(IServiceScopeFactory scopes)
    {
        long pending;
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
            pending = db.Outbox.AsNoTracking().LongCount(m => m.Status == OutboxStatuses.Pending);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException or ObjectDisposedException)
        {
            // A store that cannot be read gives no measurement; /health/ready reports the store itself.
            return [];
        }

        return [new Measurement<long>(pending)];
    }
}
