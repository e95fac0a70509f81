using System.Threading.Channels;

namespace ProcessServer.Host.Features.MigrateDossiers;

/// <summary>
/// Runs migration plans in the background, apart from the request that started them: an
/// administrator's client giving up does not stop a run, and a server stopped or killed mid-run
/// resumes it on start (the pending results are in the store). Plans run one after another.
/// </summary>
public sealed partial class MigrationRunner(IServiceScopeFactory scopes, ILogger<MigrationRunner> logger) : BackgroundService
{
    private readonly Channel<string> _started = Channel.CreateUnbounded<string>();

    /// <summary>Asks for a started plan to be run.</summary>
    public void Wake(string planId) => _started.Writer.TryWrite(planId);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                foreach (var planId in await scope.ServiceProvider.GetRequiredService<DossierMigrationService>().RunningPlansAsync(stoppingToken))
                {
                    Wake(planId);
                }
            }

            await foreach (var planId in _started.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var services = scope.ServiceProvider;
                    await services.GetRequiredService<DossierMigrationService>()
                        .RunPendingAsync(planId, services.GetRequiredService<MigrateDossierHandler>(), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The plan stays Running with its pending results; the next start resumes it.
                    RunFailed(logger, ex, planId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: whatever is pending resumes on the next start.
        }
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Migration plan {PlanId} stopped by a fault; it resumes on the next start")]
    private static partial void RunFailed(ILogger logger, Exception exception, string planId);
}
