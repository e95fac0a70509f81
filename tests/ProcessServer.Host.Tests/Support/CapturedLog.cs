using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// The warnings and errors a test server logged, kept in memory: the server's Serilog logger takes
/// every <see cref="ILogEventSink"/> registered in its services (ReadFrom.Services), so a test can
/// read what went wrong inside the server without a log file.
/// </summary>
public sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<string> _problems = new();

    /// <summary>Each warning or error as one line: level, source, message and the exception's message.</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    public void Emit(LogEvent logEvent)
    {
        if (logEvent.Level < LogEventLevel.Warning)
        {
            return;
        }

        var source = logEvent.Properties.TryGetValue("SourceContext", out var context) ? context.ToString().Trim('"') : "?";
        var line = $"{logEvent.Level} {source}: {logEvent.RenderMessage(CultureInfo.InvariantCulture)}";
        _problems.Enqueue(logEvent.Exception is { } ex ? $"{line} ({ex.GetType().Name}: {ex.Message})" : line);
    }
}
