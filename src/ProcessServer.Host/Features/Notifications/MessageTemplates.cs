using System.Text.RegularExpressions;

namespace ProcessServer.Host.Features.Notifications;

/// <summary>Kinds of messages to people.</summary>
public static class MessageKinds
{
    /// <summary>To the applicant: the dossier was received (appointment date).</summary>
    public const string Receipt = "Receipt";

    /// <summary>To the applicant: documents are missing.</summary>
    public const string SupplementRequested = "SupplementRequested";

    /// <summary>To the applicant: apology and new appointment (form 04).</summary>
    public const string Apology = "Apology";

    /// <summary>To the applicant: the result is ready at the counter.</summary>
    public const string ResultReady = "ResultReady";

    /// <summary>To officers: a step has used most of its time.</summary>
    public const string Warning = "Warning";

    /// <summary>To officers and leaders: a step is overdue.</summary>
    public const string Overdue = "Overdue";
}

/// <summary>The Vietnamese message texts, with configuration overrides; {name} placeholders are filled from the message's values.</summary>
public static partial class MessageTemplates
{
    private static readonly Dictionary<string, MessageTemplate> Defaults = new(StringComparer.Ordinal)
    {
        [MessageKinds.Receipt] = new()
        {
            Subject = "Tiếp nhận hồ sơ {receiptCode}",
            Email = "Kính gửi Ông/Bà {applicantName},\n\n{unitName} đã tiếp nhận hồ sơ {receiptCode} ({procedureName}) lúc {receivedAt}.\nNgày hẹn trả kết quả: {appointmentAt}.\n\nÔng/Bà có thể tra cứu tình trạng hồ sơ tại {lookupUrl} bằng mã hồ sơ và mã tra cứu in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.\n\nTrân trọng.",
            Sms = "Ho so {receiptCode} da duoc tiep nhan. Hen tra: {appointmentAt}. Tra cuu: {lookupUrl}",
        },
        [MessageKinds.SupplementRequested] = new()
        {
            Subject = "Yêu cầu bổ sung hồ sơ {receiptCode}",
            Email = "Kính gửi Ông/Bà {applicantName},\n\nHồ sơ {receiptCode} ({procedureName}) cần bổ sung, hoàn thiện: {reason}\n\nĐề nghị Ông/Bà bổ sung tại {unitName}. Thời gian chờ bổ sung không tính vào thời hạn giải quyết.\n\nTrân trọng.",
            Sms = "Ho so {receiptCode} can bo sung giay to. Chi tiet: {lookupUrl}",
        },
        [MessageKinds.Apology] = new()
        {
            Subject = "Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {receiptCode}",
            Email = "Kính gửi Ông/Bà {applicantName},\n\nHồ sơ {receiptCode} ({procedureName}) chưa thể trả kết quả đúng hẹn ({appointmentAt}) vì: {reason}\n\nChúng tôi thành thật xin lỗi Ông/Bà và hẹn trả kết quả vào {newAppointmentAt}.\n\nTrân trọng.",
            Sms = "Xin loi: ho so {receiptCode} tre hen. Hen lai: {newAppointmentAt}",
        },
        [MessageKinds.ResultReady] = new()
        {
            Subject = "Đã có kết quả hồ sơ {receiptCode}",
            Email = "Kính gửi Ông/Bà {applicantName},\n\nHồ sơ {receiptCode} ({procedureName}) đã có kết quả. Mời Ông/Bà đến {unitName} nhận kết quả.\n\nSau khi nhận kết quả, Ông/Bà có thể đánh giá mức độ hài lòng tại {lookupUrl}.\n\nTrân trọng.",
            Sms = "Ho so {receiptCode} da co ket qua. Moi nhan tai {unitName}.",
        },
        [MessageKinds.Warning] = new()
        {
            Subject = "Sắp đến hạn: {taskTitle} – hồ sơ {receiptCode}",
            Email = "Kính gửi {recipientName},\n\nBước \"{taskTitle}\" của hồ sơ {receiptCode} ({procedureName}) tại {unitName} sắp đến hạn: {dueAt}.\n\nTrân trọng.",
            Sms = "Sap den han: {taskTitle}, ho so {receiptCode}, han {dueAt}",
        },
        [MessageKinds.Overdue] = new()
        {
            Subject = "Quá hạn: {taskTitle} – hồ sơ {receiptCode}",
            Email = "Kính gửi {recipientName},\n\nBước \"{taskTitle}\" của hồ sơ {receiptCode} ({procedureName}) tại {unitName} đã quá hạn từ {dueAt}.\n\nTrân trọng.",
            Sms = "Qua han: {taskTitle}, ho so {receiptCode}, han {dueAt}",
        },
    };

    /// <summary>Every kind with a default template.</summary>
    public static IReadOnlyCollection<string> Kinds => Defaults.Keys;

    /// <summary>The effective template of a kind: the configured parts over the defaults.</summary>
    public static MessageTemplate For(string kind, NotificationOptions options)
    {
        var fallback = Defaults[kind];
        var configured = options.Templates.GetValueOrDefault(kind);
        return new MessageTemplate
        {
            Subject = configured?.Subject ?? fallback.Subject,
            Email = configured?.Email ?? fallback.Email,
            Sms = configured?.Sms ?? fallback.Sms,
        };
    }

    /// <summary>Fills {name} placeholders; an unknown name stays as written so a typo shows in the message.</summary>
    public static string Render(string? template, IReadOnlyDictionary<string, string?> values) =>
        Placeholder().Replace(template ?? string.Empty, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value ?? string.Empty : m.Value);

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Placeholder();
}
