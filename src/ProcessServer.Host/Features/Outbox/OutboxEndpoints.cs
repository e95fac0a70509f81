using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Outbox;

/// <summary>An outbox message as administrators see it.</summary>
/// <param name="Id">Message id (also sent to the receiver, so repeats are recognisable).</param>
/// <param name="Channel">Portal, Email or Sms.</param>
/// <param name="Kind">What it says.</param>
/// <param name="DossierId">The dossier it is about.</param>
/// <param name="Recipient">Address, phone, or the portal service.</param>
/// <param name="Subject">E-mail subject.</param>
/// <param name="Body">The content as sent.</param>
/// <param name="Status">Pending, Sent or Dead.</param>
/// <param name="Attempts">Tries so far.</param>
/// <param name="CreatedAt">When the change committed (UTC).</param>
/// <param name="NextAttemptAt">Earliest next try (UTC).</param>
/// <param name="SentAt">When the receiver took it (UTC).</param>
/// <param name="DeadAt">When it moved to the dead-letter list (UTC).</param>
/// <param name="LastError">The last failure.</param>
/// <param name="ReplayedBy">Who last replayed it.</param>
/// <param name="ReplayedAt">When (UTC).</param>
public sealed record OutboxItem(
    string Id,
    string Channel,
    string Kind,
    string? DossierId,
    string Recipient,
    string? Subject,
    string Body,
    string Status,
    int Attempts,
    DateTime CreatedAt,
    DateTime NextAttemptAt,
    DateTime? SentAt,
    DateTime? DeadAt,
    string? LastError,
    string? ReplayedBy,
    DateTime? ReplayedAt);

/// <summary>A page of outbox messages.</summary>
/// <param name="Items">Messages, oldest first.</param>
/// <param name="NextCursor">Pass as cursor to read on; null on the last page.</param>
public sealed record OutboxPage(IReadOnlyList<OutboxItem> Items, string? NextCursor);

/// <summary>A dossier whose status on the portal is not (yet) its current one.</summary>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code (MaHoSo).</param>
/// <param name="CurrentStatus">National status code now.</param>
/// <param name="AcknowledgedStatus">Last status the portal took; null when it has taken nothing.</param>
/// <param name="AcknowledgedAt">When (UTC).</param>
/// <param name="PendingMessages">Portal messages still to send.</param>
/// <param name="DeadMessages">Portal messages in the dead-letter list (they hold back the rest of the dossier).</param>
/// <param name="UpdatedAt">When the dossier last changed (UTC).</param>
public sealed record ReconciliationItem(
    string DossierId,
    string ReceiptCode,
    int CurrentStatus,
    int? AcknowledgedStatus,
    DateTime? AcknowledgedAt,
    int PendingMessages,
    int DeadMessages,
    DateTime UpdatedAt);

/// <summary>A page of the reconciliation list.</summary>
/// <param name="Items">Dossiers, by id.</param>
/// <param name="NextCursor">Pass as cursor to read on; null on the last page.</param>
public sealed record ReconciliationPage(IReadOnlyList<ReconciliationItem> Items, string? NextCursor);

/// <summary>Administration of the outbox: the dead-letter list, replay, and reconciliation with the portal.</summary>
public static class OutboxEndpoints
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Outbox").RequireAuthorization(Policies.Administrator);
        group.MapGet("/outbox", ListAsync)
            .WithName("ListOutbox")
            .WithSummary("Outbox messages: the dead-letter list (status=Dead), the queue (Pending) or what was sent")
            .Produces<OutboxPage>()
            .ProducesValidationProblem();
        group.MapPost("/outbox/{id}/replay", ReplayAsync)
            .WithName("ReplayOutboxMessage")
            .WithSummary("Sends a dead-lettered message again, with its tries reset")
            .Produces<OutboxItem>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/portal/reconciliation", ReconcileAsync)
            .WithName("PortalReconciliation")
            .WithSummary("Dossiers whose last status acknowledged by the national portal differs from the current one")
            .Produces<ReconciliationPage>()
            .ProducesValidationProblem();
    }

    private static async Task<IResult> ListAsync(ProcessServerDbContext db, string? status, string? channel, string? dossier, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && status is not (OutboxStatuses.Pending or OutboxStatuses.Sent or OutboxStatuses.Dead))
        {
            errors["status"] = ["status must be Pending, Sent or Dead."];
        }

        if (channel is not null && !OutboxChannels.All.Contains(channel))
        {
            errors["channel"] = [$"channel must be one of {string.Join(", ", OutboxChannels.All)}."];
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The outbox query is not valid", errors);
        }

        var take = limit ?? DefaultLimit;
        var query = db.Outbox.AsNoTracking();
        query = status is null ? query : query.Where(m => m.Status == status);
        query = channel is null ? query : query.Where(m => m.Channel == channel);
        query = dossier is null ? query : query.Where(m => m.DossierId == dossier);
        // Translated to SQL (binary comparison of the ids); never run in memory.
