using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>
/// Where an open task stands against its step limit at an instant, from its row. The same rule as
/// the dossier view's <c>deadlineStatus</c> (DossierViews.DeadlineStatus), so an inbox and a dossier
/// never disagree.
/// </summary>
/// <remarks>
/// Judged from the due and warning instants, not from the fired notifications: it is exact at the
/// instant asked about (the sweep may run up to a sweep interval later), it is what a report at an
/// arbitrary instant needs, and it holds for a server that has been down. The notifications are the
/// events, for delivery and the feed.
/// </remarks>
public static class TaskUrgency
{
    /// <summary>Past its due instant.</summary>
    public const string Overdue = "Overdue";

    /// <summary>Past the warning share of its time.</summary>
    public const string Warning = "Warning";

    /// <summary>Within the warning share.</summary>
    public const string OnTrack = "OnTrack";

    /// <summary>Waiting for the applicant's supplement: the step's clock is stopped.</summary>
    public const string Paused = "Paused";

    /// <summary>The step has no counted limit.</summary>
    public const string NoLimit = "NoLimit";

    /// <summary>The status of a task row at <paramref name="now"/> (UTC).</summary>
    public static string Of(string taskStatus, DateTime? dueAt, DateTime? warnAt, DateTime now) => (taskStatus, dueAt, warnAt) switch
    {
        (_, null, _) => NoLimit,
        (TaskStatuses.AwaitingSupplement, _, _) => Paused,
        (_, { } due, _) when now > due => Overdue,
        (_, _, { } warn) when now >= warn => Warning,
        _ => OnTrack,
    };
}
