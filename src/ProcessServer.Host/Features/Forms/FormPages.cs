using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ProcessServer.Engine.Execution;
using ProcessServer.Persistence.Entities;
using QRCoder;

namespace ProcessServer.Host.Features.Forms;

/// <summary>Everything a form is printed from.</summary>
/// <param name="Dossier">The dossier row.</param>
/// <param name="State">Its engine state.</param>
/// <param name="ProcedureName">The procedure's name.</param>
/// <param name="Journal">Its journal, in order.</param>
/// <param name="UnitName">Unit code → official name.</param>
/// <param name="Local">UTC → local (Asia/Ho_Chi_Minh) wall-clock time.</param>
/// <param name="PrintedAt">When the form is printed (UTC).</param>
/// <param name="Place">Place name for the date line ("Bình Sơn, ngày ..."), may be empty.</param>
public sealed record FormFacts(
    Dossier Dossier,
    DossierState State,
    string ProcedureName,
    IReadOnlyList<JournalEntry> Journal,
    Func<string, string> UnitName,
    Func<DateTime, DateTime> Local,
    DateTime PrintedAt,
    string Place);

/// <summary>One line of the processing control slip (form 05): a hand-over.</summary>
/// <param name="Step">What was done.</param>
/// <param name="FromUnit">Unit handing over.</param>
/// <param name="Person">Who handed over.</param>
/// <param name="At">When (UTC): when the act happened, which a back-dated entry records apart from when it was written.</param>
/// <param name="ToUnits">Who received it.</param>
/// <param name="DueAt">The step's due instant (UTC), if it had a limit.</param>
/// <param name="Verdict">Early, OnTime or Late; null for a step without a limit.</param>
/// <param name="Note">Outcome and comment.</param>
public sealed record HandOver(string Step, string FromUnit, string Person, DateTime At, string ToUnits, DateTime? DueAt, string? Verdict, string? Note);

/// <summary>
/// The official forms of Circular 01/2018/TT-VPCP as print-ready HTML pages in Vietnamese: 01
/// receipt and appointment (A5, with the look-up secret and a QR code of the look-up link), 02
/// supplement request, 03 refusal, 04 apology with the new date, 05 processing control slip (A4).
/// The page's print CSS sets the paper; the same HTML prints from a browser or through Chromium to PDF.
/// </summary>
public static class FormPages
{
    /// <summary>Stylesheet shared by the forms (served at /forms/forms.css and inlined for PDF printing).</summary>
    public const string Css = """
        @page { size: A4 portrait; margin: 20mm 15mm 20mm 25mm; }
        @page slip { size: A5 portrait; margin: 10mm 12mm; }
        @page wide { size: A4 landscape; margin: 15mm 15mm 15mm 20mm; }
        body { font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 13pt; line-height: 1.35; color: #000; margin: 0; }
        body.a5 { page: slip; font-size: 11pt; }
        body.wide { page: wide; }
        .page { box-sizing: border-box; }
        @media screen {
          body { background: #d9d9d9; }
          .page { background: #fff; width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 20mm 15mm 20mm 25mm; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
          body.a5 .page { width: 148mm; min-height: 210mm; padding: 10mm 12mm; }
          body.wide .page { width: 297mm; min-height: 210mm; padding: 15mm 15mm 15mm 20mm; }
        }
        table.heading { width: 100%; border-collapse: collapse; margin-bottom: 6mm; }
        table.heading td { vertical-align: top; text-align: center; padding: 0; }
        td.agency { width: 42%; font-size: .92em; }
        td.nation { font-size: .92em; }
        .motto { font-weight: bold; text-decoration: underline; }
        .place { font-style: italic; margin-top: 3mm; }
        h1 { text-align: center; font-size: 1.15em; margin: 4mm 0 1mm; }
        .subtitle { text-align: center; font-weight: bold; margin: 0 0 4mm; }
        p { margin: 1.5mm 0; text-align: justify; }
        .fill { font-weight: bold; }
        .secret { font-family: "DejaVu Sans Mono", monospace; font-size: 1.3em; font-weight: bold; letter-spacing: .08em; border: 1px solid #000; padding: 0 2mm; }
        .lookup { display: flex; gap: 4mm; align-items: center; border: 1px dashed #000; padding: 2mm 3mm; margin: 3mm 0; }
        .lookup img { width: 30mm; height: 30mm; image-rendering: pixelated; }
        .lookup p { margin: 0; text-align: left; font-size: .92em; }
        table.signatures { width: 100%; margin-top: 6mm; text-align: center; }
        table.signatures td { vertical-align: top; width: 50%; }
        .sign-space { height: 18mm; }
        .small { font-size: .85em; font-style: italic; }
        table.slip { width: 100%; border-collapse: collapse; font-size: .8em; margin-top: 3mm; }
        table.slip th, table.slip td { border: 1px solid #000; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; }
        table.slip th { text-align: center; }
        table.slip td.verdict { text-align: center; font-weight: bold; white-space: nowrap; }
        table.slip td.when { white-space: nowrap; }
        .form-no { text-align: right; font-size: .8em; font-style: italic; margin: 0 0 2mm; }
        """;

