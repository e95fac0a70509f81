using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.HistoryImport;

/// <summary>
/// Runs history imports in the background, one after another, apart from the request that uploaded
/// the file; a server stopped mid-run resumes the run on start after the last line it committed.
/// </summary>
public sealed partial class ImportRunner(IServiceScopeFactory scopes, ILogger<ImportRunner> logger) : BackgroundService
{
    private readonly Channel<string> _queued = Channel.CreateUnbounded<string>();

    /// <summary>Asks for a run to be started.</summary>
    public void Wake(string runId) => _queued.Writer.TryWrite(runId);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
                foreach (var id in await db.ImportRuns.AsNoTracking()
                             .Where(r => r.Status == ImportStatuses.Pending || r.Status == ImportStatuses.Running)
                             .OrderBy(r => r.CreatedAt).Select(r => r.Id).ToListAsync(stoppingToken))
                {
                    Wake(id);
                }
            }

            await foreach (var runId in _queued.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<HistoryImporter>().RunAsync(runId, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The run stays Running with its committed lines; the next start resumes it.
                    RunFailed(logger, ex, runId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a run in progress resumes on the next start.
        }
    }

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "Import {RunId} stopped by a fault; it resumes on the next start")]
    private static partial void RunFailed(ILogger logger, Exception exception, string runId);
}
