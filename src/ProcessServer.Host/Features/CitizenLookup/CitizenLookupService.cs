using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.CitizenLookup;

/// <summary>What an applicant sees of their dossier: no personal data, only where it is and when.</summary>
/// <param name="ReceiptCode">The receipt code.</param>
/// <param name="ProcedureName">The procedure.</param>
/// <param name="Status">The national status, in words.</param>
/// <param name="Summary">One sentence saying where the dossier is and what happens next.</param>
/// <param name="HeldBy">The agencies that hold the dossier now, with the step and since when.</param>
/// <param name="ReceivedAt">Receipt, local time text.</param>
/// <param name="AppointmentAt">The appointment in force (the apology's new date when there is one), local time text.</param>
/// <param name="Apology">The apology with the new appointment, when one was issued.</param>
/// <param name="Supplement">The documents asked for, while the dossier waits for them.</param>
/// <param name="Result">The result, once ready.</param>
/// <param name="StoppedAt">When processing stopped without a result, local time text.</param>
/// <param name="Rating">Whether the applicant can rate, and their rating.</param>
public sealed record LookupView(
    string ReceiptCode,
    string ProcedureName,
    LookupStatus Status,
    string Summary,
    IReadOnlyList<LookupHolder> HeldBy,
    string ReceivedAt,
    string? AppointmentAt,
    LookupApology? Apology,
    LookupSupplement? Supplement,
    LookupResult? Result,
    string? StoppedAt,
    LookupRating Rating);

/// <summary>National status code and its Vietnamese name.</summary>
public sealed record LookupStatus(int Code, string Text);

/// <summary>An agency holding the dossier.</summary>
public sealed record LookupHolder(string Agency, string Step, string Since);

/// <summary>The apology and new appointment (form 04).</summary>
public sealed record LookupApology(string NewAppointmentAt, string Reason);

/// <summary>The documents asked for.</summary>
public sealed record LookupSupplement(string RequestedAt, string? Request, string Agency);

/// <summary>The result.</summary>
public sealed record LookupResult(string ReadyAt, string? ReturnedAt, string? Verdict, string Where);

/// <summary>Rating state.</summary>
public sealed record LookupRating(bool CanRate, bool? Satisfied, string? RatedAt);

/// <summary>An applicant's rating.</summary>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="Secret">The secret printed on the receipt.</param>
/// <param name="Satisfied">Satisfied (true) or not satisfied (false).</param>
/// <param name="Comment">Optional comment.</param>
public sealed record RatingRequest(string? ReceiptCode, string? Secret, bool? Satisfied, string? Comment);

/// <summary>The look-up request.</summary>
/// <param name="ReceiptCode">Receipt code (mã hồ sơ).</param>
/// <param name="Secret">The secret printed on the receipt (mã tra cứu).</param>
public sealed record LookupRequest(string? ReceiptCode, string? Secret);

/// <summary>How a rating went.</summary>
public enum RatingOutcome
{
    /// <summary>Stored.</summary>
    Recorded,

    /// <summary>No dossier with that code and secret (the same answer for either being wrong).</summary>
    NotFound,

    /// <summary>The result has not been returned yet.</summary>
    NotYet,

    /// <summary>Already rated.</summary>
    AlreadyRated,
}

/// <summary>
/// The citizens' look-up and rating: a receipt code and the secret printed on the receipt give the
/// status of a dossier in words, who holds it, the appointment, a supplement asked for and the
/// result; after the result is returned, one rating. HTTP-free.
/// </summary>
public sealed class CitizenLookupService(ProcessServerDbContext db, UnitDirectory units, VietnamTime time, WriteGate gate, TimeProvider clock)
{
    /// <summary>The dossier's public view, or null when the code or the secret is wrong (which one is not told).</summary>
    public async Task<LookupView?> LookupAsync(string receiptCode, string secret, CancellationToken cancellationToken)
    {
        var dossier = await FindAsync(receiptCode, secret, cancellationToken);
        if (dossier is null)
        {
            return null;
        }

        var state = DossierState.FromJson(dossier.StateJson);
        var journal = await db.Journal.AsNoTracking().Where(j => j.DossierId == dossier.Id).OrderBy(j => j.Sequence).ToListAsync(cancellationToken);
        var rating = await db.Ratings.AsNoTracking().SingleOrDefaultAsync(r => r.DossierId == dossier.Id, cancellationToken);
        var procedure = await DossierViews.ProcedureNameAsync(db, dossier.DefinitionVersionId, cancellationToken);
        var counter = UnitName(dossier.ReceivingUnit);

        var holders = state.IsClosed
            ? []
            : state.Tasks.Select(t => new LookupHolder(
                t.Kind == TaskKind.Payment ? "Người nộp hồ sơ (thực hiện nghĩa vụ tài chính)" : UnitName(t.UnitCode),
                t.Title,
                Local(t.CreatedAt)!)).ToList();

        LookupSupplement? supplement = null;
        if (state.Tasks.FirstOrDefault(t => t.Status == PendingTaskStatus.AwaitingSupplement) is { } waiting)
        {
            var request = journal.LastOrDefault(j => j.Type == JournalEventTypes.SupplementRequested && j.TaskId == waiting.Id);
            supplement = new LookupSupplement(Local(waiting.SupplementRequestedAt ?? request?.Timestamp)!, request?.Comment, UnitName(waiting.UnitCode));
        }

        LookupResult? result = dossier.ResultReadyAt is { } ready
            ? new LookupResult(Local(ready)!, Local(dossier.ReturnedAt), VerdictText(dossier.Verdict),
                dossier.ReturnedAt is null ? $"Mời Ông/Bà nhận kết quả tại {counter}." : "Kết quả đã được trả cho người nộp hồ sơ.")
            : null;
        var apology = state.Apology is { } a ? new LookupApology(Local(a.NewDueAt)!, a.Reason) : null;
        var status = DossierViews.National(dossier.NationalStatusCode);

        return new LookupView(
            dossier.ReceiptCode,
            procedure,
            new LookupStatus(status.Code, status.NameVi),
            Summary(dossier, holders, supplement, counter),
            holders,
            Local(dossier.ReceivedAt)!,
            Local(dossier.ApologyDueAt ?? dossier.AppointmentAt),
            apology,
            supplement,
            result,
            Local(dossier.StoppedAt),
            new LookupRating(dossier.ReturnedAt is not null && rating is null, rating?.Satisfied, Local(rating?.RatedAt)));
    }

