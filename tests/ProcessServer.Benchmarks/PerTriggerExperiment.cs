using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Quartz;

/// <summary>
/// The design not taken, measured: one Quartz trigger per deadline on the same persistent SQLite job
/// store. <c>count</c> one-shot triggers due over <c>seconds</c> seconds are scheduled on one durable job
/// (a single ScheduleJob call, its cheapest form), then the scheduler is started and the program reports
/// how long scheduling took and how late the firings were against their due instants.
/// </summary>
internal static class PerTriggerExperiment
{
    public static async Task RunAsync(int count, int seconds)
    {
        var work = Directory.CreateTempSubdirectory("processserver-bench-triggers-");
        var database = Path.Combine(work.FullName, "quartz.db");
        try
        {
            Console.WriteLine($"per-trigger: {count:N0} one-shot Quartz triggers due over {seconds} s, persistent SQLite job store (WAL)");
            await using (var connection = new SqliteConnection($"Data Source={database}"))
            {
                await connection.OpenAsync();
                await using var wal = connection.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync();
            }

            var scheduler = await QuartzSchedulerBuilder.Create(q =>
            {
                q.ConfigureScheduler(s => s.InstanceName = "per-trigger-experiment");
                q.UsePersistentStore(store =>
                {
                    store.UseSqlite($"Data Source={database}");
                    store.ProvisionSchema();
                    store.ConfigureStore(o => o.StoreJobDataAsStrings = true);
                });
            }).BuildScheduler();

            var job = JobBuilder.Create<RecordLateness>().WithIdentity("deadline").StoreDurably().Build();
            // Room for the scheduling itself (about 3,500 triggers a second here) before the first is due.
            var firstDue = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(count * 0.5);
            var step = TimeSpan.FromSeconds(seconds).Ticks / count;
            var triggers = Enumerable.Range(0, count).Select(i =>
            {
                var due = firstDue.AddTicks(step * i);
                return (ITrigger)TriggerBuilder.Create(TimeProvider.System)
                    .WithIdentity($"deadline-{i}")
                    .ForJob(job)
                    .StartAt(due)
                    .UsingJobData("due", due.UtcTicks.ToString(CultureInfo.InvariantCulture))
                    .Build();
            }).ToList();

            var scheduling = Stopwatch.StartNew();
            await scheduler.ScheduleJob(job, triggers, new ScheduleJobOptions { Replace = true });
            Console.WriteLine($"scheduled {count:N0} triggers in {scheduling.Elapsed.TotalSeconds:0.0} s ({count / scheduling.Elapsed.TotalSeconds:0} per second)");
            if (DateTimeOffset.UtcNow > firstDue)
            {
                Console.WriteLine("scheduling ran past the first due instant: those firings start late");
            }

            await scheduler.Start();
            var lastDue = firstDue.AddSeconds(seconds);
            while (RecordLateness.Lateness.Count < count && DateTimeOffset.UtcNow < lastDue + TimeSpan.FromSeconds(180))
            {
                await Task.Delay(500);
            }

            var done = DateTimeOffset.UtcNow;
            await scheduler.Shutdown(waitForJobsToComplete: false);
            var samples = RecordLateness.Lateness.ToList();
            samples.Sort();
            double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
            Console.WriteLine($"fired {samples.Count:N0} of {count:N0}; the last {(done - lastDue).TotalSeconds:0.0} s after the last was due");
            if (samples.Count > 0)
            {
                Console.WriteLine($"lateness (run - due): p50 {At(0.5) / 1000:0.000} s, p95 {At(0.95) / 1000:0.000} s, p99 {At(0.99) / 1000:0.000} s, max {samples[^1] / 1000:0.000} s");
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            work.Delete(recursive: true);
        }
    }

    /// <summary>A job that only records how late it runs.</summary>
    public sealed class RecordLateness : IJob
    {
        public static readonly ConcurrentBag<double> Lateness = [];

        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
        {
            var due = new DateTime(long.Parse(context.MergedJobDataMap.GetString("due")!, CultureInfo.InvariantCulture), DateTimeKind.Utc);
            Lateness.Add((DateTime.UtcNow - due).TotalMilliseconds);
            return ValueTask.CompletedTask;
        }
    }
}