    /// <summary>Form 01: receipt and appointment slip.</summary>
    public static string Receipt(FormFacts facts, string secret, string lookupLink)
    {
        var d = facts.Dossier;
        var body = new StringBuilder();
        body.Append(Heading(facts, "01"));
        body.Append("<h1>GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ</h1>");
        body.Append(Invariant($"<p class=\"subtitle\">Mã hồ sơ: {E(d.ReceiptCode)}</p>"));
        body.Append(Invariant($"<p>{E(facts.UnitName(d.ReceivingUnit))} tiếp nhận hồ sơ của: Ông/Bà <span class=\"fill\">{E(d.ApplicantName)}</span></p>"));
        body.Append(Invariant($"<p>Số giấy tờ tùy thân: {E(d.ApplicantIdNumber)}{(d.ApplicantPhone is null ? string.Empty : $"; Điện thoại: {E(d.ApplicantPhone)}")}</p>"));
        body.Append(Invariant($"<p>Nội dung yêu cầu giải quyết: <span class=\"fill\">{E(facts.ProcedureName)}</span></p>"));
        body.Append(Invariant($"<p>Hình thức nộp: {E(ChannelText(d.Channel))}</p>"));
        body.Append(Invariant($"<p>Thời gian nhận hồ sơ: <span class=\"fill\">{E(Clock(facts, d.ReceivedAt))}</span></p>"));
        body.Append(Invariant($"<p>Thời gian trả kết quả giải quyết hồ sơ: <span class=\"fill\">{E(d.AppointmentAt is { } at ? Clock(facts, at) : "trong ngày")}</span></p>"));
        body.Append(Invariant($"<p>Nhận kết quả tại: {E(facts.UnitName(d.ReceivingUnit))}</p>"));
        body.Append("<div class=\"lookup\">");
        body.Append(Invariant($"<img alt=\"Mã QR tra cứu hồ sơ\" src=\"data:image/png;base64,{Convert.ToBase64String(QrPng(lookupLink))}\">"));
        body.Append(Invariant($"<div><p>Mã tra cứu: <span class=\"secret\">{E(secret)}</span></p>"));
        body.Append(Invariant($"<p>Tra cứu tình trạng hồ sơ tại {E(lookupLink.Split('?')[0])} bằng mã hồ sơ và mã tra cứu, hoặc quét mã QR.</p>"));
        body.Append("<p class=\"small\">Giữ kín mã tra cứu: ai có mã này đều xem được tình trạng hồ sơ.</p></div></div>");
        body.Append(Signatures("NGƯỜI NỘP HỒ SƠ", d.ApplicantName, "NGƯỜI TIẾP NHẬN HỒ SƠ", Receiver(facts)));
        return Document(facts, "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", body.ToString(), a5: true);
    }

