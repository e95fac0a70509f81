using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.HistoryImport;

/// <summary>An import run as followed by its starter.</summary>
/// <param name="Id">Run id.</param>
/// <param name="FileName">Name of the uploaded file.</param>
/// <param name="DryRun">Whether nothing is stored (the lines say what would be).</param>
/// <param name="Status">Pending, Running, Completed or Failed (the file as a whole was unreadable; see error).</param>
/// <param name="TotalLines">Dossier lines in the file.</param>
/// <param name="LinesDone">Lines handled so far.</param>
/// <param name="Percent">Progress in percent.</param>
/// <param name="Created">Dossiers created (dry run: that would be created).</param>
/// <param name="Unchanged">Lines imported before; nothing changed.</param>
/// <param name="Refused">Lines refused; nothing of them stored.</param>
/// <param name="LinesPerSecond">Rate so far.</param>
/// <param name="StartedAt">Start (UTC).</param>
/// <param name="FinishedAt">End (UTC).</param>
/// <param name="Error">Why the file as a whole could not be read.</param>
/// <param name="FirstRefused">Up to 20 refused lines, with their line number and reason.</param>
public sealed record ImportRunView(string Id, string FileName, bool DryRun, string Status, int TotalLines, int LinesDone, double Percent, int Created,
    int Unchanged, int Refused, double? LinesPerSecond, DateTime? StartedAt, DateTime? FinishedAt, string? Error, IReadOnlyList<ImportLineView> FirstRefused);

/// <summary>What the run did with one line.</summary>
public sealed record ImportLineView(int Line, string? Ref, string Outcome, string? DossierId, string? ReceiptCode, int? NationalStatusCode, string? Detail);

/// <summary>A page of line results.</summary>
public sealed record ImportLinePage(IReadOnlyList<ImportLineView> Items, int Page, int PageSize, int TotalCount);

/// <summary>POST /api/imports (upload a history file), GET /api/imports/{id}, GET /api/imports/{id}/lines.</summary>
public static class HistoryImportEndpoints
{
    /// <summary>Registers the importer and its background runner.</summary>
    public static WebApplicationBuilder AddHistoryImport(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<ImportOptions>(builder.Configuration.GetSection(ImportOptions.Section));
        builder.Services.AddScoped<HistoryImporter>();
        builder.Services.AddSingleton<ImportRunner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ImportRunner>());
        return builder;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/imports").WithTags("History import").RequireAuthorization(Policies.Administrator);

        group.MapPost("/", StartAsync)
            .WithName("StartImport")
            .WithSummary("Upload a history file (JSON Lines, format processserver-history v1) and run it in the background")
            .WithDescription("Body: the file itself, any content type (application/x-ndjson suggested; curl --data-binary @file.jsonl works as is). ?dryRun=true reports per line what would be created or why it is refused, storing nothing. ?fileName= names the run. Answers 202 with the run; follow GET /api/imports/{id}. A line already imported is left unchanged, so a re-run changes nothing. The format: docs/history-import.md.")
            .Produces<ImportRunView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .TakesImportBody();

