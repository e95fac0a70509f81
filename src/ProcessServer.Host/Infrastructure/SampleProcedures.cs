using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Definitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Loads the procedure definitions shipped in workflows/ as published version 1 when the store
/// has no version of them yet. Existing procedures are never touched: administrators own them.
/// </summary>
public static class SampleProcedures
{
    /// <summary>Loads every *.json in <paramref name="folder"/>; a definition that does not compile stops start-up with its errors.</summary>
    public static async Task<int> LoadAsync(ProcessServerDbContext db, WorkflowCompiler compiler, string folder, TimeProvider clock, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
        {
            Log.NoProcedureFolder(logger, folder);
            return 0;
        }

        var loaded = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var document = WorkflowDefinitionDocument.Parse(await File.ReadAllTextAsync(file, cancellationToken));
            var result = compiler.Compile(document);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(
                    $"Procedure file {Path.GetFileName(file)} cannot run: {string.Join("; ", result.Errors.Select(e => e.Message))}");
            }

            if (await db.WorkflowDefinitions.AnyAsync(d => d.DefinitionId == document.DefinitionId, cancellationToken))
            {
                continue;
            }

            var now = clock.GetUtcNow().UtcDateTime;
            document.Version = 1;

            // Flags live in columns; stored JSON is content only.
            document.Json.Remove("isLatest");
            document.Json.Remove("isPublished");
            if (string.IsNullOrWhiteSpace(document.Id))
            {
                document.Id = $"{document.DefinitionId}-v1";
            }

            db.WorkflowDefinitions.Add(new WorkflowDefinitionVersion
            {
                Id = document.Id,
                DefinitionId = document.DefinitionId,
                Version = 1,
                Name = document.Name,
                IsLatest = true,
                IsPublished = true,
                Json = document.ToJsonString(),
                CreatedAt = now,
                PublishedAt = now,
            });
            await db.SaveChangesAsync(cancellationToken);
            loaded++;
            var fileName = Path.GetFileName(file);
            Log.ProcedureLoaded(logger, document.DefinitionId, fileName);
        }

        return loaded;
    }
}
