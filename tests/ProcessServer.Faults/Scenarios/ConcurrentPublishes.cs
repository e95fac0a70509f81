using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// N administrators publish the same procedure at the same moment from the designer
/// (<c>POST /elsa/api/workflow-definitions</c> with <c>publish: true</c>), some rounds mixed with
/// the REST save-and-publish, the designer's Publish button and a retract. Afterwards the procedure
/// has at most one published and exactly one latest version, in the database and through both
/// APIs, and a new dossier starts on the published version.
/// </summary>
public static class ConcurrentPublishes
{
    /// <param name="Sizes">Concurrent publishers per round.</param>
    /// <param name="Rounds">Rounds per size (the kinds of round rotate).</param>
    /// <param name="Seed">Seed.</param>
    public sealed record Options(IReadOnlyList<int> Sizes, int Rounds, int Seed);

    private const string Code = "birth-registration";

    private static readonly string[] Kinds = ["designer saves", "designer and REST saves", "designer saves and Publish buttons", "designer saves and a retract"];

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var report = new FaultReport("concurrent publishes", options.Seed, log);
        log.Line($"[fault] concurrent publishes of '{Code}': sizes {string.Join("/", options.Sizes)}, {options.Rounds} rounds each, seed {options.Seed}");
        await using var host = FaultHost.Create("publishes", log);
        try
        {
            await host.StartAsync(cancellationToken);
            using var http = host.CreateClient();
            var client = new FaultClient(http, report);
            var rng = new Random(options.Seed);
            var round = 0;
            foreach (var size in options.Sizes)
            {
                for (var r = 0; r < options.Rounds; r++)
                {
                    round++;
                    await RoundAsync(host, client, report, rng, size, Kinds[(round - 1) % Kinds.Length], round, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            report.Stopped(ex);
        }
        finally
        {
            host.KeepFolder = !report.Clean;
            report.Print();
        }

        return report;
    }

    private static async Task RoundAsync(FaultHost host, FaultClient client, FaultReport report, Random rng, int size, string kind, int round, CancellationToken cancellationToken)
    {
        var admin = host.Keys.Admin;
        var label = $"round {round} ({size} concurrent, {kind})";
        var latest = await client.SendAsync(Probe.Get($"/elsa/api/workflow-definitions/by-definition-id/{Code}?versionOptions=Latest").As(admin), cancellationToken: cancellationToken);
        if (latest is not { Status: 200 } || latest.JsonObject() is not { } model)
        {
            report.Fail($"{label}: the latest version cannot be read", null, latest);
            return;
        }

        var probes = new List<Probe>();
        for (var i = 0; i < size; i++)
        {
            var edited = Edit(model, $"Register the birth (round {round}, administrator {i}, {rng.Next():x})");
            var probe = (kind, i) switch
            {
                ("designer and REST saves", _) when i % 2 == 1 => Probe.Put($"/api/procedures/{Code}/draft?publish=true").As(admin).Json(Content(edited)),
                ("designer saves and Publish buttons", _) when i % 2 == 1 => Probe.Post($"/elsa/api/workflow-definitions/{Code}/publish").As(admin),
                ("designer saves and a retract", 1) => Probe.Post($"/elsa/api/workflow-definitions/{Code}/retract").As(admin),
                _ => Probe.Post("/elsa/api/workflow-definitions").As(admin).Json(new JsonObject { ["model"] = edited, ["publish"] = true }),
            };
            probe.Note = $"{label}: request {i + 1} of {size}";
            probes.Add(probe);
        }

        await Task.WhenAll(Enumerable.Range(0, size).Select(_ => client.Http.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken)));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sends = probes.Select(async probe =>
        {
            await start.Task;
            return (Probe: probe, Answer: await client.SendAsync(probe, cancellationToken: cancellationToken));
        }).ToList();
        start.SetResult();
        var answers = await Task.WhenAll(sends);
        report.Count("rounds");
        report.Count("publish requests", size);
        report.Count("answered 2xx", answers.Count(a => a.Answer is { IsSuccess: true }));
        foreach (var (probe, answer) in answers.Where(a => a.Answer is null or { Status: < 200 or >= 300 and < 400 }))
        {
            report.Fail($"{label}: no usable answer", probe, answer);
        }

        var retracted = kind.Contains("retract", StringComparison.Ordinal);
        await using (var db = host.OpenStore())
        {
            var versions = await db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == Code)
                .Select(d => new { d.Id, d.Version, d.IsLatest, d.IsPublished }).ToListAsync(cancellationToken);
            var published = versions.Where(v => v.IsPublished).ToList();
            var latestRows = versions.Count(v => v.IsLatest);
            string Names(IEnumerable<int> numbers) => numbers.Any() ? string.Join(", ", numbers.Order().Select(n => $"v{n}")) : "none";
            var flags = $"{versions.Count} versions; published: {Names(published.Select(v => v.Version))}; latest: {Names(versions.Where(v => v.IsLatest).Select(v => v.Version))}";
            if (published.Count > 1)
            {
                report.DuplicatedChange($"{label}: {published.Count} versions are published: {flags}", probes[0]);
            }

            if (published.Count == 0 && !retracted)
            {
                report.Fail($"{label}: no version is published after {size} publishes: {flags}", probes[0]);
            }

            if (latestRows != 1)
            {
                report.Fail($"{label}: {latestRows} versions are marked latest: {flags}", probes[0]);
            }

            await CheckApisAsync(host, client, report, label, [.. published.Select(p => p.Id)], cancellationToken);
        }

        if (retracted)
        {
            // Put a published version back for the next round.
            await client.SendAsync(Probe.Post($"/elsa/api/workflow-definitions/{Code}/publish").As(admin), cancellationToken: cancellationToken);
        }
    }