#pragma warning disable CA1309
        query = cursor is null ? query : query.Where(m => string.Compare(m.Id, cursor) > 0);
#pragma warning restore CA1309
        var rows = await query.OrderBy(m => m.Id).Take(take + 1).ToListAsync(cancellationToken);
        var page = rows.Take(take).Select(ToItem).ToList();
        return TypedResults.Ok(new OutboxPage(page, rows.Count > take ? page[^1].Id : null));
    }

    private static async Task<IResult> ReplayAsync(string id, HttpContext http, ProcessServerDbContext db, WriteGate gate, TimeProvider clock, OutboxSignal signal, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(cancellationToken))
        {
            var replayed = await db.Outbox.Where(m => m.Id == id && m.Status == OutboxStatuses.Dead).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboxStatuses.Pending)
                .SetProperty(m => m.Attempts, 0)
                .SetProperty(m => m.NextAttemptAt, now)
                .SetProperty(m => m.ClaimedBy, (string?)null)
                .SetProperty(m => m.ClaimedUntil, (DateTime?)null)
                .SetProperty(m => m.ReplayedBy, caller.Name)
                .SetProperty(m => m.ReplayedAt, now), cancellationToken);
            var message = await db.Outbox.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
            if (message is null)
            {
                return Problems.Result(StatusCodes.Status404NotFound, "Message not found", $"No outbox message has id '{id}'. GET /api/outbox?status=Dead lists the dead-letter list.");
            }

            if (replayed == 0)
            {
                return Problems.Result(StatusCodes.Status409Conflict, "Not in the dead-letter list",
                    $"Message '{id}' is {message.Status}; only a message in the dead-letter list (Dead) can be replayed.");
            }

            signal.Notify();
            return TypedResults.Ok(ToItem(message));
        }
    }

    private static async Task<IResult> ReconcileAsync(ProcessServerDbContext db, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Validation("The reconciliation query is not valid", new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}."] });
        }

        var take = limit ?? DefaultLimit;
#pragma warning disable CA1309 // Translated to SQL (binary comparison of the ids).
        var rows = await (
                from d in db.Dossiers.AsNoTracking()
                join a in db.PortalAcks.AsNoTracking() on d.Id equals a.DossierId into acks
                from a in acks.DefaultIfEmpty()
                where (a == null || a.NationalStatusCode != d.NationalStatusCode) && (cursor == null || string.Compare(d.Id, cursor) > 0)
                orderby d.Id
                select new
                {
                    d.Id,
                    d.ReceiptCode,
                    d.NationalStatusCode,
                    Acked = a == null ? (int?)null : a.NationalStatusCode,
                    AckedAt = a == null ? (DateTime?)null : a.AckedAt,
                    Pending = db.Outbox.Count(m => m.DossierId == d.Id && m.Channel == OutboxChannels.Portal && m.Status == OutboxStatuses.Pending),
                    Dead = db.Outbox.Count(m => m.DossierId == d.Id && m.Channel == OutboxChannels.Portal && m.Status == OutboxStatuses.Dead),
                    d.UpdatedAt,
                })
            .Take(take + 1)
            .ToListAsync(cancellationToken);
#pragma warning restore CA1309
        var page = rows.Take(take)
            .Select(r => new ReconciliationItem(r.Id, r.ReceiptCode, r.NationalStatusCode, r.Acked, r.AckedAt, r.Pending, r.Dead, r.UpdatedAt))
            .ToList();
        return TypedResults.Ok(new ReconciliationPage(page, rows.Count > take ? page[^1].DossierId : null));
    }

    private static OutboxItem ToItem(OutboxMessage m) => new(m.Id, m.Channel, m.Kind, m.DossierId, m.Recipient, m.Subject, m.Body, m.Status,
        m.Attempts, m.CreatedAt, m.NextAttemptAt, m.SentAt, m.DeadAt, m.LastError, m.ReplayedBy, m.ReplayedAt);
}