        group.MapGet("/{id}", async (string id, ProcessServerDbContext db, TimeProvider clock, CancellationToken ct) =>
                await db.ImportRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct) is { } run
                    ? TypedResults.Ok(await ViewAsync(db, run, clock.GetUtcNow().UtcDateTime, ct))
                    : Problems.Result(404, "Import not found", $"There is no import run '{id}'."))
            .WithName("GetImport")
            .WithSummary("Progress and figures of an import run")
            .Produces<ImportRunView>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/lines", async (string id, string? outcome, int? page, int? pageSize, ProcessServerDbContext db, CancellationToken ct) =>
            {
                if (!await db.ImportRuns.AnyAsync(r => r.Id == id, ct))
                {
                    return Problems.Result(404, "Import not found", $"There is no import run '{id}'.");
                }

                var size = Math.Clamp(pageSize ?? 100, 1, 1000);
                var number = Math.Max(page ?? 1, 1);
                var lines = db.ImportLineResults.AsNoTracking().Where(l => l.RunId == id);
                if (!string.IsNullOrWhiteSpace(outcome))
                {
                    lines = lines.Where(l => l.Outcome == outcome);
                }

                var total = await lines.CountAsync(ct);
                var items = await lines.OrderBy(l => l.LineNumber).Skip((number - 1) * size).Take(size).Select(l => View(l)).ToListAsync(ct);
                return TypedResults.Ok(new ImportLinePage(items, number, size, total));
            })
            .WithName("ListImportLines")
            .WithSummary("What the run did with each line: ?outcome=Created|WouldCreate|Unchanged|Refused&page=&pageSize=")
            .Produces<ImportLinePage>()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> StartAsync(HttpContext http, bool? dryRun, string? fileName, ProcessServerDbContext db, ImportRunner runner,
        IOptions<ImportOptions> options, StoreOptions store, TimeProvider clock, CancellationToken ct)
    {
        var id = Guid.CreateVersion7().ToString();
        var folder = Folder(options.Value, store);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{id}.jsonl");
        await using (var file = File.Create(path))
        {
            await http.Request.Body.CopyToAsync(file, ct);
        }

        string? firstLine;
        using (var reader = new StreamReader(path))
        {
            firstLine = await reader.ReadLineAsync(ct);
        }

        if (HistoryFormat.CheckHeader(firstLine) is { } wrong)
        {
            File.Delete(path);
            return Problems.Validation("The file is not a history file", new Dictionary<string, string[]> { ["body"] = [wrong] });
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var run = new ImportRun
        {
            Id = id,
            FileName = string.IsNullOrWhiteSpace(fileName) ? $"{id}.jsonl" : fileName.Trim()[..Math.Min(fileName.Trim().Length, 400)],
            FilePath = path,
            DryRun = dryRun == true,
            Status = ImportStatuses.Pending,
            CreatedBy = Caller.From(http.User).Name,
            CreatedAt = now,
        };
        db.ImportRuns.Add(run);
        await db.SaveChangesAsync(ct);
        runner.Wake(id);
        return TypedResults.Accepted($"/api/imports/{id}", await ViewAsync(db, run, now, ct));
    }

    private static string Folder(ImportOptions options, StoreOptions store)
    {
        if (!string.IsNullOrWhiteSpace(options.Folder))
        {
            return Path.GetFullPath(options.Folder);
        }

        if (store.Provider == StoreProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(store.ConnectionString).DataSource;
            return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "imports");
        }

        return Path.Combine(Path.GetTempPath(), "processserver-imports");
    }

    private static async Task<ImportRunView> ViewAsync(ProcessServerDbContext db, ImportRun run, DateTime now, CancellationToken ct)
    {
        var refused = await db.ImportLineResults.AsNoTracking().Where(l => l.RunId == run.Id && l.Outcome == ImportOutcomes.Refused)
            .OrderBy(l => l.LineNumber).Take(20).Select(l => View(l)).ToListAsync(ct);
        var seconds = run.StartedAt is { } started ? ((run.FinishedAt ?? now) - started).TotalSeconds : 0;
        return new ImportRunView(run.Id, run.FileName, run.DryRun, run.Status, run.TotalLines, run.LinesDone,
            run.TotalLines == 0 ? (run.Status == ImportStatuses.Completed ? 100 : 0) : Math.Round(100.0 * run.LinesDone / run.TotalLines, 1),
            run.Created, run.Unchanged, run.Refused, seconds > 0 ? Math.Round(run.LinesDone / seconds, 1) : null, run.StartedAt, run.FinishedAt, run.Error, refused);
    }

    private static ImportLineView View(ImportLineResult l) => new(l.LineNumber, l.SourceRef, l.Outcome, l.DossierId, l.ReceiptCode, l.NationalStatusCode, l.Detail);
}
