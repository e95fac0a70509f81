using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Outbox;

/// <summary>
/// The background sender of the outbox: portal, e-mail and SMS messages alike.
/// </summary>
/// <remarks>
/// <para><b>Claims.</b> Each round takes due Pending messages that head their order (no earlier
/// message of the same dossier and channel is unsent) and claims them with one conditional update
/// (<c>ClaimedBy</c>, <c>ClaimedUntil</c>): of several server processes on one PostgreSQL database
/// exactly one wins each row, so no message is sent by two processes. A process that dies leaves
/// its claims to expire after <see cref="OutboxOptions.ClaimLease"/>; on SQLite, where one process
/// owns the store, a starting server releases them at once.</para>
/// <para><b>Order.</b> A message waits while an earlier one of its dossier and channel is unsent,
/// including one in the dead-letter list: the portal never sees a dossier's statuses out of order.</para>
/// <para><b>Retries.</b> Each claimed message runs through a Polly pipeline: a timeout per try inside
/// a retry with exponential back-off and jitter, up to <see cref="OutboxOptions.MaxAttempts"/> tries
/// counted across restarts (every failed try is written down before the wait, with the claim
/// extended over it). A refusal of the content itself, or the last failed try, moves the message to
/// the dead-letter list; an administrator replays it from there.</para>
/// <para><b>Content.</b> The body was fixed when the change committed; a retry or a send after a
/// crash sends the same bytes, with the message id, so a repeat is recognisable.</para>
/// </remarks>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes,
    IEnumerable<IOutboxTransport> transports,
    OutboxSignal signal,
    IOptionsMonitor<OutboxOptions> options,
    TimeProvider clock,
    WriteGate gate,
    StoreOptions store,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int MaxErrorLength = 2000;

    private readonly Dictionary<string, IOutboxTransport> _transports = transports.ToDictionary(t => t.Channel, StringComparer.Ordinal);
    private readonly ConcurrentQueue<Delivered> _delivered = new();
    private readonly SemaphoreSlim _recording = new(1, 1);
    private int _round;

    /// <summary>This process's name on its claims.</summary>
    public string InstanceId { get; } = $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.SenderEnabled)
        {
            return;
        }

        try
        {
            await ReleaseOrphanedClaimsAsync(stoppingToken);
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            var settings = options.CurrentValue;
            var free = Math.Max(1, settings.Workers) - running.Count;
            IReadOnlyList<OutboxMessage> claimed = [];
            if (free > 0)
            {
                try
                {
                    claimed = await ClaimAsync(Math.Min(free, Math.Max(1, settings.BatchSize)), stoppingToken);
                }
                catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
                {
                    LogStoreError(logger, ex);
                }
            }

            foreach (var message in claimed)
            {
                running.Add(Task.Run(() => DeliverAsync(message, stoppingToken), CancellationToken.None));
            }

            if (claimed.Count == 0 || free - claimed.Count <= 0)
            {
                // Wait for a commit, a finished delivery (a free worker, a next message in order) or the poll.
                var wake = signal.WaitAsync(settings.PollInterval, stoppingToken);
                if (running.Count > 0 && free - claimed.Count <= 0)
                {
                    await Task.WhenAny(Task.WhenAny(running), wake);
                }
                else
                {
                    await wake;
                }
            }
        }

        await Task.WhenAll(running);
    }

    /// <summary>Claims up to <paramref name="limit"/> due messages that head their order.</summary>
    internal async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        var configured = _transports.Values.Where(t => t.Configured).Select(t => t.Channel).ToList();
        if (configured.Count == 0)
        {
            return [];
        }

        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var candidates = await db.Outbox.AsNoTracking()
            .Where(m => m.Status == OutboxStatuses.Pending && m.NextAttemptAt <= now && (m.ClaimedUntil == null || m.ClaimedUntil < now)
                && configured.Contains(m.Channel)
                && (m.OrderKey == null || !db.Outbox.Any(p => p.OrderKey == m.OrderKey && p.Position < m.Position && p.Status != OutboxStatuses.Sent)))
            .OrderBy(m => m.NextAttemptAt)
            .Take(limit)
            .Select(m => m.Id)
            .ToListAsync(cancellationToken);
        if (candidates.Count == 0)
        {
            return [];
        }

        var token = $"{InstanceId}-{Interlocked.Increment(ref _round)}";
        var until = now + options.CurrentValue.ClaimLease;
        using (await gate.EnterAsync(cancellationToken))
        {
            // The condition is checked again by the database row by row: of two processes that read
            // the same candidates, one updates each row and the other finds it claimed.
            await db.Outbox
                .Where(m => candidates.Contains(m.Id) && m.Status == OutboxStatuses.Pending && (m.ClaimedUntil == null || m.ClaimedUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ClaimedBy, token).SetProperty(m => m.ClaimedUntil, until), cancellationToken);
        }

        // Read back through the primary key: ClaimedBy has no index, and a filter on it alone scans
        // the whole table, which with a backlog of 100,000 messages cost more than the sends.
        return await db.Outbox.AsNoTracking().Where(m => candidates.Contains(m.Id) && m.ClaimedBy == token).OrderBy(m => m.NextAttemptAt).ToListAsync(cancellationToken);
    }

    private async Task DeliverAsync(OutboxMessage message, CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        var transport = _transports[message.Channel];
        var attempts = message.Attempts;
        var claim = message.ClaimedBy!;
        DeliveryResult result;
        try
        {
            var pipeline = Pipeline(settings, message, claim, a => attempts = a);
            result = await pipeline.ExecuteAsync(async ct => await transport.SendAsync(message, ct), stoppingToken);
            attempts++;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await ReleaseAsync(message.Id, claim, attempts);
            return;
        }
#pragma warning disable CA1031 // Any failure of the last try is recorded on the message, never lost.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            attempts++;
            result = new DeliveryResult(DeliveryOutcome.Transient, Describe(ex));
        }

        try
        {
            if (result.Outcome == DeliveryOutcome.Delivered)
            {
                await MarkSentAsync(message, claim, attempts);
            }
            else
            {
                await MarkDeadAsync(message, claim, attempts, result.Detail);
            }
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            // The claim expires and the message is tried again; its content is the same.
            LogStoreError(logger, ex);
        }
        finally
        {
            signal.Notify();
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _recording.Dispose();
        base.Dispose();
    }

    private ResiliencePipeline<DeliveryResult> Pipeline(OutboxOptions settings, OutboxMessage message, string claim, Action<int> setAttempts)
    {
        var builder = new ResiliencePipelineBuilder<DeliveryResult> { TimeProvider = clock };
        var retries = Math.Max(1, settings.MaxAttempts) - message.Attempts - 1;
        if (retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<DeliveryResult>
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.FirstRetryDelay,
                MaxDelay = settings.MaxRetryDelay,
                ShouldHandle = new PredicateBuilder<DeliveryResult>()
                    .Handle<Exception>(ex => ex is not OperationCanceledException || ex is TimeoutRejectedException)
                    .HandleResult(r => r.Outcome == DeliveryOutcome.Transient),
                OnRetry = async args =>
                {
                    var attempts = message.Attempts + args.AttemptNumber + 1;
                    setAttempts(attempts);
                    var error = args.Outcome.Exception is { } ex ? Describe(ex) : args.Outcome.Result?.Detail;
                    LogRetry(logger, message.Channel, message.Kind, message.Id, attempts, args.RetryDelay, error);
                    await RecordFailedTryAsync(message.Id, claim, attempts, error, args.RetryDelay, settings.ClaimLease);
                },
            });
        }

        return builder.AddTimeout(settings.AttemptTimeout).Build();
    }

    private async Task RecordFailedTryAsync(string id, string claim, int attempts, string? error, TimeSpan delay, TimeSpan lease)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
        using (await gate.EnterAsync(CancellationToken.None))
        {
            await db.Outbox.Where(m => m.Id == id && m.ClaimedBy == claim).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Attempts, attempts)
                .SetProperty(m => m.LastError, Trim(error))
                .SetProperty(m => m.NextAttemptAt, now + delay)
                .SetProperty(m => m.ClaimedUntil, now + delay + lease));
        }
    }

    /// <summary>
    /// Records a delivery as sent. Deliveries finishing together are recorded in one transaction
    /// (group commit): whoever finds no commit running takes every delivery queued by then, so a
    /// message costs a share of one durable commit instead of one each, which with one fsync per
    /// message was what bounded the sender. A crash before that commit re-sends the delivered
    /// messages with the same content and id, exactly as a crash between a send and its own commit.
    /// </summary>
    private async Task MarkSentAsync(OutboxMessage message, string claim, int attempts)
    {
        var delivered = new Delivered(message, claim, attempts);
        _delivered.Enqueue(delivered);
        await _recording.WaitAsync();
        try
        {
            if (!delivered.Recorded.Task.IsCompleted)
            {
                var batch = new List<Delivered>();
                while (_delivered.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                try
                {
                    await RecordSentAsync(batch);
                    batch.ForEach(d => d.Recorded.TrySetResult());
                }
#pragma warning disable CA1031 // Every waiting delivery gets the failure and handles it as a store error.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    batch.ForEach(d => d.Recorded.TrySetException(ex));
                }
            }
        }
        finally
        {
            _recording.Release();
        }

        await delivered.Recorded.Task;
    }

    private async Task RecordSentAsync(List<Delivered> batch)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
        using var pass = await gate.EnterAsync(CancellationToken.None);
        await using var transaction = await db.Database.BeginTransactionAsync();
        var recorded = new List<Delivered>(batch.Count);
        foreach (var (message, claim, attempts) in batch.Select(d => (d.Message, d.Claim, d.Attempts)))
        {
            var updated = await db.Outbox.Where(m => m.Id == message.Id && m.ClaimedBy == claim).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboxStatuses.Sent)
                .SetProperty(m => m.SentAt, now)
                .SetProperty(m => m.Attempts, attempts)
                .SetProperty(m => m.ClaimedBy, (string?)null)
                .SetProperty(m => m.ClaimedUntil, (DateTime?)null));
            if (updated == 0)
            {
                // The claim expired during a very slow try and another sender took the message: it may
                // be delivered twice, with the same content and message id.
                LogClaimLost(logger, message.Id);
                continue;
            }

            if (message.Channel == OutboxChannels.Portal && message is { DossierId: { } dossierId, NationalStatusCode: { } code })
            {
                var ack = await db.PortalAcks.SingleOrDefaultAsync(a => a.DossierId == dossierId);
                if (ack is null)
                {
                    db.PortalAcks.Add(new PortalAck { DossierId = dossierId, NationalStatusCode = code, Position = message.Position, AckedAt = now });
                }
                else if (ack.Position < message.Position)
                {
                    ack.NationalStatusCode = code;
                    ack.Position = message.Position;
                    ack.AckedAt = now;
                }

                // Saved at once (inside the transaction) so a later message of the same dossier in
                // this batch finds the row instead of adding a second one.
                await db.SaveChangesAsync();
            }

            if (message.NotificationId is { } notificationId)
            {
                await db.Notifications
                    .Where(n => n.Id == notificationId && n.DeliveredAt == null
                        && !db.Outbox.Any(m => m.NotificationId == notificationId && m.Status != OutboxStatuses.Sent))
                    .ExecuteUpdateAsync(s => s.SetProperty(n => n.DeliveredAt, now));
            }

            recorded.Add(new Delivered(message, claim, attempts));
        }

        await transaction.CommitAsync();
        foreach (var (message, _, attempts) in recorded.Select(d => (d.Message, d.Claim, d.Attempts)))
        {
            LogSent(logger, message.Channel, message.Kind, message.Id, message.DossierId, attempts);
        }
    }

    /// <summary>A delivery waiting to be recorded as sent, and the signal that it has been.</summary>
    private sealed record Delivered(OutboxMessage Message, string Claim, int Attempts)
    {
        public TaskCompletionSource Recorded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task MarkDeadAsync(OutboxMessage message, string claim, int attempts, string? error)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
        using (await gate.EnterAsync(CancellationToken.None))
        {
            await db.Outbox.Where(m => m.Id == message.Id && m.ClaimedBy == claim).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboxStatuses.Dead)
                .SetProperty(m => m.DeadAt, now)
                .SetProperty(m => m.Attempts, attempts)
                .SetProperty(m => m.LastError, Trim(error))
                .SetProperty(m => m.ClaimedBy, (string?)null)
                .SetProperty(m => m.ClaimedUntil, (DateTime?)null));
        }

        LogDead(logger, message.Channel, message.Kind, message.Id, message.DossierId, attempts, error);
    }

    private async Task ReleaseAsync(string id, string claim, int attempts)
    {
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
            using (await gate.EnterAsync(CancellationToken.None))
            {
                await db.Outbox.Where(m => m.Id == id && m.ClaimedBy == claim).ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.Attempts, attempts)
                    .SetProperty(m => m.ClaimedBy, (string?)null)
                    .SetProperty(m => m.ClaimedUntil, (DateTime?)null));
            }
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or ObjectDisposedException or System.Data.Common.DbException)
        {
            // Stopping: the claim expires by itself.
            LogStoreError(logger, ex);
        }
    }

    private async Task ReleaseOrphanedClaimsAsync(CancellationToken cancellationToken)
    {
        if (store.Provider != StoreProvider.Sqlite)
        {
            return;
        }

        // One process owns a SQLite store, so claims found at start are a dead process's.
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
        using (await gate.EnterAsync(cancellationToken))
        {
            await db.Outbox.Where(m => m.Status == OutboxStatuses.Pending && m.ClaimedBy != null)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimedUntil, (DateTime?)null), cancellationToken);
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        TimeoutRejectedException => $"no answer within {ex.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static string? Trim(string? error) => error is { Length: > MaxErrorLength } ? error[..MaxErrorLength] : error;

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Channel} {Kind} {MessageId} of dossier {DossierId} delivered after {Attempts} tries")]
    private static partial void LogSent(ILogger logger, string channel, string kind, string messageId, string? dossierId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Channel} {Kind} {MessageId}: try {Attempts} failed ({Error}); next try in {Delay}")]
    private static partial void LogRetry(ILogger logger, string channel, string kind, string messageId, int attempts, TimeSpan delay, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox {Channel} {Kind} {MessageId} of dossier {DossierId} moved to the dead-letter list after {Attempts} tries: {Error}")]
    private static partial void LogDead(ILogger logger, string channel, string kind, string messageId, string? dossierId, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {MessageId}: the claim expired during the try; another sender may deliver it again")]
    private static partial void LogClaimLost(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox sender could not read or write the store; it tries again")]
    private static partial void LogStoreError(ILogger logger, Exception exception);
}