    /// <summary>Form 02: request to supplement the dossier; null when nothing was asked for.</summary>
    public static string? Supplement(FormFacts facts)
    {
        var request = facts.Journal.LastOrDefault(j => j.Type == JournalEventTypes.SupplementRequested);
        if (request is null)
        {
            return null;
        }

        var d = facts.Dossier;
        var body = new StringBuilder();
        body.Append(Heading(facts, "02"));
        body.Append("<h1>PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ</h1>");
        body.Append(Invariant($"<p class=\"subtitle\">Mã hồ sơ: {E(d.ReceiptCode)}</p>"));
        body.Append(Invariant($"<p>{E(facts.UnitName(request.UnitCode ?? d.ReceivingUnit))} đã xem xét hồ sơ đề nghị giải quyết <span class=\"fill\">{E(facts.ProcedureName)}</span> của Ông/Bà <span class=\"fill\">{E(d.ApplicantName)}</span>, nhận lúc {E(Clock(facts, d.ReceivedAt))}.</p>"));
        body.Append("<p>Đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:</p>");
        body.Append(Invariant($"<p class=\"fill\">{E(request.Comment ?? "(xem hướng dẫn của cán bộ tiếp nhận)")}</p>"));
        body.Append(Invariant($"<p>Yêu cầu lập lúc {E(Clock(facts, request.Timestamp))}. Thời gian bổ sung, hoàn thiện hồ sơ không tính vào thời hạn giải quyết.</p>"));
        body.Append("<p>Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ cán bộ tiếp nhận để được hướng dẫn.</p>");
        body.Append(Signatures("NGƯỜI NỘP HỒ SƠ", d.ApplicantName, "NGƯỜI LẬP PHIẾU", request.Actor));
        return Document(facts, "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", body.ToString(), a5: false);
    }

    /// <summary>Form 03: refusal to receive or handle the dossier (refused at the counter check, or stopped later); null unless one of those happened.</summary>
    public static string? Refusal(FormFacts facts)
    {
        var stopped = facts.Journal.LastOrDefault(j => j.Type is JournalEventTypes.DossierStopped or JournalEventTypes.DossierRefused);
        if (stopped is null)
        {
            return null;
        }

        var atCounter = stopped.Type == JournalEventTypes.DossierRefused;

        // A stop by a step's outcome (Reject) carries its reason on the step's completion, not on the stop.
        var reason = atCounter
            ? stopped.Comment
            : facts.Journal.LastOrDefault(j => j.Type == JournalEventTypes.TaskCompleted && j.Sequence < stopped.Sequence && !string.IsNullOrWhiteSpace(j.Comment))?.Comment
              ?? stopped.Comment;
        var d = facts.Dossier;
        var body = new StringBuilder();
        body.Append(Heading(facts, "03"));
        body.Append("<h1>PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ</h1>");
        body.Append(Invariant($"<p class=\"subtitle\">Mã hồ sơ: {E(d.ReceiptCode)}</p>"));
        body.Append(atCounter
            ? Invariant($"<p>{E(facts.UnitName(d.ReceivingUnit))} đã kiểm tra hồ sơ đề nghị giải quyết <span class=\"fill\">{E(facts.ProcedureName)}</span> của Ông/Bà <span class=\"fill\">{E(d.ApplicantName)}</span> lúc {E(Clock(facts, stopped.Timestamp))}.</p>")
            : Invariant($"<p>{E(facts.UnitName(d.ReceivingUnit))} đã xem xét hồ sơ đề nghị giải quyết <span class=\"fill\">{E(facts.ProcedureName)}</span> của Ông/Bà <span class=\"fill\">{E(d.ApplicantName)}</span>.</p>"));
        body.Append(atCounter
            ? "<p>Theo quy định, hồ sơ của Ông/Bà không đủ điều kiện để tiếp nhận vì lý do sau:</p>"
            : "<p>Theo quy định, hồ sơ của Ông/Bà không đủ điều kiện để giải quyết vì lý do sau:</p>");
        body.Append(Invariant($"<p class=\"fill\">{E(reason ?? "(không ghi lý do)")}</p>"));
        body.Append(atCounter
            ? "<p>Hồ sơ không được tiếp nhận. Xin trân trọng thông báo.</p>"
            : Invariant($"<p>Hồ sơ dừng xử lý lúc {E(Clock(facts, d.StoppedAt ?? stopped.Timestamp))}. Xin trân trọng thông báo.</p>"));
        body.Append(Signatures("NGƯỜI NỘP HỒ SƠ", d.ApplicantName, "NGƯỜI LẬP PHIẾU", stopped.Actor));
        return Document(facts, "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", body.ToString(), a5: false);
    }