    /// <summary>Records the applicant's one rating.</summary>
    public async Task<RatingOutcome> RateAsync(string receiptCode, string secret, bool satisfied, string? comment, CancellationToken cancellationToken)
    {
        var dossier = await FindAsync(receiptCode, secret, cancellationToken);
        if (dossier is null)
        {
            return RatingOutcome.NotFound;
        }

        if (dossier.ReturnedAt is null)
        {
            return RatingOutcome.NotYet;
        }

        using var pass = await gate.EnterAsync(cancellationToken);
        if (await db.Ratings.AnyAsync(r => r.DossierId == dossier.Id, cancellationToken))
        {
            return RatingOutcome.AlreadyRated;
        }

        db.Ratings.Add(new ServiceRating
        {
            DossierId = dossier.Id,
            ReceiptCode = dossier.ReceiptCode,
            UnitCode = dossier.ReceivingUnit,
            FieldCode = dossier.FieldCode,
            ProcedureCode = dossier.ProcedureCode,
            Satisfied = satisfied,
            Comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(),
            RatedAt = clock.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A second rating sent at the same moment (another server process) lost on the key.
            db.ChangeTracker.Clear();
            return RatingOutcome.AlreadyRated;
        }

        return RatingOutcome.Recorded;
    }

    private async Task<Dossier?> FindAsync(string receiptCode, string secret, CancellationToken cancellationToken)
    {
        var code = receiptCode.Trim().ToUpperInvariant();
        var dossier = await db.Dossiers.AsNoTracking().SingleOrDefaultAsync(d => d.ReceiptCode == code, cancellationToken);

        // A wrong code costs the same hash and comparison as a wrong secret, so timing tells nothing.
        var matches = LookupSecrets.Matches(dossier?.Id ?? "no-such-dossier", dossier?.LookupSecretHash, secret);
        return matches ? dossier : null;
    }

    private static string Summary(Dossier dossier, IReadOnlyList<LookupHolder> holders, LookupSupplement? supplement, string counter) => dossier.NationalStatusCode switch
    {
        10 => "Hồ sơ đã giải quyết xong và đã trả kết quả.",
        9 => $"Hồ sơ đã giải quyết xong. Mời Ông/Bà nhận kết quả tại {counter}.",
        8 => "Hồ sơ đã dừng xử lý.",
        5 when supplement is not null => $"Hồ sơ cần bổ sung, hoàn thiện. Đề nghị Ông/Bà bổ sung tại {supplement.Agency}.",
        6 => "Hồ sơ chờ Ông/Bà thực hiện nghĩa vụ tài chính (nộp thuế, phí, lệ phí).",
        _ when holders.Count > 0 => $"Hồ sơ đang được giải quyết tại: {string.Join("; ", holders.Select(h => $"{h.Agency} ({h.Step})").Distinct())}.",
        _ => "Hồ sơ đang được giải quyết.",
    };

    private string UnitName(string code) => units.Find(code)?.Name ?? code;

    private string? Local(DateTime? utc) =>
        utc is { } at ? time.ToLocal(at).ToString("HH:mm 'ngày' dd/MM/yyyy", CultureInfo.InvariantCulture) : null;

    private static string? VerdictText(string? verdict) => verdict switch
    {
        "Early" => "Trước hạn",
        "OnTime" => "Đúng hạn",
        "Late" => "Quá hạn",
        _ => null,
    };
}
