namespace ProcessServer.Persistence;

/// <summary>
/// Serialises write transactions inside this process when the store is SQLite. SQLite has one
/// writer at a time anyway; without the gate, concurrent writers collide and Microsoft.Data.Sqlite
/// resolves SQLITE_BUSY by sleeping and retrying, which turns a 5 ms write into a 150 ms one.
/// PostgreSQL handles concurrent writers itself, so the gate is open there.
/// </summary>
/// <param name="options">The store; the gate exists only for SQLite.</param>
/// <param name="metrics">Where the wait for the gate is recorded.</param>
public sealed class WriteGate(StoreOptions options, ServerMetrics? metrics = null) : IDisposable
{
    private readonly SemaphoreSlim? _semaphore = options.Provider == StoreProvider.Sqlite ? new SemaphoreSlim(1, 1) : null;

    /// <summary>Waits for the gate; dispose the result to leave.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (_semaphore is null)
        {
            return NoGate.Instance;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await _semaphore.WaitAsync(cancellationToken);
        metrics?.GateWaited(System.Diagnostics.Stopwatch.GetElapsedTime(started));

        return new Pass(_semaphore);
    }

    /// <inheritdoc />
    public void Dispose() => _semaphore?.Dispose();

    private sealed class Pass(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }

    private sealed class NoGate : IDisposable
    {
        public static readonly NoGate Instance = new();

        public void Dispose()
        {
        }
    }
}
