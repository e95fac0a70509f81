using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// What a test that waits for Quartz to fire by itself prints when it waited in vain: the sweep
/// trigger's row and the server's warnings and errors. Such a wait fails rarely, on a loaded CI
/// machine, and a bare "found 0" says nothing about whether the scheduler started, the trigger was
/// blocked or the sweep threw.
/// </summary>
public static class SchedulerDiagnostics
{
    public static async Task<string> DescribeAsync(ServerApp app)
    {
        var text = new StringBuilder();
        try
        {
            await using var store = app.OpenStore();
            // Unquoted, so the same statement reads SQLite's upper-case and PostgreSQL's lower-case tables.
            var triggers = await store.Database.SqlQueryRaw<string>(
                "SELECT TRIGGER_NAME || ' ' || TRIGGER_STATE || ' next ' || COALESCE(CAST(NEXT_FIRE_TIME AS TEXT), '-') || ' previous ' || COALESCE(CAST(PREV_FIRE_TIME AS TEXT), '-') AS \"Value\" FROM QRTZ_TRIGGERS")
                .ToListAsync();
            var now = app.Clock.GetUtcNow();
            text.Append("server clock ").Append(now.ToString("O", CultureInfo.InvariantCulture)).Append(" (ticks ").Append(now.UtcTicks).Append("); triggers (times in ticks): ").AppendJoin("; ", triggers);
        }
#pragma warning disable CA1031 // A diagnostic must not hide the failure it describes.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            text.Append("the trigger could not be read: ").Append(ex.Message);
        }

        var problems = app.Log.Problems;
        text.AppendLine().Append("server warnings and errors: ")
            .Append(problems.Count == 0 ? "none" : Environment.NewLine + string.Join(Environment.NewLine, problems.TakeLast(20)));
        return text.ToString();
    }

    /// <summary>
    /// Waits until Quartz has run its first sweep (the one at start) to the end. A test that moves its
    /// hand-held clock while that sweep still runs would see the next sweep set one interval after the
    /// new time, on a clock that then stands still: it would never come.
    /// </summary>
    public static async Task FirstSweepDoneAsync(ServerApp app)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var store = app.OpenStore();
            var done = await store.Database.SqlQueryRaw<int>(
                "SELECT COUNT(*) AS \"Value\" FROM QRTZ_TRIGGERS WHERE PREV_FIRE_TIME IS NOT NULL AND PREV_FIRE_TIME > 0 AND TRIGGER_STATE IN ('WAITING', 'ACQUIRED')")
                .SingleAsync();
            if (done > 0)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Quartz did not finish its first sweep within 30 s: {await DescribeAsync(app)}");
    }
}
