using System.Globalization;
using Microsoft.Extensions.Options;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.CitizenLookup;
using ProcessServer.Host.Features.Notifications;
using ProcessServer.Host.Features.PortalSync;
using ProcessServer.Host.Features.Reports;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Outbox;

/// <summary>A dossier change as it is about to be committed.</summary>
/// <param name="Dossier">The dossier row with the change applied.</param>
/// <param name="PreviousNationalCode">Its national status code before the change; 0 for a receipt.</param>
/// <param name="Added">The journal entries the change adds.</param>
/// <param name="Workflow">The definition version the dossier runs on.</param>
/// <param name="Actor">Who made the change.</param>
/// <param name="Now">Server time of the change (UTC).</param>
public sealed record StagedChange(
    Dossier Dossier,
    int PreviousNationalCode,
    IReadOnlyList<JournalEntry> Added,
    CompiledWorkflow Workflow,
    string Actor,
    DateTime Now);

/// <summary>
/// Stages the messages a dossier change owes the outside world on the change's own context, so
/// they are committed in the same transaction as the change (or not at all): the national portal's
/// dossier record at receipt, a progress record at each change of national status, the record with
/// its end dates when the result is ready, returned or the dossier stopped, the record again when
/// an apology moves the appointment; and the applicant's e-mail and SMS on receipt, supplement
/// request, apology and result ready. Also the officers' messages of a fired deadline.
/// </summary>
/// <remarks>
/// Called from the one write path (<see cref="Transitions.DossierTransitions"/> and the receipt),
/// so every use case, present and future, reports its changes without knowing about the portal.
/// Messages of one dossier and channel carry the journal position of the change, and the sender
/// delivers them in that order.
/// </remarks>
public sealed class OutboxStaging(
    IOptionsMonitor<PortalOptions> portal,
    IOptionsMonitor<NotificationOptions> notifications,
    IOptionsMonitor<List<FieldOptions>> fields,
    IOptionsMonitor<LookupOptions> lookup,
    UnitDirectory units,
    VietnamTime time)
{
    // Room for the messages of one channel that one change can stage (a status change and a result).
    private const int PositionsPerChange = 16;

    /// <summary>Stages the messages of a dossier change; returns how many.</summary>
    public int Stage(ProcessServerDbContext db, StagedChange change)
    {
        var messages = new List<OutboxMessage>();
        var journalPosition = change.Added.Count > 0 ? change.Added.Min(e => e.Sequence) : 0;
        if (portal.CurrentValue.Enabled)
        {
            messages.AddRange(PortalMessages(change, journalPosition));
        }

        messages.AddRange(ApplicantMessages(change, journalPosition));
        db.Outbox.AddRange(messages);
        return messages.Count;
    }

    /// <summary>Stages the officers' and leaders' messages of a fired deadline; returns how many.</summary>
    /// <param name="db">The sweep's context.</param>
    /// <param name="notification">The notification row being written.</param>
    /// <param name="receiptCode">The dossier's receipt code.</param>
    /// <param name="procedureName">Its procedure's name.</param>
    /// <param name="dueAt">The step's due instant (UTC).</param>
    public int StageDeadline(ProcessServerDbContext db, Notification notification, string receiptCode, string procedureName, DateTime? dueAt)
    {
        var options = notifications.CurrentValue;
        if (!options.Units.TryGetValue(notification.UnitCode, out var unit) || !(options.Email.Enabled || options.Gateway.Enabled))
        {
            return 0;
        }

        var kind = notification.Kind == Persistence.Entities.Deadlines.Overdue ? MessageKinds.Overdue : MessageKinds.Warning;
        var people = kind == MessageKinds.Overdue ? unit.Officers.Concat(unit.Leaders) : unit.Officers;
        var template = MessageTemplates.For(kind, options);
        var count = 0;
        foreach (var person in people)
        {
            var values = new Dictionary<string, string?>
            {
                ["recipientName"] = person.Name,
                ["receiptCode"] = receiptCode,
                ["procedureName"] = procedureName,
                ["taskTitle"] = notification.Title,
                ["unitName"] = units.Find(notification.UnitCode)?.Name ?? notification.UnitCode,
                ["dueAt"] = Local(dueAt ?? notification.FireAt),
                ["lookupUrl"] = lookup.CurrentValue.PublicUrl,
            };
            foreach (var message in Personal(options, template, kind, person.Email, person.Phone, values, notification.CreatedAt))
            {
                message.DossierId = notification.DossierId;
                message.NotificationId = notification.Id;
                db.Outbox.Add(message);
                count++;
            }
        }

        return count;
    }

    private IEnumerable<OutboxMessage> PortalMessages(StagedChange change, int journalPosition)
    {
        var dossier = change.Dossier;
        var kinds = new List<PortalPayloadKind>();
        if (change.PreviousNationalCode == 0)
        {
            kinds.Add(PortalPayloadKind.DossierReceived);
        }
        else if (change.PreviousNationalCode != dossier.NationalStatusCode)
        {
            kinds.Add(PortalPayloadKind.StatusChanged);
            if (dossier.NationalStatusCode is 8 or 9 or 10)
            {
                kinds.Add(PortalPayloadKind.Result);
            }
        }
        else if (change.Added.Any(e => e.Type == JournalEventTypes.ApologyIssued))
        {
            kinds.Add(PortalPayloadKind.DossierUpdated);
        }

        if (kinds.Count == 0)
        {
            yield break;
        }

        var options = portal.CurrentValue;
        var facts = Facts(change);
        for (var ordinal = 0; ordinal < kinds.Count; ordinal++)
        {
            var body = PortalPayloads.Build(kinds[ordinal], facts, options, time.Zone);
            yield return new OutboxMessage
            {
                Id = Guid.CreateVersion7().ToString(),
                Channel = OutboxChannels.Portal,
                Kind = kinds[ordinal].ToString(),
                OrderKey = $"{dossier.Id}:portal",
                Position = ((long)journalPosition * PositionsPerChange) + ordinal,
                DossierId = dossier.Id,
                NationalStatusCode = dossier.NationalStatusCode,
                Recipient = body["service"]!.GetValue<string>(),
                Body = body.ToJsonString(JsonBody.Options),
                Status = OutboxStatuses.Pending,
                CreatedAt = change.Now,
                NextAttemptAt = change.Now,
            };
        }
    }

    private PortalFacts Facts(StagedChange change)
    {
        var dossier = change.Dossier;
        var step = change.Added.LastOrDefault(e => e.Type is JournalEventTypes.TaskCompleted or JournalEventTypes.SupplementRequested or JournalEventTypes.SupplementReceived);
        var note = change.Added.LastOrDefault(e => !string.IsNullOrWhiteSpace(e.Comment))?.Comment
            ?? NationalNote(dossier.NationalStatusCode);
        var stepUnit = step?.UnitCode ?? dossier.ReceivingUnit;
        return new PortalFacts(
            dossier,
            change.Workflow.Document.Name,
            change.Workflow.Settings.NationalProcedureCode,
            FieldName(dossier.FieldCode),
            units.Find(dossier.ReceivingUnit)?.Name,
            step?.Actor ?? change.Actor,
            step?.Timestamp ?? change.Now,
            note,
            units.Find(stepUnit)?.Name ?? stepUnit,
            step?.StartedAt,
            step?.DataJson is { } data ? DueFrom(data) : null);
    }

    private IEnumerable<OutboxMessage> ApplicantMessages(StagedChange change, int journalPosition)
    {
        var options = notifications.CurrentValue;
        if (!options.Email.Enabled && !options.Gateway.Enabled)
        {
            yield break;
        }

        var dossier = change.Dossier;
        var kinds = new List<(string Kind, string? Reason)>();
        if (change.PreviousNationalCode == 0)
        {
            kinds.Add((MessageKinds.Receipt, null));
        }

        foreach (var entry in change.Added)
        {
            switch (entry.Type)
            {
                case JournalEventTypes.SupplementRequested:
                    kinds.Add((MessageKinds.SupplementRequested, entry.Comment));
                    break;
                case JournalEventTypes.ApologyIssued:
                    kinds.Add((MessageKinds.Apology, entry.Comment));
                    break;
                case JournalEventTypes.ResultReady:
                    kinds.Add((MessageKinds.ResultReady, null));
                    break;
            }
        }

        for (var ordinal = 0; ordinal < kinds.Count; ordinal++)
        {
            var (kind, reason) = kinds[ordinal];
            var values = new Dictionary<string, string?>
            {
                ["applicantName"] = dossier.ApplicantName,
                ["receiptCode"] = dossier.ReceiptCode,
                ["procedureName"] = change.Workflow.Document.Name,
                ["unitName"] = units.Find(dossier.ReceivingUnit)?.Name ?? dossier.ReceivingUnit,
                ["receivedAt"] = Local(dossier.ReceivedAt),
                ["appointmentAt"] = Local(dossier.AppointmentAt),
                ["newAppointmentAt"] = Local(dossier.ApologyDueAt),
                ["reason"] = reason,
                ["lookupUrl"] = lookup.CurrentValue.LinkFor(dossier.ReceiptCode),
            };
            foreach (var message in Personal(options, MessageTemplates.For(kind, options), kind, dossier.ApplicantEmail, dossier.ApplicantPhone, values, change.Now))
            {
                message.DossierId = dossier.Id;
                message.OrderKey = $"{dossier.Id}:{message.Channel}";
                message.Position = ((long)journalPosition * PositionsPerChange) + ordinal;
                yield return message;
            }
        }
    }

    private static IEnumerable<OutboxMessage> Personal(NotificationOptions options, MessageTemplate template, string kind, string? email, string? phone,
        IReadOnlyDictionary<string, string?> values, DateTime now)
    {
        if (options.Email.Enabled && !string.IsNullOrWhiteSpace(email))
        {
            yield return New(OutboxChannels.Email, kind, email.Trim(), MessageTemplates.Render(template.Subject, values), MessageTemplates.Render(template.Email, values), now);
        }

        if (options.Gateway.Enabled && !string.IsNullOrWhiteSpace(phone))
        {
            yield return New(OutboxChannels.Sms, kind, phone.Trim(), null, MessageTemplates.Render(template.Sms, values), now);
        }
    }

    private static OutboxMessage New(string channel, string kind, string recipient, string? subject, string body, DateTime now) => new()
    {
        Id = Guid.CreateVersion7().ToString(),
        Channel = channel,
        Kind = kind,
        Recipient = recipient,
        Subject = subject,
        Body = body,
        Status = OutboxStatuses.Pending,
        CreatedAt = now,
        NextAttemptAt = now,
    };

    private string? FieldName(string? code) =>
        code is null ? null : fields.CurrentValue.FirstOrDefault(f => f.Code == code)?.Name ?? code;

    private string? Local(DateTime? utc) =>
        utc is { } at ? time.ToLocal(at).ToString("HH:mm 'ngày' dd/MM/yyyy", CultureInfo.InvariantCulture) : null;

    private static DateTime? DueFrom(string dataJson)
    {
        var data = System.Text.Json.Nodes.JsonNode.Parse(dataJson);
        return data?["dueAt"]?.GetValue<DateTime>() is { } due ? DateTime.SpecifyKind(due, DateTimeKind.Utc) : null;
    }

    private static string NationalNote(int code) => code switch
    {
        2 => "Tiếp nhận hồ sơ",
        4 => "Đang xử lý",
        5 => "Yêu cầu bổ sung giấy tờ",
        6 => "Yêu cầu thực hiện nghĩa vụ tài chính",
        8 => "Dừng xử lý",
        9 => "Đã xử lý xong",
        10 => "Đã trả kết quả",
        _ => "Cập nhật hồ sơ",
    };
}
