using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Definitions;
using ProcessServer.Host.Features.ProcedureVersions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>Which versions a query asks for (CONTRACT §2.3).</summary>
public enum VersionFilterKind
{
    /// <summary>No filter (empty value, or AllVersions).</summary>
    All,

    /// <summary>The version edits go to.</summary>
    Latest,

    /// <summary>The version new dossiers start on.</summary>
    Published,

    /// <summary>Latest or published.</summary>
    LatestOrPublished,

    /// <summary>Latest and published.</summary>
    LatestAndPublished,

    /// <summary>The latest version while it is a draft.</summary>
    Draft,

    /// <summary>One version number.</summary>
    Number,
}

/// <summary>A parsed <c>versionOptions</c> value.</summary>
/// <param name="Kind">Filter kind.</param>
/// <param name="Version">For <see cref="VersionFilterKind.Number"/>.</param>
public readonly record struct VersionFilter(VersionFilterKind Kind, int Version = 0)
{
    /// <summary>Parses the Studio's values; unknown text reads as no filter.</summary>
    public static VersionFilter Parse(string? text, VersionFilterKind fallback)
    {
        if (text is null)
        {
            return new(fallback);
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return new(VersionFilterKind.Number, number);
        }

        return text.Trim().ToUpperInvariant() switch
        {
            "LATEST" => new(VersionFilterKind.Latest),
            "PUBLISHED" => new(VersionFilterKind.Published),
            "LATESTORPUBLISHED" => new(VersionFilterKind.LatestOrPublished),
            "LATESTANDPUBLISHED" => new(VersionFilterKind.LatestAndPublished),
            "DRAFT" => new(VersionFilterKind.Draft),
            _ => new(VersionFilterKind.All),
        };
    }

    /// <summary>Whether a version passes the filter.</summary>
    public bool Matches(WorkflowDefinitionVersion row) => Kind switch
    {
        VersionFilterKind.Latest => row.IsLatest,
        VersionFilterKind.Published => row.IsPublished,
        VersionFilterKind.LatestOrPublished => row.IsLatest || row.IsPublished,
        VersionFilterKind.LatestAndPublished => row.IsLatest && row.IsPublished,
        VersionFilterKind.Draft => row.IsLatest && row.PublishedAt is null,
        VersionFilterKind.Number => row.Version == Version,
        _ => true,
    };
}

/// <summary>
/// Workflow definitions as the Studio reads and writes them, over the store. Every change goes
/// through <see cref="DefinitionLifecycle"/> (the same rules as /api/procedures): a save to a
/// published version creates the next version as a draft, publishing compiles first and refuses a
/// definition the engine cannot run, and a published version's content never changes, so dossiers
/// in flight stay on the version they were received under.
/// </summary>
public sealed class StudioDefinitions(ProcessServerDbContext db, DefinitionLifecycle lifecycle, DefinitionChecker checker)
{
    /// <summary>Tool version written into definitions the Studio creates.</summary>
    public const string ToolVersion = "3.8.0.0";

    /// <summary>
    /// The custom property that carries what the editor loaded (<c>id@revision</c>). The Studio keeps a
    /// definition's custom properties and sends them back with every save, so a save from a stale
    /// copy (a second tab, a second administrator) is recognised and refused instead of overwriting.
    /// It is never stored in the content.
    /// </summary>
    public const string RevisionProperty = "processServerRevision";

