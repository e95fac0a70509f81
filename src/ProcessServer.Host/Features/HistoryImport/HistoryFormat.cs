using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ProcessServer.Host.Features.HistoryImport;

/// <summary>Line 1 of a history file: which format and version the rest is written in.</summary>
/// <param name="Format">Always <see cref="HistoryFormat.Name"/>.</param>
/// <param name="Version">Format version; this server reads <see cref="HistoryFormat.Version"/>.</param>
/// <param name="Source">The legacy system the history comes from (free text, for the record).</param>
public sealed record HistoryHeader(string? Format, int? Version, string? Source);

/// <summary>One dossier of a legacy system, with every step event (docs/history-import.md).</summary>
/// <param name="Ref">The dossier's code in the legacy system; unique, the key that makes a re-run change nothing.</param>
/// <param name="Procedure">Procedure code (definition id).</param>
/// <param name="Version">Definition version the dossier ran on; it must be in the store (published or not).</param>
/// <param name="Unit">Receiving unit code.</param>
/// <param name="Channel">direct, online or postal.</param>
/// <param name="Applicant">Applicant reference (and name, ID number, phone when the legacy system has them).</param>
/// <param name="ReceivedAt">Receipt instant.</param>
/// <param name="ReceivedBy">Who received it (the legacy account).</param>
/// <param name="Data">Dossier variables at receipt.</param>
/// <param name="Events">Step events in the order they happened.</param>
public sealed record HistoryDossier(
    string? Ref,
    string? Procedure,
    int? Version,
    string? Unit,
    string? Channel,
    HistoryApplicant? Applicant,
    string? ReceivedAt,
    string? ReceivedBy,
    Dictionary<string, JsonNode?>? Data,
    List<HistoryEvent>? Events);

/// <summary>The applicant as the legacy system knows them.</summary>
/// <param name="Ref">Applicant reference in the legacy system (required).</param>
/// <param name="Name">Full name, when known; the reference otherwise.</param>
/// <param name="IdNumber">ID document number, when known.</param>
/// <param name="Phone">Phone, when known.</param>
public sealed record HistoryApplicant(string? Ref, string? Name, string? IdNumber, string? Phone);

/// <summary>One event of a dossier's history.</summary>
/// <param name="At">When it happened.</param>
/// <param name="Actor">Who did it (the legacy account).</param>
/// <param name="Act">complete (default when step is given), requestWithdrawal, acceptWithdrawal, returnWithoutResolution.</param>
/// <param name="Step">For complete: the activity id of the open step.</param>
/// <param name="Outcome">For complete: the outcome chosen (Done, RequestSupplement, SupplementReceived, Paid, Reject…).</param>
/// <param name="Comment">The handler's comment.</param>
/// <param name="Reason">For withdrawals and returns: the written reason.</param>
/// <param name="Data">Variables set with the step.</param>
public sealed record HistoryEvent(
    string? At,
    string? Actor,
    string? Act,
    string? Step,
    string? Outcome,
    string? Comment,
    string? Reason,
    Dictionary<string, JsonNode?>? Data);

/// <summary>The acts a history event can record.</summary>
public static class HistoryActs
{
    public const string Complete = "complete";
    public const string RequestWithdrawal = "requestWithdrawal";
    public const string AcceptWithdrawal = "acceptWithdrawal";
    public const string ReturnWithoutResolution = "returnWithoutResolution";

    public static readonly string[] All = [Complete, RequestWithdrawal, AcceptWithdrawal, ReturnWithoutResolution];
}

/// <summary>Reading the history file format: JSON Lines, a header line, one dossier per line.</summary>
public static partial class HistoryFormat
{
    /// <summary>The format's name in the header.</summary>
    public const string Name = "processserver-history";

    /// <summary>The format version this server reads.</summary>
    public const int Version = 1;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Reads the header line, or says what is wrong with it.</summary>
    public static string? CheckHeader(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return $"line 1 must be the header {{\"format\":\"{Name}\",\"version\":{Version}}}; the file is empty";
        }

        try
        {
            var header = JsonSerializer.Deserialize<HistoryHeader>(line, Options);
            if (header?.Format != Name)
            {
                return $"line 1 must be the header {{\"format\":\"{Name}\",\"version\":{Version}}}; it names format '{header?.Format}'";
            }

            return header.Version == Version ? null : $"the file is format version {header.Version}; this server reads version {Version}";
        }
        catch (JsonException ex)
        {
            return $"line 1 must be the header {{\"format\":\"{Name}\",\"version\":{Version}}}: {ex.Message}";
        }
    }

    /// <summary>Parses a dossier line, or says why it cannot be read.</summary>
    public static (HistoryDossier? Dossier, string? Error) Parse(string line)
    {
        try
        {
            var dossier = JsonSerializer.Deserialize<HistoryDossier>(line, Options);
            return dossier is null ? (null, "the line is JSON null; write one dossier object per line") : (dossier, null);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? string.Empty : $" at {ex.Path.TrimStart('$', '.')}";
            return (null, $"not a valid dossier object{where}: {FirstSentence(ex.Message)}");
        }
    }

    /// <summary>Digest of a line as written, to tell a re-run of the same line from different content under the same ref.</summary>
    public static string Digest(string line) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(line.Trim())));

    /// <summary>
    /// Reads an instant: ISO 8601 with an offset (2023-03-06T08:15:00+07:00) or Z; without an offset
    /// it is local time of <paramref name="zone"/>, as legacy one-stop systems write it.
    /// </summary>
    public static DateTime? Instant(string? text, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        if (OffsetPattern().IsMatch(text))
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset) ? withOffset.UtcDateTime : null;
        }

        return DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone)
            : null;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut < 0 ? message : message[..(cut + 1)];
    }

    [GeneratedRegex(@"(Z|[+-]\d{2}:?\d{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex OffsetPattern();
}
