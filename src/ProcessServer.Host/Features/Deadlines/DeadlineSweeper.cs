using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;
using DeadlineStates = ProcessServer.Persistence.Entities.Deadlines;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>What one sweep did.</summary>
/// <param name="Fired">Deadlines fired (one notification each).</param>
/// <param name="Batches">Transactions committed.</param>
/// <param name="Conflicts">Batches rolled back and re-read because another writer fired or cancelled one of their deadlines first.</param>
public sealed record SweepResult(int Fired, int Batches, int Conflicts);

/// <summary>
/// Fires due deadlines into the notification outbox, exactly once.
/// </summary>
/// <remarks>
/// <para>A sweep takes the pending deadlines whose <c>FireAt</c> is at or before now (the injected
/// clock), oldest first, in batches of <see cref="DeadlineOptions.BatchSize"/>. Each batch is one
/// transaction under the <see cref="WriteGate"/>: the deadlines become Fired (FiredAt = now) and one
/// notification row per deadline is inserted. Either both land or neither does.</para>
/// <para>Nothing fires twice: a deadline leaves Pending in the same transaction that writes its
/// notification; its Status column is a concurrency token, so a batch that raced another writer (a
/// second server on PostgreSQL, or a transition cancelling the deadline) fails as a whole and is read
/// again; and Notifications.DeadlineId is unique. Nothing is lost: the sweep reads the Deadlines table,
/// not timers, so after downtime every deadline already due fires on the first sweep. Cancelled
/// deadlines are never read.</para>
/// </remarks>
public sealed partial class DeadlineSweeper(
    ProcessServerDbContext db,
    WriteGate gate,
    TimeProvider clock,
    OutboxStaging outbox,
    OutboxSignal outboxSignal,
    IOptionsMonitor<DeadlineOptions> options,
    ServerMetrics metrics,
    ILogger<DeadlineSweeper> logger)
{
    private const int MaxConflictRetries = 5;

    /// <summary>Fires every deadline due now; returns what it did.</summary>
    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken = default)
    {
        var batchSize = Math.Max(1, options.CurrentValue.BatchSize);
        int fired = 0, batches = 0, conflicts = 0, conflictsInARow = 0;
        while (true)
        {
            int count;
            try
            {
                count = await FireBatchAsync(batchSize, cancellationToken);
            }
            catch (DbUpdateException ex) when (conflictsInARow < MaxConflictRetries)
            {
                // Another writer changed one of the batch's deadlines after it was read: the whole
                // batch rolled back, so read again and fire what is still pending.
                conflicts++;
                conflictsInARow++;
                LogConflict(logger, ex.Message);
                continue;
            }

            conflictsInARow = 0;
            if (count == 0)
            {
                break;
            }

            fired += count;
            batches++;
            if (count < batchSize)
            {
                break;
            }
        }

        if (fired > 0)
        {
            LogFired(logger, fired, batches);
        }

        return new SweepResult(fired, batches, conflicts);
    }

    private async Task<int> FireBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        using var pass = await gate.EnterAsync(cancellationToken);
        db.ChangeTracker.Clear();
        var now = clock.GetUtcNow().UtcDateTime;

        // Ordered by FireAt alone so the (Status, FireAt) index serves it without a sort, however
        // large the backlog after downtime.
        var due = await db.Deadlines
            .Where(d => d.Status == DeadlineStates.Pending && d.FireAt <= now)
            .OrderBy(d => d.FireAt)
            .Take(batchSize)
            .Select(d => new
            {
                Deadline = d,
                Title = db.Tasks.Where(t => t.Id == d.TaskId).Select(t => t.Title).FirstOrDefault(),
                Dossier = db.Dossiers.Where(x => x.Id == d.DossierId)
                    .Select(x => new { x.ReceiptCode, Procedure = db.WorkflowDefinitions.Where(w => w.Id == x.DefinitionVersionId).Select(w => w.Name).FirstOrDefault() })
                    .FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        var messages = 0;
        foreach (var (deadline, title, dossier) in due.Select(x => (x.Deadline, x.Title, x.Dossier)))
        {
            deadline.Status = DeadlineStates.Fired;
            deadline.FiredAt = now;
            metrics.DeadlineFired(deadline.Kind, now - deadline.FireAt);
            var notification = new Notification
            {
                Id = Guid.CreateVersion7().ToString(),
                DeadlineId = deadline.Id,
                Kind = deadline.Kind,
                DossierId = deadline.DossierId,
                TaskId = deadline.TaskId,
                UnitCode = deadline.UnitCode,
                Title = title ?? string.Empty,
                FireAt = deadline.FireAt,
                CreatedAt = now,
            };
            db.Notifications.Add(notification);

            // The officers' e-mails and SMS are written with the notification, in the same transaction.
            messages += outbox.StageDeadline(db, notification, dossier?.ReceiptCode ?? string.Empty, dossier?.Procedure ?? string.Empty,
                deadline.Kind == DeadlineStates.Overdue ? deadline.FireAt : null);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }

        if (messages > 0)
        {
            outboxSignal.Notify();
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fired {Count} deadline events in {Batches} transactions")]
    private static partial void LogFired(ILogger logger, int count, int batches);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A deadline batch met a concurrent change and is read again: {Reason}")]
    private static partial void LogConflict(ILogger logger, string reason);
}