    /// <summary>Lists and a new dossier agree with the one published version (or with none).</summary>
    private static async Task CheckApisAsync(FaultHost host, FaultClient client, FaultReport report, string label, IReadOnlyList<string> published, CancellationToken cancellationToken)
    {
        var admin = host.Keys.Admin;
        var list = Probe.Get($"/api/procedures/{Code}/versions").As(admin);
        var versions = await client.SendAsync(list, cancellationToken: cancellationToken);
        if (versions is not { Status: 200 } || versions.Json() is not JsonArray rows)
        {
            report.Fail($"{label}: the versions list does not answer", list, versions);
        }
        else if (rows.Count(v => v!["isPublished"]!.GetValue<bool>()) > 1 || rows.Count(v => v!["isLatest"]!.GetValue<bool>()) != 1)
        {
            report.Fail($"{label}: the versions list shows {rows.Count(v => v!["isPublished"]!.GetValue<bool>())} published and {rows.Count(v => v!["isLatest"]!.GetValue<bool>())} latest versions", list, versions);
        }

        var designer = Probe.Get($"/elsa/api/workflow-definitions?definitionId={Code}&versionOptions=Published").As(admin);
        var shown = await client.SendAsync(designer, cancellationToken: cancellationToken);
        if (shown is not { Status: 200 } || shown.JsonObject()?["items"] is not JsonArray items)
        {
            report.Fail($"{label}: the designer's list does not answer", designer, shown);
        }
        else if (items.Count != Math.Min(1, published.Count))
        {
            report.Fail($"{label}: the designer lists {items.Count} published versions", designer, shown);
        }

        var receipt = ClerkRequests.Receive(host.Keys.ClerkOf(ClerkRequests.Counter), ClerkRequests.ReceiveBody(Code, $"After {label}", "051190004321"), null);
        var received = await client.SendAsync(receipt, cancellationToken: cancellationToken);
        if (published.Count == 0)
        {
            if (received is not { Status: 400 or 404 or 409 or 422 })
            {
                report.Fail($"{label}: with nothing published a receipt answered {received?.Status}", receipt, received);
            }
        }
        else if (received is not { Status: 201 } || received.JsonObject() is not { } dossier)
        {
            report.Fail($"{label}: a receipt on the published version failed", receipt, received);
        }
        else if (published.Count == 1 && dossier["procedure"]?["versionId"]?.GetValue<string>() != published[0])
        {
            report.Fail($"{label}: the new dossier started on {dossier["procedure"]?["versionId"]}, not on the published {published[0]}", receipt, received);
        }
    }

    /// <summary>The model with the register step's title changed, as an administrator's edit in the designer.</summary>
    private static JsonObject Edit(JsonObject model, string title)
    {
        var edited = (JsonObject)model.DeepClone();
        foreach (var key in new[] { "id", "version", "isLatest", "isPublished", "links" })
        {
            edited.Remove(key);
        }

        var step = edited["root"]!["activities"]!.AsArray().First(a => a!["id"]!.GetValue<string>() == "register")!;
        step["title"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = title } };
        return edited;
    }

    /// <summary>The designer's view of a definition as the REST API takes it.</summary>
    private static JsonObject Content(JsonObject model) => (JsonObject)model.DeepClone();
}
