using System.Globalization;
using System.Text.Json.Nodes;
using ProcessServer.Host.Features.ReceiveDossier;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.PortalSync;

/// <summary>Which portal call a message is.</summary>
public enum PortalPayloadKind
{
    /// <summary>The dossier record, first sent at receipt (isUpdating False).</summary>
    DossierReceived,

    /// <summary>The dossier record again, with the end dates: result ready, returned or stopped (isUpdating True).</summary>
    Result,

    /// <summary>The dossier record again after a change of its dates (apology with a new appointment).</summary>
    DossierUpdated,

    /// <summary>A processing step with the new national status.</summary>
    StatusChanged,
}

/// <summary>Everything a portal payload is made from, read at the moment of the change.</summary>
/// <param name="Dossier">The dossier row as it is being committed.</param>
/// <param name="ProcedureName">Name of the procedure version.</param>
/// <param name="NationalProcedureCode">National procedure code (MaTTHC) from the definition, if any.</param>
/// <param name="FieldName">Display name of the dossier's field.</param>
/// <param name="ReceivingUnitName">Name of the receiving unit.</param>
/// <param name="Actor">Who made the change.</param>
/// <param name="ActedAt">When (UTC).</param>
/// <param name="Note">What was done, in words.</param>
/// <param name="StepUnitName">Name of the unit whose step caused the change.</param>
/// <param name="StepStartedAt">When that step started (UTC).</param>
/// <param name="StepDueAt">When that step was due (UTC).</param>
public sealed record PortalFacts(
    Dossier Dossier,
    string ProcedureName,
    string? NationalProcedureCode,
    string? FieldName,
    string? ReceivingUnitName,
    string Actor,
    DateTime ActedAt,
    string? Note,
    string? StepUnitName,
    DateTime? StepStartedAt,
    DateTime? StepDueAt);

/// <summary>
/// The one place where dossiers become national-portal payloads.
/// </summary>
/// <remarks>
/// <para>The portal's contract is not published in full. The shape follows public provincial
/// implementations of the same synchronisation: a JSON envelope <c>{session, madonvi, service,
/// isUpdating, data: [record]}</c> posted to the adapter's integration endpoint, with the service
/// <c>DongBoHoSoMC</c> for the dossier record (MaHoSo, MaTTHC, KenhThucHien, NgayTiepNhan,
/// NgayHenTra, TrangThaiHoSo, NgayTra, NgayKetThucXuLy ...) and <c>CapNhatTienDoHoSoMC</c> for a
/// processing step (NguoiXuLy, ThoiDiemXuLy, PhongBanXuLy, NoiDungXuLy, TrangThai ...); values are
/// strings, instants are <c>yyyyMMddHHmmss</c> in Asia/Ho_Chi_Minh. docs/portal-sync.md lists every
/// field and its source.</para>
/// <para>Field names are configuration (<see cref="PortalOptions.Fields"/>): a deployment renames,
/// drops or adds fields without code. The payload is built when the change is committed and stored
/// in the outbox, so every retry sends the same content.</para>
/// </remarks>
public static class PortalPayloads
{
    /// <summary>Portal time format (local time, no zone).</summary>
    public const string TimeFormat = "yyyyMMddHHmmss";

    /// <summary>Default dossier record: portal field → source.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> DossierFields =
    [
        new("MaHoSo", "receiptCode"),
        new("MaTTHC", "nationalProcedureCode"),
        new("TenTTHC", "procedureName"),
        new("MaLinhVuc", "fieldCode"),
        new("TenLinhVuc", "fieldName"),
        new("KenhThucHien", "channelCode"),
        new("ChuHoSo", "applicantName"),
        new("LoaiDoiTuong", "=1"),
        new("Email", "applicantEmail"),
        new("SoDienThoai", "applicantPhone"),
        new("TrichYeuHoSo", "procedureName"),
        new("NgayTiepNhan", "receivedAt"),
        new("NgayHenTra", "appointmentAt"),
        new("TrangThaiHoSo", "nationalStatus"),
        new("NgayTra", "returnedAt"),
        new("HinhThuc", "returnMode"),
        new("NgayKetThucXuLy", "finishedAt"),
        new("MaDonViXuLy", "unitCode"),
        new("DonViXuLy", "unitName"),
    ];

    /// <summary>Default processing-step record: portal field → source.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> ProgressFields =
    [
        new("MaHoSo", "receiptCode"),
        new("NguoiXuLy", "actor"),
        new("ChucDanh", "="),
        new("ThoiDiemXuLy", "actedAt"),
        new("PhongBanXuLy", "stepUnitName"),
        new("NoiDungXuLy", "note"),
        new("TrangThai", "nationalStatus"),
        new("NgayBatDau", "stepStartedAt"),
        new("NgayKetThucTheoQuyDinh", "stepDueAt"),
    ];

    /// <summary>Names of the sources a field can be mapped from.</summary>
    public static IReadOnlyCollection<string> Sources => SourceTable.Keys;

