using Microsoft.Extensions.Options;
using Quartz;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>
/// Starts the Quartz scheduler once the server is up, and shuts it down (waiting for a running
/// sweep) when the server stops.
/// </summary>
/// <remarks>
/// Quartz's own hosted service builds the scheduler (job store, schema check, job and trigger
/// registration) before Kestrel listens, which put a quarter of a second or more on every start-up;
/// here that happens after <see cref="IHostApplicationLifetime.ApplicationStarted"/>, off the path to
/// the first request. Nothing is lost by starting late: the sweep reads the Deadlines table, so what
/// fell due meanwhile fires on the first run.
/// </remarks>
public sealed partial class DeadlineSchedulerHost(
    IServiceProvider services,
    ISchedulerRuntime runtime,
    IOptions<DeadlineOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<DeadlineSchedulerHost> logger) : IHostedService, IDisposable
{
    /// <summary>How long stopping waits for a running sweep.</summary>
    public static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(5);

    /// <summary>How long after a failed start the scheduler is started again; the wait doubles with each failure.</summary>
    public static readonly TimeSpan FirstRetryWait = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two tries to start the scheduler.</summary>
    public static readonly TimeSpan LastRetryWait = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _sync = new();
    private CancellationTokenRegistration _registration;
    private CancellationTokenRegistration _stoppingRegistration;
    private Task? _starting;
    private IScheduler? _scheduler;
    private bool _disposed;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStarted.Register(() =>
        {
            lock (_sync)
            {
                if (!_disposed && !_stopping.IsCancellationRequested)
                {
                    _starting = Task.Run(StartSchedulerAsync, CancellationToken.None);
                }
            }
        });

        // Fire nothing new from the moment the server starts stopping: the container may be
        // disposed soon after (WebApplicationFactory does not always wait for StopAsync).
        _stoppingRegistration = lifetime.ApplicationStopping.Register(() =>
        {
            if (_scheduler is { } scheduler)
            {
                _ = scheduler.Standby().AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? starting;
        lock (_sync)
        {
            // WebApplicationFactory can dispose the container before the host calls StopAsync.
            if (!_disposed)
            {
                _stopping.Cancel();
            }

            starting = _starting;
        }

        if (starting is not null)
        {
            await starting;
        }

        if (_scheduler is { } scheduler)
        {
            // A running sweep normally ends within a second; it is not waited for longer than
            // ShutdownWait, since its batch commits or rolls back whole either way (whatever it did
            // not fire fires on the next start). Waiting longer is worse than useless under
            // WebApplicationFactory, whose host can dispose the container while this still runs.
            // Quartz's shutdown itself is not bounded: it waits for its scheduler thread, which
            // retries releasing a trigger until its store answers (forever, if the database file
            // has been broken under the server). The waits below are therefore on the outside; a
            // scheduler that still has not stopped is left behind and dies with the process.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(ShutdownWait);
            try
            {
                await scheduler.Shutdown(waitForJobsToComplete: true, wait.Token).AsTask().WaitAsync(wait.Token);
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
                try
                {
                    await scheduler.Shutdown(waitForJobsToComplete: false, CancellationToken.None).AsTask().WaitAsync(ShutdownWait, CancellationToken.None);
                }
                catch (TimeoutException)
                {
                    LogAbandoned(logger, ShutdownWait.TotalSeconds * 2);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stopping.Cancel();
        }

        _registration.Dispose();
        _stoppingRegistration.Dispose();
        _stopping.Dispose();
    }

    private async Task StartSchedulerAsync()
    {
        // A store that does not answer at start-up (PostgreSQL restarting as the servers come up, a
        // lock held a moment too long) must not leave deadlines unfired until someone restarts the
        // server: starting is tried again, less often the longer it fails, until it works or the
        // server stops. The sweep catches up on whatever fell due meanwhile.
        var wait = FirstRetryWait;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Quartz takes a scheduler that failed while being built or started as shut down,
                // and its factory refuses to hand it out again: a later try builds a new one from
                // the same registration (and shuts down whatever the failed one left running).
                _scheduler = attempt == 1
                    ? await services.GetRequiredKeyedService<ISchedulerFactory>(options.Value.SchedulerName).GetScheduler(_stopping.Token)
                    : await runtime.Restart(options.Value.SchedulerName, new SchedulerRestartOptions { Start = false, DrainTimeout = ShutdownWait }, _stopping.Token);
                await _scheduler.Start(_stopping.Token);
                if (attempt > 1)
                {
                    LogStartedAfterRetries(logger, attempt);
                }

                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A scheduler that cannot start must not take the server down; it is logged and tried again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogStartFailed(logger, ex, attempt, wait.TotalSeconds);
            }

            try
            {
                await Task.Delay(wait, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            wait = wait * 2 < LastRetryWait ? wait * 2 : LastRetryWait;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The deadline scheduler (Quartz) did not stop within {Seconds} s (its store does not answer); the server stops without it. Deadlines due meanwhile fire on the next start")]
    private static partial void LogAbandoned(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The deadline scheduler (Quartz) did not start (attempt {Attempt}); deadlines do not fire until it does. Trying again in {Seconds} s")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, int attempt, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The deadline scheduler (Quartz) started at attempt {Attempt}; deadlines due meanwhile fire on its first sweep")]
    private static partial void LogStartedAfterRetries(ILogger logger, int attempt);
}