    /// <summary>
    /// All stored versions of one procedure, without their content (a procedure may have hundreds of
    /// versions; the content is read only for the one that is shown).
    /// </summary>
    public Task<List<WorkflowDefinitionVersion>> VersionsAsync(string definitionId, CancellationToken cancellationToken) =>
        WithoutContent(db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == definitionId)).ToListAsync(cancellationToken);

    /// <summary>The version a by-definition-id query asks for.</summary>
    public async Task<WorkflowDefinitionVersion?> FindAsync(string definitionId, VersionFilter filter, CancellationToken cancellationToken)
    {
        var versions = await VersionsAsync(definitionId, cancellationToken);
        var chosen = filter.Kind switch
        {
            // Exactly one version is latest; fall back to the highest if a store ever has none flagged.
            VersionFilterKind.Latest or VersionFilterKind.All => versions.FirstOrDefault(v => v.IsLatest) ?? versions.MaxBy(v => v.Version),
            VersionFilterKind.LatestOrPublished => versions.FirstOrDefault(v => v.IsLatest) ?? versions.FirstOrDefault(v => v.IsPublished),
            _ => versions.Where(filter.Matches).MaxBy(v => v.Version),
        };
        return chosen is null ? null : await FindByIdAsync(chosen.Id, cancellationToken);
    }

    /// <summary>One version by its id.</summary>
    public Task<WorkflowDefinitionVersion?> FindByIdAsync(string id, CancellationToken cancellationToken) =>
        db.WorkflowDefinitions.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);

    /// <summary>The full definition (CONTRACT §4.1): stored content, flags from the columns, defaults, links.</summary>
    public static JsonObject View(WorkflowDefinitionVersion row)
    {
        // A version this server cannot read still opens (empty), so the editor and lists keep working.
        var json = ParseStored(row.Json) ?? new JsonObject { ["description"] = "This version cannot be read by this server; see the procedure's versions list." };
        StudioContent.FillDefaults(json);
        json["id"] = row.Id;
        json["definitionId"] = row.DefinitionId;
        json["version"] = row.Version;
        json["name"] = json["name"]?.ToString() ?? row.Name;
        json.TryAdd("description", null);
        json["createdAt"] = StudioJson.Date(row.CreatedAt);
        json.TryAdd("toolVersion", ToolVersion);
        json["isLatest"] = row.IsLatest;
        json["isPublished"] = row.IsPublished;
        if (json["customProperties"] is JsonObject custom)
        {
            custom[RevisionProperty] = new LoadedRevision(row.Id, row.Revision).ToString();
        }

        json["isReadonly"] = false;
        json["isSystem"] = false;
        json["materializerName"] = "Json";
        json["links"] = Links(row);
        if (json["root"] is JsonObject root)
        {
            StudioContent.PresentInputs(root);
            StudioContent.PresentTitles(root);
        }

        return json;
    }

    /// <summary>A list row (CONTRACT §4.2).</summary>
    public static JsonObject Summary(WorkflowDefinitionVersion row) => Summary(row, Description(row.Json));

    /// <summary>A list row with the description already read.</summary>
    public static JsonObject Summary(WorkflowDefinitionVersion row, string? description) =>
        new JsonObject
        {
            ["id"] = row.Id,
            ["definitionId"] = row.DefinitionId,
            ["name"] = row.Name,
            ["description"] = description,
            ["version"] = row.Version,
            ["toolVersion"] = ToolVersion,
            ["isLatest"] = row.IsLatest,
            ["isPublished"] = row.IsPublished,
            ["providerName"] = null,
            ["materializerName"] = "Json",
            ["createdAt"] = StudioJson.Date(row.CreatedAt),
            ["isReadonly"] = false,
            ["isMaterializerAvailable"] = true,
            ["links"] = Links(row),
        };

    /// <summary>
    /// Saves what the Studio posts (<c>{model, publish}</c>): a new procedure when the model has no
    /// definition id, else its latest version (a new draft when that one is published). Publishing
    /// saves the draft first, so edits are kept even when the definition cannot be published yet.
    /// </summary>
    public async Task<IResult> SaveAsync(JsonObject body, string? actor, CancellationToken cancellationToken)
    {
        if (body["model"] is not JsonObject posted)
        {
            return StudioJson.Errors("Definition missing", ["Send {\"model\": {…workflow definition…}, \"publish\": false}."]);
        }

        // Read before anything else touches the body: System.Text.Json throws on the first read of such text.
        if (DefinitionChecker.FindInvalidText(posted) is { } invalid)
        {
            return StudioJson.Errors("The procedure was not saved", [invalid.Message]);
        }

        var publish = StudioJson.Bool(body, "publish") ?? false;
        var model = (JsonObject)posted.DeepClone();
        foreach (var key in new[] { "links", "isLatest", "isPublished", "isSystem", "validationErrors", "isMaterializerAvailable" })
        {
            model.Remove(key);
        }

        StudioContent.StripPresentedTitles(model);
        LoadedRevision? loaded = null;
        if (model["customProperties"] is JsonObject customProperties)
        {
            loaded = LoadedRevision.Parse(customProperties[RevisionProperty] is JsonValue carried && carried.TryGetValue<string>(out var carriedText) ? carriedText : null);
            customProperties.Remove(RevisionProperty);
        }

        if (model["createdAt"]?.ToString() is { } created && created.StartsWith("0001-", StringComparison.Ordinal))
        {
            model.Remove("createdAt");
        }

        if (model["root"] is not JsonObject root || root["type"]?.ToString() != "Elsa.Flowchart")
        {
            return StudioJson.Errors("Not a flowchart", ["ProcessServer runs flowcharts: the definition's root must be an Elsa.Flowchart."]);
        }

        StudioContent.FillDefaults(model);
        model.TryAdd("toolVersion", ToolVersion);
        if (model["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name) || string.IsNullOrWhiteSpace(name))
        {
            return StudioJson.Errors("Name missing", ["name must be text: give the procedure a name."]);
        }

        if (model["definitionId"] is not (null or JsonValue) || (model["definitionId"] is JsonValue idValue && !idValue.TryGetValue<string>(out _)))
        {
            return StudioJson.Errors("The procedure was not saved", ["definitionId must be text, the procedure code, e.g. \"land-first-certificate\"."]);
        }

        var definitionId = model["definitionId"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(definitionId))
        {
            definitionId = await NewDefinitionIdAsync(name, cancellationToken);
            model["definitionId"] = definitionId;
        }

        var conversionErrors = StudioContent.ConvertValues(model);
        if (conversionErrors.Count > 0)
        {
            return StudioJson.Errors("The procedure was not saved", conversionErrors);
        }

        var latest = await FindAsync(definitionId, new VersionFilter(VersionFilterKind.Latest), cancellationToken);
        if (latest is { PublishedAt: not null } && ParseStored(latest.Json) is { } stored && StudioContent.SameContent(stored, model))
        {
            // Nothing changed since the version was published: no new version (a Publish click on an
            // unchanged procedure, or a save that only re-measured the nodes).
            return await PublishUnchangedAsync(latest, publish, cancellationToken);
        }

        // One transaction saves and publishes; a definition that cannot run yet is still saved as a
        // draft (the administrator's edits are kept) and the problems are returned.
        // What the editor loaded counts only for the procedure it was loaded from ("Save As" makes a new one).
        if (loaded is { } token && !token.VersionId.StartsWith(definitionId + "-", StringComparison.Ordinal) && latest?.Id != token.VersionId)
        {
            loaded = null;
        }

        var (saved, error) = await lifecycle.SaveAsync(model, null,
            new SaveRequest(publish, KeepDraftWhenNotPublishable: true, Loaded: loaded, Actor: actor), cancellationToken);
        if (saved is null)
        {
            return ToStudio(error!, "The procedure was not saved");
        }

        if (error is not null)
        {
            // The Studio keeps the revision it loaded after a refused publish; the host pages hand the
            // draft's new revision to that tab's next save (it is that tab's own content), so the
            // administrator's next edit is not refused as someone else's change.
            return StudioJson.Errors("The procedure was saved as a draft but not published", Messages(error), 400,
                new Dictionary<string, object?> { ["savedToken"] = saved.Token, ["savedVersion"] = saved.Version });
        }

        var row = await FindByIdAsync(saved.Id, cancellationToken);
        return StudioJson.Ok(SaveResponse(row!, alreadyPublished: false, saved.Problems, saved.Warnings));
    }

    /// <summary>Publishes the latest version (the definition list's Publish).</summary>
    public async Task<IResult> PublishAsync(string definitionId, CancellationToken cancellationToken)
    {
        var latest = await FindAsync(definitionId, new VersionFilter(VersionFilterKind.Latest), cancellationToken);
        if (latest is null)
        {
            return NotFound(definitionId);
        }

        return await PublishUnchangedAsync(latest, publish: true, cancellationToken);
    }

    /// <summary>Retracts the published version: no new dossiers until one is published again.</summary>
    public async Task<IResult> RetractAsync(string definitionId, CancellationToken cancellationToken)
    {
        var (retracted, error) = await lifecycle.RetractAsync(definitionId, cancellationToken);
        if (error is not null)
        {
            return ToStudio(error, "The procedure was not retracted");
        }

        return StudioJson.Ok(View((await FindByIdAsync(retracted!.Id, cancellationToken))!));
    }

    /// <summary>
    /// Deletes what can be deleted of a procedure: its drafts that were never published and that no
    /// dossier ran on. Published versions stay (dossiers depend on them); when nothing could be
    /// deleted the answer is 404, which the Studio treats as "not deleted" without breaking the page.
    /// </summary>
    public async Task<IResult> DeleteDefinitionAsync(string definitionId, CancellationToken cancellationToken)
    {
        var versions = await VersionsAsync(definitionId, cancellationToken);
        if (versions.Count == 0)
        {
            return NotFound(definitionId);
        }

        var deleted = 0;
        foreach (var version in versions.Where(v => v.PublishedAt is null).OrderByDescending(v => v.Version))
        {
            if (await lifecycle.DeleteVersionAsync(definitionId, version.Version, cancellationToken) is null)
            {
                deleted++;
            }
        }

        return deleted > 0
            ? Results.NoContent()
            : Problems(404, "Nothing deleted", $"Every version of '{definitionId}' has been published or has dossiers; published versions are kept so dossiers can run to the end. Retract the procedure to stop new dossiers.");
    }

    /// <summary>Deletes one version (drafts only; see <see cref="DeleteDefinitionAsync"/>).</summary>
    public async Task<IResult> DeleteVersionAsync(string id, CancellationToken cancellationToken)
    {
        var row = await FindByIdAsync(id, cancellationToken);
        if (row is null)
        {
            return Problems(404, "Version not found", $"There is no definition version '{id}'.");
        }

        var error = await lifecycle.DeleteVersionAsync(row.DefinitionId, row.Version, cancellationToken);
        return error is null ? Results.NoContent() : Problems(404, error.Title, error.Detail);
    }

    /// <summary>
    /// One version as a file (CONTRACT §3.6, the editor's and the list's Export): the definition as
    /// the Studio reads it, every stored property included, without the server's links.
    /// </summary>
    public async Task<IResult> ExportAsync(string definitionId, VersionFilter filter, CancellationToken cancellationToken)
    {
        var row = await FindAsync(definitionId, filter, cancellationToken);
        if (row is null)
        {
            return NotFound(definitionId);
        }

        return Results.File(Encoding.UTF8.GetBytes(ExportModel(row).ToJsonString(WorkflowDefinitionDocument.JsonOptions)), "application/json", FileName(row) + ".json");
    }

    /// <summary>Several versions (by version id) as a zip of one JSON file each (the list's bulk Export).</summary>
    public async Task<IResult> BulkExportAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var rows = await db.WorkflowDefinitions.AsNoTracking().Where(d => ids.Contains(d.Id)).OrderBy(d => d.DefinitionId).ThenBy(d => d.Version).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return Problems(404, "Nothing to export", "None of the given version ids exists.");
        }

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var row in rows)
            {
                var name = FileName(row);
                for (var n = 2; !names.Add(name); n++)
                {
                    name = $"{FileName(row)}-{n}";
                }

                await using var entry = await zip.CreateEntry(name + ".json").OpenAsync(cancellationToken);
                await entry.WriteAsync(Encoding.UTF8.GetBytes(ExportModel(row).ToJsonString(WorkflowDefinitionDocument.JsonOptions)), cancellationToken);
            }
        }

        return Results.File(buffer.ToArray(), "application/zip", $"workflow-definitions-{rows.Count}.zip");
    }

    /// <summary>
    /// Imports one definition (the editor's Import, CONTRACT §3.6): judged like every save, and always
    /// written as a new draft version, so no published version and nobody's draft is changed. A
    /// definition without a definition id becomes a new procedure.
    /// </summary>
    public async Task<IResult> ImportAsync(JsonObject model, string? actor, CancellationToken cancellationToken)
    {
        var (saved, refusal) = await ImportOneAsync(model, actor, cancellationToken);
        return refusal is { } r
            ? (r.Status == 409 ? StudioJson.Errors("The definition was not imported", r.Messages, 409) : StudioJson.Errors("The definition was not imported", r.Messages))
            : StudioJson.Ok(View((await FindByIdAsync(saved!, cancellationToken))!));
    }

    /// <summary>Imports the uploaded files: JSON files of one definition each, or zips of them (the list's Import).</summary>
    public async Task<IResult> ImportFilesAsync(IFormFileCollection files, string? actor, CancellationToken cancellationToken)
    {
        var imported = 0;
        var problems = new List<string>();
        foreach (var file in files)
        {
            foreach (var (name, text) in await ReadImportFileAsync(file, problems, cancellationToken))
            {
                JsonObject? model = null;
                try
                {
                    model = JsonBody.ParseNode(text) as JsonObject;
                }
                catch (System.Text.Json.JsonException ex)
                {
                    problems.Add($"{name}: not valid JSON ({ex.Message})");
                    continue;
                }

                if (model is null)
                {
                    problems.Add($"{name}: not a workflow definition (a JSON object is expected)");
                    continue;
                }

                var (_, refusal) = await ImportOneAsync(model, actor, cancellationToken);
                if (refusal is null)
                {
                    imported++;
                }
                else
                {
                    problems.Add($"{name}: {string.Join(" ", refusal.Value.Messages)}");
                }
            }
        }

        if (imported == 0 && problems.Count > 0)
        {
            return StudioJson.Errors("Nothing was imported", problems);
        }

        return StudioJson.Ok(new JsonObject { ["count"] = imported, ["errors"] = new JsonArray([.. problems.Select(p => (JsonNode?)JsonValue.Create(p))]) });
    }

    private async Task<(string? SavedId, (int Status, IReadOnlyList<string> Messages)? Refusal)> ImportOneAsync(JsonObject posted, string? actor, CancellationToken cancellationToken)
    {
        if (DefinitionChecker.FindInvalidText(posted) is { } invalid)
        {
            return (null, (400, [invalid.Message]));
        }

        var model = (JsonObject)posted.DeepClone();
        foreach (var key in new[] { "links", "isLatest", "isPublished", "isSystem", "validationErrors", "isMaterializerAvailable", "id", "version", "createdAt" })
        {
            model.Remove(key);
        }

        (model["customProperties"] as JsonObject)?.Remove(RevisionProperty);
        StudioContent.StripPresentedTitles(model);
        if (model["root"] is not JsonObject root || root["type"]?.ToString() != "Elsa.Flowchart")
        {
            return (null, (400, ["ProcessServer runs flowcharts: the definition's root must be an Elsa.Flowchart."]));
        }

        if (model["definitionId"] is not (null or JsonValue) || (model["definitionId"] is JsonValue idValue && !idValue.TryGetValue<string>(out _)))
        {
            return (null, (400, ["definitionId must be text, the procedure code."]));
        }

        var definitionId = model["definitionId"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(definitionId))
        {
            var name = model["name"] is JsonValue n && n.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : "Imported procedure";
            model["definitionId"] = await NewDefinitionIdAsync(name, cancellationToken);
        }

        StudioContent.FillDefaults(model);
        model.TryAdd("toolVersion", ToolVersion);
        var conversionErrors = StudioContent.ConvertValues(model);
        if (conversionErrors.Count > 0)
        {
            return (null, (400, conversionErrors));
        }

        var (saved, error) = await lifecycle.SaveAsync(model, null, new SaveRequest(Publish: false, Actor: actor, NewVersion: true), cancellationToken);
        return saved is null ? (null, (error!.Status, Messages(error))) : (saved.Id, null);
    }

    private static async Task<List<(string Name, string Text)>> ReadImportFileAsync(IFormFile file, List<string> problems, CancellationToken cancellationToken)
    {
        var files = new List<(string, string)>();
        await using var stream = file.OpenReadStream();
        if (file.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                await using var zip = await ZipArchive.CreateAsync(stream, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, cancellationToken);
                foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)))
                {
                    await using var entryStream = await entry.OpenAsync(cancellationToken);
                    using var reader = new StreamReader(entryStream, Encoding.UTF8);
                    files.Add(($"{file.FileName}/{entry.FullName}", await reader.ReadToEndAsync(cancellationToken)));
                }
            }
            catch (InvalidDataException ex)
            {
                problems.Add($"{file.FileName}: not a readable zip ({ex.Message})");
            }

            return files;
        }

        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            files.Add((file.FileName, await reader.ReadToEndAsync(cancellationToken)));
        }

        return files;
    }

    /// <summary>The export of one version: its full definition without the server's links and revision token.</summary>
    private static JsonObject ExportModel(WorkflowDefinitionVersion row)
    {
        var json = View(row);
        json.Remove("links");
        (json["customProperties"] as JsonObject)?.Remove(RevisionProperty);
        StudioContent.StripPresentedTitles(json);
        return json;
    }

    private static string FileName(WorkflowDefinitionVersion row) => $"{StudioContent.Slug(row.Name)}-v{row.Version}";

    /// <summary>Copies an older version into the latest draft ("Rollback to this version").</summary>
    public async Task<IResult> RevertAsync(string definitionId, int version, CancellationToken cancellationToken)
    {
        var source = await FindAsync(definitionId, new VersionFilter(VersionFilterKind.Number, version), cancellationToken);
        if (source is null)
        {
            return NotFound(definitionId);
        }

        if (ParseStored(source.Json) is not { } content)
        {
            return StudioJson.Errors("The version was not restored", [$"Version {version} of '{definitionId}' cannot be read by this server, so it cannot be restored."]);
        }

        var (saved, error) = await lifecycle.SaveAsync(content, definitionId, publish: false, cancellationToken);
        if (error is not null)
        {
            return ToStudio(error, "The version was not restored");
        }

        return StudioJson.Ok(Summary((await FindByIdAsync(saved!.Id, cancellationToken))!));
    }

    /// <summary>Whether no other procedure's latest version has this name.</summary>
    public async Task<bool> IsNameUniqueAsync(string name, string? definitionId, CancellationToken cancellationToken)
    {
        var names = await db.WorkflowDefinitions.AsNoTracking()
            .Where(d => d.IsLatest && d.DefinitionId != definitionId)
            .Select(d => d.Name)
            .ToListAsync(cancellationToken);
        return !names.Any(n => string.Equals(n.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Definition list query (CONTRACT §4.2).</summary>
    public async Task<JsonObject> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var filter = VersionFilter.Parse(StudioQuery.Get(request, "versionOptions"), VersionFilterKind.All);
        var definitionIds = StudioQuery.List(request, "DefinitionIds").Concat(StudioQuery.List(request, "definitionId")).ToHashSet(StringComparer.Ordinal);
        var ids = StudioQuery.List(request, "Ids").ToHashSet(StringComparer.Ordinal);
        var search = StudioQuery.Get(request, "SearchTerm")?.Trim();

        var rows = (await WithoutContent(db.WorkflowDefinitions.AsNoTracking()).ToListAsync(cancellationToken))
            .Where(filter.Matches)
            .Where(r => definitionIds.Count == 0 || definitionIds.Contains(r.DefinitionId))
            .Where(r => ids.Count == 0 || ids.Contains(r.Id))
            .Where(r => string.IsNullOrEmpty(search)
                || StudioContent.Fold(r.Name).Contains(StudioContent.Fold(search), StringComparison.Ordinal)
                || r.DefinitionId.Contains(search, StringComparison.OrdinalIgnoreCase))

            // ProcessServer has no system workflows.
            .Where(_ => StudioQuery.Bool(request, "IsSystem") != true)
            .ToList();

        var descending = string.Equals(StudioQuery.Get(request, "OrderDirection"), "Descending", StringComparison.OrdinalIgnoreCase);
        IEnumerable<WorkflowDefinitionVersion> ordered = StudioQuery.Get(request, "OrderBy")?.ToUpperInvariant() switch
        {
            "CREATED" => descending ? rows.OrderByDescending(r => r.CreatedAt) : rows.OrderBy(r => r.CreatedAt),
            "VERSION" => StudioQuery.Get(request, "OrderDirection") is null || descending
                ? rows.OrderByDescending(r => r.Version)
                : rows.OrderBy(r => r.Version),
            _ => descending
                ? rows.OrderByDescending(r => r.Name, StringComparer.CurrentCultureIgnoreCase).ThenByDescending(r => r.Version)
                : rows.OrderBy(r => r.Name, StringComparer.CurrentCultureIgnoreCase).ThenByDescending(r => r.Version),
        };

        var pageSize = StudioQuery.Number(request, "PageSize");
        var page = StudioQuery.Number(request, "Page") ?? 0;
        if (pageSize is > 0)
        {
            ordered = ordered.Skip(Math.Max(page, 0) * pageSize.Value).Take(pageSize.Value);
        }

        var shown = ordered.ToList();
        var shownIds = shown.Select(r => r.Id).ToList();
        var descriptions = (await db.WorkflowDefinitions.AsNoTracking().Where(d => shownIds.Contains(d.Id)).Select(d => new { d.Id, d.Json }).ToListAsync(cancellationToken))
            .ToDictionary(d => d.Id, d => Description(d.Json), StringComparer.Ordinal);
        var result = StudioJson.Paged(shown.Select(r => (JsonNode?)Summary(r, descriptions.GetValueOrDefault(r.Id))), rows.Count);

        // Without a bulk-publish link the whole list is read-only (no Create, Delete or Publish).
        result["links"] = new JsonArray(
            StudioJson.Link("/workflow-definitions", "self", "GET"),
            StudioJson.Link("/bulk-actions/publish/workflow-definitions/by-definition-ids", "bulk-publish", "POST"),
            StudioJson.Link("/workflow-definitions", "create", "POST"));
        return result;
    }

    /// <summary>Publishes several procedures (bulk action).</summary>
    public async Task<JsonObject> BulkPublishAsync(IReadOnlyList<string> definitionIds, CancellationToken cancellationToken)
    {
        var published = new JsonArray();
        var already = new JsonArray();
        var notFound = new JsonArray();
        var failed = new JsonArray();
        foreach (var definitionId in definitionIds)
        {
            var latest = await FindAsync(definitionId, new VersionFilter(VersionFilterKind.Latest), cancellationToken);
            if (latest is null)
            {
                notFound.Add(definitionId);
            }
            else if (latest.IsPublished)
            {
                already.Add(definitionId);
            }
            else if ((await lifecycle.PublishAsync(definitionId, latest.Version, cancellationToken)).Error is { } error)
            {
                failed.Add(new JsonObject { ["definitionId"] = definitionId, ["message"] = error.Detail });
            }
            else
            {
                published.Add(definitionId);
            }
        }

        return new JsonObject
        {
            ["published"] = published,
            ["alreadyPublished"] = already,
            ["notFound"] = notFound,
            ["skipped"] = failed,
            ["updatedConsumers"] = new JsonArray(),
        };
    }

    /// <summary>Retracts several procedures (bulk action).</summary>
    public async Task<JsonObject> BulkRetractAsync(IReadOnlyList<string> definitionIds, CancellationToken cancellationToken)
    {
        var retracted = new JsonArray();
        var already = new JsonArray();
        var notFound = new JsonArray();
        foreach (var definitionId in definitionIds)
        {
            var versions = await VersionsAsync(definitionId, cancellationToken);
            if (versions.Count == 0)
            {
                notFound.Add(definitionId);
            }
            else if ((await lifecycle.RetractAsync(definitionId, cancellationToken)).Error is null)
            {
                retracted.Add(definitionId);
            }
            else
            {
                already.Add(definitionId);
            }
        }

        return new JsonObject { ["retracted"] = retracted, ["alreadyRetracted"] = already, ["notFound"] = notFound };
    }

    private async Task<IResult> PublishUnchangedAsync(WorkflowDefinitionVersion latest, bool publish, CancellationToken cancellationToken)
    {
        var alreadyPublished = latest.IsPublished;
        if (publish && !alreadyPublished)
        {
            var (_, error) = await lifecycle.PublishAsync(latest.DefinitionId, latest.Version, cancellationToken);
            if (error is not null)
            {
                return ToStudio(error, "The procedure was not published");
            }
        }

        var row = (await FindByIdAsync(latest.Id, cancellationToken))!;
        var report = row.PublishedAt is null ? checker.Judge(row.Json) : null;
        IReadOnlyList<DefinitionError> problems = report is null ? [] : [.. report.Refusals, .. report.Errors];
        return StudioJson.Ok(SaveResponse(row, publish && alreadyPublished, problems, report?.Warnings ?? []));
    }

    private static IQueryable<WorkflowDefinitionVersion> WithoutContent(IQueryable<WorkflowDefinitionVersion> query) =>
        query.Select(d => new WorkflowDefinitionVersion
        {
            Id = d.Id,
            DefinitionId = d.DefinitionId,
            Version = d.Version,
            Name = d.Name,
            IsLatest = d.IsLatest,
            IsPublished = d.IsPublished,
            Json = string.Empty,
            CreatedAt = d.CreatedAt,
            PublishedAt = d.PublishedAt,
        });

    private static string? Description(string json) =>
        ParseStored(json) is { } definition && definition["description"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Stored content as a JSON object; null when it cannot be read (never throws).</summary>
    private static JsonObject? ParseStored(string json)
    {
        try
        {
            var node = JsonNode.Parse(json) as JsonObject;
            return node is not null && DefinitionChecker.FindInvalidText(node) is null ? node : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private async Task<string> NewDefinitionIdAsync(string name, CancellationToken cancellationToken)
    {
        var slug = StudioContent.Slug(name);
        var taken = (await db.WorkflowDefinitions.AsNoTracking().Select(d => d.DefinitionId).Distinct().ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var candidate = slug;
        for (var n = 2; taken.Contains(candidate); n++)
        {
            candidate = $"{slug}-{n}";
        }

        return candidate;
    }

    private static JsonObject SaveResponse(WorkflowDefinitionVersion row, bool alreadyPublished, IReadOnlyList<DefinitionError> problems, IReadOnlyList<DefinitionError> warnings) => new()
    {
        ["workflowDefinition"] = View(row),
        ["alreadyPublished"] = alreadyPublished,
        ["consumingWorkflowCount"] = 0,

        // The Studio ignores these; the host pages show them (problems block publishing, warnings never do).
        ["validationErrors"] = Issues(problems),
        ["warnings"] = Issues(warnings),
    };

    private static JsonArray Issues(IReadOnlyList<DefinitionError> issues) =>
        new([.. issues.Select(p => (JsonNode?)new JsonObject { ["activityId"] = p.ActivityId, ["field"] = p.Field, ["message"] = p.Message })]);

    private static JsonArray Links(WorkflowDefinitionVersion row)
    {
        var links = new JsonArray(
            StudioJson.Link($"/workflow-definitions/by-id/{row.Id}", "self", "GET"),
            StudioJson.Link($"/workflow-definitions/{row.DefinitionId}/publish", "publish", "POST"));
        if (row.IsPublished)
        {
            links.Add(StudioJson.Link($"/workflow-definitions/{row.DefinitionId}/retract", "retract", "POST"));
        }

        if (row.PublishedAt is null)
        {
            links.Add(StudioJson.Link($"/workflow-definition-versions/{row.Id}", "delete", "DELETE"));
        }

        return links;
    }

    /// <summary>
    /// A lifecycle refusal as the Studio shows it: 400 with one message per problem (the Studio's save
    /// and retract calls show 400 messages; the lifecycle's 409 and 422 would only break the page).
    /// </summary>
    private static IResult ToStudio(LifecycleError error, string title)
    {
        if (error.Status == 404)
        {
            return Problems(404, error.Title, error.Detail);
        }

        if (error.Status == 409 && error.Extensions is { } extensions)
        {
            // A stale save: the host pages show the message with a Reload button.
            return StudioJson.Errors(error.Title, [error.Detail], 409, extensions);
        }

        return StudioJson.Errors(title, Messages(error));
    }

    private static IReadOnlyList<string> Messages(LifecycleError error) =>
        error.Errors is { Count: > 0 } list ? list.Select(e => e.Message).ToList() : [error.Detail];

    private static IResult NotFound(string definitionId) => Problems(404, "Procedure not found", $"Procedure '{definitionId}' does not exist.");

    private static IResult Problems(int status, string title, string detail) => Infrastructure.Problems.Result(status, title, detail);
}
