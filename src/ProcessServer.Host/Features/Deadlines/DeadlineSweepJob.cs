using Quartz;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>
/// The one Quartz job of the server: runs a <see cref="DeadlineSweeper"/> sweep. Quartz builds it in
/// a DI scope of its own per run, so the sweep gets a fresh DbContext each time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class DeadlineSweepJob(DeadlineSweeper sweeper) : IJob
{
    /// <summary>Job identity in the Quartz tables.</summary>
    public static readonly JobKey Key = new("deadline-sweep", "process-server");

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var result = await sweeper.SweepAsync(cancellationToken);
        context.Result = result;
    }
}
