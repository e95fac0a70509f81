namespace ProcessServer.Host.Features.Outbox;

/// <summary>
/// Wakes the sender when a change with messages commits, so a message leaves within milliseconds
/// rather than at the next poll; the poll still finds everything (other processes' messages too).
/// </summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Something was committed.</summary>
    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every commit since.
        }
        catch (ObjectDisposedException)
        {
            // The server is stopping.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _signal.Dispose();

    /// <summary>Waits for a signal or the timeout.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await _signal.WaitAsync(timeout, cancellationToken);
}
