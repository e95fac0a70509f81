namespace ProcessServer.Host.Features.Deadlines;

/// <summary>Deadline sweep settings (configuration section <c>ProcessServer:Deadlines</c>).</summary>
public sealed class DeadlineOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "ProcessServer:Deadlines";

    /// <summary>
    /// Whether Quartz runs the sweep. Off, nothing fires by itself (the sweeper can still be called);
    /// for tools that open the database without wanting events fired.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Pause between the end of one sweep and the start of the next (default 1 s).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deadlines fired per transaction; a sweep runs batches until nothing due is left.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Quartz scheduler name, i.e. the SCHED_NAME of its rows. Every server on one database must use
    /// the same name to share the one sweep job; servers on different databases may share it too.
    /// </summary>
    public string SchedulerName { get; set; } = "ProcessServer";
}
