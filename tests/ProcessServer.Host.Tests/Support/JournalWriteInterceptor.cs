using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// Catches the next journal insert once armed — the last statement of a transition's transaction —
/// and either fails it, as a crash mid-write would, or holds it until released, so a test can act
/// while a transition is in flight. Disarms itself after catching one.
/// </summary>
public sealed class JournalWriteInterceptor(bool hold = false) : DbCommandInterceptor
{
    private readonly TaskCompletionSource _caught = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the next journal insert is caught.</summary>
    public bool Armed { get; set; }

    /// <summary>Whether a journal insert was caught.</summary>
    public bool Fired => _caught.Task.IsCompleted;

    /// <summary>Completes when a journal insert is caught (failed, or held).</summary>
    public Task FiredAsync() => _caught.Task.WaitAsync(TimeSpan.FromMinutes(1));

    /// <summary>Lets a held insert go on.</summary>
    public void Release() => _released.TrySetResult();

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await CatchAsync(command);
        return await base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    /// <inheritdoc />
    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await CatchAsync(command);
        return await base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    private async Task CatchAsync(DbCommand command)
    {
        if (!Armed || !command.CommandText.Contains("INSERT INTO \"Journal\"", StringComparison.Ordinal))
        {
            return;
        }

        Armed = false;
        _caught.TrySetResult();
        if (!hold)
        {
            throw new IOException("simulated crash while writing the journal");
        }

        await _released.Task;
    }
}