    /// <summary>Form 04: apology and new appointment; null when no apology was issued.</summary>
    public static string? Apology(FormFacts facts)
    {
        if (facts.State.Apology is not { } apology)
        {
            return null;
        }

        var d = facts.Dossier;
        var body = new StringBuilder();
        body.Append(Heading(facts, "04"));
        body.Append("<h1>PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ</h1>");
        body.Append(Invariant($"<p class=\"subtitle\">Mã hồ sơ: {E(d.ReceiptCode)}</p>"));
        body.Append(Invariant($"<p>Ngày {E(Day(facts, d.ReceivedAt))}, {E(facts.UnitName(d.ReceivingUnit))} tiếp nhận hồ sơ đề nghị giải quyết <span class=\"fill\">{E(facts.ProcedureName)}</span> của Ông/Bà <span class=\"fill\">{E(d.ApplicantName)}</span>.</p>"));
        body.Append(Invariant($"<p>Thời gian hẹn trả kết quả giải quyết hồ sơ: {E(d.AppointmentAt is { } at ? Clock(facts, at) : Clock(facts, apology.PreviousDueAt))}.</p>"));
        body.Append(Invariant($"<p>Tuy nhiên, đến nay hồ sơ chưa được giải quyết xong vì lý do: <span class=\"fill\">{E(apology.Reason)}</span></p>"));
        body.Append(Invariant($"<p>Sự chậm trễ này đã gây phiền hà cho Ông/Bà. Chúng tôi thành thật xin lỗi Ông/Bà và hẹn lại thời gian trả kết quả: <span class=\"fill\">{E(Clock(facts, apology.NewDueAt))}</span>.</p>"));
        body.Append("<p>Kính mong Ông/Bà thông cảm.</p>");
        body.Append(Signatures(null, null, "THỦ TRƯỞNG CƠ QUAN", apology.IssuedBy));
        return Document(facts, "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", body.ToString(), a5: false);
    }

    /// <summary>Form 05: processing control slip, one line per hand-over with its early / on-time / late verdict.</summary>
    public static string ControlSlip(FormFacts facts)
    {
        var d = facts.Dossier;
        var handlers = facts.Journal.Where(j => j.Type == JournalEventTypes.TaskCompleted && j.UnitCode is not null)
            .Select(j => facts.UnitName(j.UnitCode!)).Distinct().ToList();
        var body = new StringBuilder();
        body.Append(Heading(facts, "05"));
        body.Append("<h1>PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ</h1>");
        body.Append(Invariant($"<p class=\"subtitle\">Mã hồ sơ: {E(d.ReceiptCode)}</p>"));
        body.Append(Invariant($"<p>Thủ tục: <span class=\"fill\">{E(facts.ProcedureName)}</span>; người nộp: {E(d.ApplicantName)}</p>"));
        body.Append(Invariant($"<p>Cơ quan tiếp nhận: {E(facts.UnitName(d.ReceivingUnit))}. Cơ quan giải quyết, phối hợp: {E(handlers.Count == 0 ? "—" : string.Join("; ", handlers))}</p>"));
        body.Append(Invariant($"<p>Nhận hồ sơ: {E(Clock(facts, d.ReceivedAt))}; hẹn trả kết quả: {E(d.AppointmentAt is { } at ? Clock(facts, at) : "—")}{(d.ApologyDueAt is { } again ? $"; hẹn lại: {E(Clock(facts, again))}" : string.Empty)}</p>"));
        body.Append("<table class=\"slip\"><thead><tr><th>TT</th><th>Bước, nội dung</th><th>Giao: cơ quan, người giao</th><th>Thời gian giao</th><th>Nhận: cơ quan</th><th>Hạn của bước</th><th>Kết quả (trước / đúng / quá hạn)</th><th>Ghi chú</th></tr></thead><tbody>");
        var row = 0;
        foreach (var handOver in HandOvers(facts))
        {
            row++;
            body.Append(Invariant($"<tr><td>{row}</td><td>{E(handOver.Step)}</td><td>{E(handOver.FromUnit)}<br><i>{E(handOver.Person)}</i></td><td class=\"when\">{Short(facts, handOver.At)}</td>"));
            body.Append(Invariant($"<td>{E(handOver.ToUnits)}</td><td class=\"when\">{(handOver.DueAt is { } due ? Short(facts, due) : "—")}</td><td class=\"verdict\">{E(VerdictText(handOver.Verdict))}</td><td>{E(handOver.Note ?? string.Empty)}</td></tr>"));
        }

        body.Append("</tbody></table>");
        var overall = d.Verdict is null ? (d.StoppedAt is null ? "đang giải quyết" : "dừng xử lý") : VerdictText(d.Verdict).ToLowerInvariant();
        body.Append(Invariant($"<p>Kết quả giải quyết hồ sơ: <span class=\"fill\">{E(overall)}</span>{(d.ResultReadyAt is { } ready ? $"; có kết quả lúc {E(Clock(facts, ready))}" : string.Empty)}{(d.ReturnedAt is { } returned ? $"; trả kết quả lúc {E(Clock(facts, returned))}" : string.Empty)}.</p>"));
        return Document(facts, "05", "Phiếu kiểm soát quá trình giải quyết hồ sơ", body.ToString(), a5: false, wide: true);
    }