    private static readonly Dictionary<string, Func<PortalFacts, TimeZoneInfo, PortalOptions, string?>> SourceTable = new(StringComparer.Ordinal)
    {
        ["receiptCode"] = (f, _, _) => f.Dossier.ReceiptCode,
        ["procedureCode"] = (f, _, _) => f.Dossier.ProcedureCode,
        ["nationalProcedureCode"] = (f, _, o) => o.ProcedureCodes.GetValueOrDefault(f.Dossier.ProcedureCode) ?? f.NationalProcedureCode ?? f.Dossier.ProcedureCode,
        ["procedureName"] = (f, _, _) => f.ProcedureName,
        ["fieldCode"] = (f, _, o) => f.Dossier.FieldCode is { } field ? o.FieldCodes.GetValueOrDefault(field) ?? field : null,
        ["fieldName"] = (f, _, _) => f.FieldName,
        ["channelCode"] = (f, _, _) => ReceiveDossierEndpoint.Channels.TryGetValue(f.Dossier.Channel, out var code) ? code.ToString(CultureInfo.InvariantCulture) : null,
        ["applicantName"] = (f, _, _) => f.Dossier.ApplicantName,
        ["applicantEmail"] = (f, _, _) => f.Dossier.ApplicantEmail,
        ["applicantPhone"] = (f, _, _) => f.Dossier.ApplicantPhone,
        ["receivedAt"] = (f, z, _) => Time(f.Dossier.ReceivedAt, z),
        ["appointmentAt"] = (f, z, _) => Time(f.Dossier.ApologyDueAt ?? f.Dossier.AppointmentAt, z),
        ["legalDueAt"] = (f, z, _) => Time(f.Dossier.DueAt, z),
        ["nationalStatus"] = (f, _, _) => f.Dossier.NationalStatusCode.ToString(CultureInfo.InvariantCulture),
        ["returnedAt"] = (f, z, _) => Time(f.Dossier.ReturnedAt, z),
        ["finishedAt"] = (f, z, _) => Time(f.Dossier.ResultReadyAt ?? f.Dossier.StoppedAt, z),
        ["returnMode"] = (f, _, _) => f.Dossier.Channel == "postal" ? "1" : "0",
        ["unitCode"] = (f, _, o) => o.UnitCodes.GetValueOrDefault(f.Dossier.ReceivingUnit) ?? f.Dossier.ReceivingUnit,
        ["unitName"] = (f, _, _) => f.ReceivingUnitName ?? f.Dossier.ReceivingUnit,
        ["verdict"] = (f, _, _) => f.Dossier.Verdict,
        ["actor"] = (f, _, _) => f.Actor,
        ["actedAt"] = (f, z, _) => Time(f.ActedAt, z),
        ["note"] = (f, _, _) => f.Note,
        ["stepUnitName"] = (f, _, _) => f.StepUnitName,
        ["stepStartedAt"] = (f, z, _) => Time(f.StepStartedAt, z),
        ["stepDueAt"] = (f, z, _) => Time(f.StepDueAt, z),
    };

    /// <summary>
    /// The request body of one portal call, without the session token (added when sending):
    /// <c>{madonvi, service, isUpdating, data: [record]}</c>.
    /// </summary>
    public static JsonObject Build(PortalPayloadKind kind, PortalFacts facts, PortalOptions options, TimeZoneInfo zone)
    {
        var progress = kind == PortalPayloadKind.StatusChanged;
        var record = new JsonObject();
        foreach (var (field, source) in Mapping(progress ? "Progress" : "Dossier", progress ? ProgressFields : DossierFields, options))
        {
            record[field] = Value(source, facts, zone, options);
        }

        var envelope = new JsonObject
        {
            ["madonvi"] = options.AgencyCode,
            ["service"] = progress ? options.Services.Progress : options.Services.Dossier,
        };
        if (!progress)
        {
            envelope["isUpdating"] = kind == PortalPayloadKind.DossierReceived ? "False" : "True";
        }

        envelope["data"] = new JsonArray(record);
        return envelope;
    }

    /// <summary>Checks configured field sources; returns one message per unknown source.</summary>
    public static IReadOnlyList<string> Problems(PortalOptions options) =>
        options.Fields.SelectMany(payload => payload.Value
                .Where(f => f.Value.Length > 0 && f.Value[0] != '=' && !SourceTable.ContainsKey(f.Value))
                .Select(f => $"ProcessServer:Portal:Fields:{payload.Key}:{f.Key} names the source '{f.Value}', which does not exist; sources: {string.Join(", ", SourceTable.Keys)}, or '=text' for a constant."))
            .ToList();

    /// <summary>A UTC instant in the portal's format, in the administration's time zone.</summary>
    public static string? Time(DateTime? utc, TimeZoneInfo zone) => utc is { } at
        ? TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(at, DateTimeKind.Utc), zone).ToString(TimeFormat, CultureInfo.InvariantCulture)
        : null;

    private static IEnumerable<KeyValuePair<string, string>> Mapping(string payload, IReadOnlyList<KeyValuePair<string, string>> defaults, PortalOptions options)
    {
        var configured = options.Fields.GetValueOrDefault(payload) ?? [];
        foreach (var (field, source) in defaults)
        {
            var effective = configured.GetValueOrDefault(field, source);
            if (effective.Length > 0)
            {
                yield return new(field, effective);
            }
        }

        foreach (var (field, source) in configured.Where(c => c.Value.Length > 0 && defaults.All(d => d.Key != c.Key)))
        {
            yield return new(field, source);
        }
    }

    // The public implementations send blanks rather than nulls for missing values.
    private static string Value(string source, PortalFacts facts, TimeZoneInfo zone, PortalOptions options) =>
        source[0] == '='
            ? source[1..]
            : SourceTable.TryGetValue(source, out var read) ? read(facts, zone, options) ?? string.Empty : string.Empty;
}
