using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Definitions;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Compiled definition versions by version id. A stored version's content never changes once a
/// dossier can run on it, so entries never go stale; looking one up is O(1) whatever the number
/// of versions of a procedure.
/// </summary>
public sealed class WorkflowCache(WorkflowCompiler compiler)
{
    private readonly ConcurrentDictionary<string, CompiledWorkflow> _compiled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);

    /// <summary>
    /// The procedure name of a version, as dossier views show it. Like the content, a version's
    /// name is fixed once dossiers run on it, so every answer after the first skips the query.
    /// </summary>
    public async Task<string> NameAsync(ProcessServerDbContext db, string versionId, CancellationToken cancellationToken)
    {
        if (_names.TryGetValue(versionId, out var cached))
        {
            return cached;
        }

        var name = await db.WorkflowDefinitions.AsNoTracking().Where(d => d.Id == versionId).Select(d => d.Name).SingleAsync(cancellationToken);
        return _names.GetOrAdd(versionId, name);
    }

    /// <summary>Gets the compiled version, loading it from the store on first use.</summary>
    /// <exception cref="InvalidOperationException">The version is missing from the store.</exception>
    public async Task<CompiledWorkflow> GetAsync(ProcessServerDbContext db, string versionId, CancellationToken cancellationToken)
    {
        if (_compiled.TryGetValue(versionId, out var cached))
        {
            return cached;
        }

        var json = await db.WorkflowDefinitions.AsNoTracking()
            .Where(d => d.Id == versionId)
            .Select(d => d.Json)
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException($"definition version '{versionId}' is missing from the store");
        var compiled = compiler.CompileOrThrow(WorkflowDefinitionDocument.Parse(json));
        return _compiled.GetOrAdd(versionId, compiled);
    }

    /// <summary>
    /// The compiled version, or why it cannot run: a stored version this server cannot read (written
    /// by an older server, or edited in the database) is reported, never thrown.
    /// </summary>
    public async Task<(CompiledWorkflow? Workflow, string? Problem)> TryGetAsync(ProcessServerDbContext db, string versionId, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetAsync(db, versionId, cancellationToken), null);
        }
        catch (DefinitionException ex)
        {
            return (null, $"this version no longer runs on this server: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            return (null, $"this version cannot be read: {ex.Message}");
        }
    }

    /// <summary>Drops a version (for drafts that are edited in place).</summary>
    public void Forget(string versionId)
    {
        _compiled.TryRemove(versionId, out _);
        _names.TryRemove(versionId, out _);
    }
}