    /// <summary>The hand-overs of a dossier, from its journal: the receipt (or the refusal at the counter), each completed step and each supplement request.</summary>
    public static IReadOnlyList<HandOver> HandOvers(FormFacts facts)
    {
        var journal = facts.Journal;
        var rows = new List<HandOver>();
        for (var i = 0; i < journal.Count; i++)
        {
            var entry = journal[i];
            switch (entry.Type)
            {
                case JournalEventTypes.DossierReceived:
                    rows.Add(new HandOver("Tiếp nhận hồ sơ", facts.UnitName(facts.Dossier.ReceivingUnit), entry.Actor, entry.Timestamp,
                        NextUnits(facts, i), null, null, null));
                    break;
                case JournalEventTypes.TaskCompleted:
                    var data = entry.DataJson is null ? null : JsonNode.Parse(entry.DataJson) as JsonObject;
                    var isReturn = journal.Skip(i + 1).TakeWhile(j => j.Type != JournalEventTypes.TaskCompleted).Any(j => j.Type == JournalEventTypes.ResultReturned);
                    rows.Add(new HandOver(
                        entry.ActivityName ?? entry.ActivityId ?? "—",
                        facts.UnitName(entry.UnitCode ?? facts.Dossier.ReceivingUnit),
                        entry.Actor,
                        entry.CompletedAt ?? entry.Timestamp,
                        isReturn ? "Người nộp hồ sơ (trả kết quả)" : NextUnits(facts, i),
                        data?["dueAt"]?.GetValue<DateTime>() is { } due ? DateTime.SpecifyKind(due, DateTimeKind.Utc) : null,
                        data?["verdict"]?.GetValue<string>() ?? NoLimit,
                        string.Join(": ", new[] { entry.Outcome, entry.Comment }.Where(s => !string.IsNullOrWhiteSpace(s)))));
                    break;
                case JournalEventTypes.DossierRefused:
                    rows.Add(new HandOver("Từ chối tiếp nhận hồ sơ", facts.UnitName(facts.Dossier.ReceivingUnit), entry.Actor, entry.Timestamp,
                        "Người nộp hồ sơ (trả lại hồ sơ)", null, null, entry.Comment));
                    break;
                case JournalEventTypes.SupplementRequested:
                    rows.Add(new HandOver($"Yêu cầu bổ sung — {entry.ActivityName}", facts.UnitName(entry.UnitCode ?? facts.Dossier.ReceivingUnit), entry.Actor,
                        entry.Timestamp, "Người nộp hồ sơ (bổ sung)", null, null, entry.Comment));
                    break;
            }
        }

        return rows;
    }

    /// <summary>Wraps a form's body into a complete page.</summary>
    /// <param name="facts">The dossier.</param>
    /// <param name="number">Form number, 01 to 05.</param>
    /// <param name="title">Page title.</param>
    /// <param name="body">The form's content.</param>
    /// <param name="a5">A5 (the receipt slip) or A4.</param>
    /// <param name="wide">A4 landscape (the control slip's table).</param>
    public static string Document(FormFacts facts, string number, string title, string body, bool a5, bool wide = false) =>
        Invariant($"""
        <!DOCTYPE html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <title>Mẫu {number} – {E(title)} – {E(facts.Dossier.ReceiptCode)}</title>
        {StylePlaceholder}
        </head>
        <body class="{(a5 ? "a5" : wide ? "wide" : "a4")}"><div class="page">
        {body}
        </div></body>
        </html>
        """);

