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
}
