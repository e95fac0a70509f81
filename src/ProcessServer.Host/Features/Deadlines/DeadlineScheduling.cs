using Microsoft.Extensions.DependencyInjection.Extensions;
using ProcessServer.Persistence;
using Quartz;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>
/// Registers the deadline sweeper and the Quartz scheduler that runs it: one durable job, one
/// simple trigger, the persistent ADO.NET job store on the server's own database.
/// </summary>
/// <remarks>
/// <para>Why one sweep job rather than one Quartz trigger per deadline: see BENCHMARKS.md. In short,
/// the Deadlines table already holds every instant, in the same transaction as the transition that
/// made it; a trigger per deadline would be a second copy to keep in step (two writes per
/// transition, a Quartz transaction per firing) and 100,000 of them cost Quartz far more than one
/// indexed range scan per second costs the sweep.</para>
/// <para>Quartz reads the same injected <see cref="TimeProvider"/> as the rest of the server (the
/// system clock in production). Under a test's hand-moved clock the trigger's next run is one interval
/// after the last run on that clock, so the sweep runs by itself when the test moves the clock past
/// it; the sweep decides what is due from the same clock.</para>
/// </remarks>
public static class DeadlineScheduling
{
    /// <summary>Trigger identity in the Quartz tables.</summary>
    public static readonly TriggerKey TriggerKey = new("deadline-sweep-every-interval", "process-server");

    // Quartz refuses an idle wait under one second; thirty seconds is its default.
    private static readonly TimeSpan MinimumIdleWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumIdleWait = TimeSpan.FromSeconds(30);

    /// <summary>Adds the sweeper, and Quartz unless <see cref="DeadlineOptions.Enabled"/> is off.</summary>
    public static WebApplicationBuilder AddDeadlines(this WebApplicationBuilder builder, StoreOptions store)
    {
        var section = builder.Configuration.GetSection(DeadlineOptions.Section);
        builder.Services.Configure<DeadlineOptions>(section);
        builder.Services.AddScoped<DeadlineSweeper>();
        var options = section.Get<DeadlineOptions>() ?? new DeadlineOptions();
        if (options.SweepInterval < TimeSpan.FromMilliseconds(100) || options.BatchSize < 1)
        {
            throw new InvalidOperationException(
                $"ProcessServer:Deadlines is not valid: SweepInterval must be at least 00:00:00.1 (it is {options.SweepInterval}) and BatchSize at least 1 (it is {options.BatchSize}).");
        }

        if (!options.Enabled)
        {
            return builder;
        }

        // One write gate for the process, known now, so Quartz's SQLite connections can share it.
        var metrics = new ServerMetrics();
        var gate = new WriteGate(store, metrics);
        builder.Services.Replace(ServiceDescriptor.Singleton(metrics));
        builder.Services.Replace(ServiceDescriptor.Singleton(gate));
        // Registered under its name (its SCHED_NAME): Quartz can build a named scheduler again from
        // its registration (ISchedulerRuntime.Restart), which DeadlineSchedulerHost does when a start
        // fails; an unnamed one it cannot.
        builder.Services.AddQuartz(options.SchedulerName, q =>
        {
            q.ConfigureScheduler(s =>
            {
                // While the sweep runs its trigger is blocked (the job disallows concurrent runs), so
                // Quartz's scheduler thread finds nothing to acquire and sleeps for its idle wait
                // until the job's completion wakes it. Quartz's default idle wait is 30 s: a wake-up
                // that goes astray (quartznet issues 130 and 396 are this pair: a serial job on a
                // short interval) would leave every deadline up to 30 s late. Here the sleep is one
                // sweep interval, within Quartz's bounds (at least 1 s; at most its default); the
                // sweep trigger fires every interval anyway, so the scheduler rarely sleeps at all.
                s.IdleWaitTime = TimeSpan.FromTicks(Math.Clamp(options.SweepInterval.Ticks, MinimumIdleWait.Ticks, MaximumIdleWait.Ticks));
            });
            q.UsePersistentStore(persistent =>
            {
                if (store.Provider == StoreProvider.Postgres)
                {
                    // Several servers may share one PostgreSQL database: as a Quartz cluster they run
                    // the one sweep job in turn instead of each fighting over the same trigger rows
                    // (the sweep itself would still fire nothing twice).
                    persistent.UsePostgres(store.ConnectionString);
                    persistent.UseClustering();
                }
                else
                {
                    persistent.UseSqlite(new GatedSqliteFactory(gate), store.ConnectionString);
                }

                persistent.ConfigureStore(o =>
                {
                    o.StoreJobDataAsStrings = true;
                    o.SchemaProvisioning = SchemaProvisioning.Validate;
                });
            });

            q.AddJob<DeadlineSweepJob>(j => j
                .WithIdentity(DeadlineSweepJob.Key)
                .WithDescription("Fires due step deadlines (warnings and overdue events) into the notification outbox")
                .StoreDurably());
            q.AddTrigger<DeadlineSweepJob>(t => t
                .WithIdentity(TriggerKey)
                .ForJob(DeadlineSweepJob.Key)
                .StartNow()
                .WithSimpleSchedule(s => s
                    .WithInterval(options.SweepInterval)
                    .RepeatForever()
                    .MeasureIntervalFromCompletion()
                    // However late (downtime, a suspended machine, a clock moved on), the next sweep
                    // runs as soon as the scheduler can, without waiting for Quartz's misfire handler;
                    // measured from completion, a late trigger fires once, not once per missed second.
                    // The sweep itself catches up on everything due, whenever it runs.
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.IgnoreMisfires)));
        });
        // Started after the server is up (DeadlineSchedulerHost) rather than by Quartz's hosted
        // service, which builds the scheduler before Kestrel listens.
        builder.Services.AddHostedService<DeadlineSchedulerHost>();
        return builder;
    }
}