    /// <summary>Where the stylesheet goes; replaced by a link or by the stylesheet itself.</summary>
    public const string StylePlaceholder = "<!--form-style-->";

    /// <summary>The page with its stylesheet linked (served pages) or inlined (printed from a file).</summary>
    public static string WithStyle(string html, bool inline) =>
        html.Replace(StylePlaceholder, inline ? $"<style>{Css}</style>" : "<link rel=\"stylesheet\" href=\"/forms/forms.css\">", StringComparison.Ordinal);

    /// <summary>A QR code of <paramref name="text"/> as PNG.</summary>
    public static byte[] QrPng(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new PngByteQRCode(data).GetGraphic(8);
    }

    private static string Heading(FormFacts facts, string number) => Invariant($"""
        <p class="form-no">Mẫu số {number} — Thông tư 01/2018/TT-VPCP</p>
        <table class="heading"><tr>
        <td class="agency">{E(facts.UnitName(facts.Dossier.ReceivingUnit).ToUpper(CultureInfo.GetCultureInfo("vi-VN")))}<br><b>BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ</b><br>Số: {E(facts.Dossier.ReceiptCode)}</td>
        <td class="nation"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><span class="motto">Độc lập - Tự do - Hạnh phúc</span>
        <div class="place">{E(DateLine(facts))}</div></td>
        </tr></table>
        """);

    private static string Signatures(string? leftTitle, string? leftName, string rightTitle, string rightName)
    {
        var left = leftTitle is null ? string.Empty : Invariant($"<b>{E(leftTitle)}</b><br><span class=\"small\">(Ký và ghi rõ họ tên)</span><div class=\"sign-space\"></div>{E(leftName ?? string.Empty)}");
        return Invariant($"<table class=\"signatures\"><tr><td>{left}</td><td><b>{E(rightTitle)}</b><br><span class=\"small\">(Ký và ghi rõ họ tên)</span><div class=\"sign-space\"></div>{E(rightName)}</td></tr></table>");
    }

    private static string Receiver(FormFacts facts) =>
        facts.Journal.FirstOrDefault(j => j.Type == JournalEventTypes.DossierReceived)?.Actor ?? string.Empty;

    private static string DateLine(FormFacts facts)
    {
        var local = facts.Local(facts.PrintedAt);
        var date = Invariant($"ngày {local:dd} tháng {local:MM} năm {local:yyyy}");
        return facts.Place.Length > 0 ? $"{facts.Place}, {date}" : char.ToUpperInvariant(date[0]) + date[1..];
    }

    private static string Clock(FormFacts facts, DateTime utc)
    {
        var local = facts.Local(utc);
        return Invariant($"{local:HH} giờ {local:mm} phút, ngày {local:dd/MM/yyyy}");
    }

    // Time above date, for the narrow columns of the control slip (HTML, already safe).
    private static string Short(FormFacts facts, DateTime utc)
    {
        var local = facts.Local(utc);
        return Invariant($"{local:HH}:{local:mm}<br>{local:dd/MM/yyyy}");
    }

    private static string Day(FormFacts facts, DateTime utc) => Invariant($"{facts.Local(utc):dd/MM/yyyy}");

    private static string NextUnits(FormFacts facts, int index)
    {
        var created = facts.Journal.Skip(index + 1)
            .TakeWhile(j => j.Type is not (JournalEventTypes.TaskCompleted or JournalEventTypes.SupplementRequested))
            .Where(j => j.Type == JournalEventTypes.TaskCreated)
            .Select(j => j.UnitCode is null ? "—" : facts.UnitName(j.UnitCode))
            .Distinct()
            .ToList();
        return created.Count == 0 ? "—" : string.Join("; ", created);
    }

    private const string NoLimit = "NoLimit";

    private static string VerdictText(string? verdict) => verdict switch
    {
        "Early" => "Trước hạn",
        "OnTime" => "Đúng hạn",
        "Late" => "Quá hạn",
        NoLimit => "Không tính hạn",
        _ => "—",
    };

    private static string ChannelText(string channel) => channel switch
    {
        "online" => "Trực tuyến",
        "postal" => "Qua dịch vụ bưu chính công ích",
        _ => "Trực tiếp",
    };

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
