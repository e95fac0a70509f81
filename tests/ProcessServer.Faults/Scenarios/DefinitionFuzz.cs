using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// Seeded fuzzing of workflow definitions: mutants of the sample workflows (workflows/) saved and
/// published through the designer API (<c>POST /elsa/api/workflow-definitions</c>) and the REST
/// versions API (<c>PUT /api/procedures/{code}/draft</c>, <c>PUT …/versions/{n}</c>). No answer may
/// be a 5xx; a refused definition (4xx) must leave the stored versions as they were; and the lists
/// of procedures and versions, the designer's list and <c>GET /odata/v1/Procedures</c> must keep
/// answering.
/// </summary>
public static class DefinitionFuzz
{
    /// <param name="Mutations">How many mutants to send.</param>
    /// <param name="Seed">Seed; mutant i is made from seed and i alone, so it can be made again.</param>
    /// <param name="MaxHugeChars">Longest huge string a mutant carries.</param>
    /// <param name="MaxActivities">Most activities a mutant adds.</param>
    /// <param name="First">Number of the first mutant (to make one again: its number, and Mutations 1).</param>
    public sealed record Options(int Mutations, int Seed, int MaxHugeChars = 1_000_000, int MaxActivities = 2_000, int First = 0);

    private const int ListCheckEvery = 100;
    private const int PublishedCheckEvery = 250;

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var report = new FaultReport("definition fuzzing", options.Seed, log);
        log.Line($"[fault] definition fuzzing: {options.Mutations:N0} mutants of the sample workflows, seed {options.Seed}");
        await using var host = FaultHost.Create("definitions", log);
        try
        {
            await host.StartAsync(cancellationToken);
            using var http = host.CreateClient(TimeSpan.FromSeconds(120));
            var client = new FaultClient(http, report);
            var samples = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "workflows"), "*.json").Order(StringComparer.Ordinal)
                .Select(f => JsonNode.Parse(File.ReadAllText(f))!.AsObject()).ToList();
            var codes = samples.Select(s => s["definitionId"]!.GetValue<string>()).ToList();
            var mutator = new DefinitionMutator(options.MaxHugeChars, options.MaxActivities);
            using var store = host.OpenConnection();
            var publishedContent = PublishedContent(store);
            Probe? last = null;

            for (var i = options.First; i < options.First + options.Mutations && !cancellationToken.IsCancellationRequested; i++)
            {
                var rng = new Random(unchecked((options.Seed * 7919) + i));
                var sample = rng.Next(samples.Count);
                var code = codes[sample];
                var mutant = mutator.Mutate(samples[sample], rng);
                var (probe, designerPublish) = Request(host.Keys.Admin, code, mutant, rng, LatestVersion(store, code));
                probe.Note = $"mutant {i} (seed {options.Seed}) of {code}: {mutant.Description}";
                last = probe;

                var before = Snapshot(store, code);
                var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
                report.Count("mutants");
                if (answer is null)
                {
                    report.Fail("no answer", probe);
                    if (!host.IsRunning)
                    {
                        report.Fail($"the server died:\n{host.OutputTail()}", probe);
                        await host.StartAsync(cancellationToken);
                    }

                    continue;
                }

                if (answer.IsSuccess)
                {
                    report.Count("accepted");
                }
                else if (answer.Status >= 500)
                {
                    var after = Snapshot(store, code);
                    if (!before.SequenceEqual(after, StringComparer.Ordinal))
                    {
                        report.Fail($"answered {answer.Status} and the stored versions changed anyway: {Difference(before, after)}", probe, answer);
                    }
                }
                else if (answer.Status is >= 400 and < 500)
                {
                    report.Count("refused");
                    var after = Snapshot(store, code);
                    var allowed = designerPublish && answer.Status == 400 && answer.Body.Contains("saved as a draft", StringComparison.Ordinal);
                    if (allowed ? !SamePublished(before, after) : !before.SequenceEqual(after, StringComparer.Ordinal))
                    {
                        report.Fail($"refused with {answer.Status} but the stored versions changed: {Difference(before, after)}", probe, answer);
                    }

                    if (answer.Json() is not JsonObject problem || (problem["detail"] is null && problem["errors"] is null && problem["title"] is null))
                    {
                        report.Fail($"refused with {answer.Status} without a problem body saying why", probe, answer);
                    }
                }

                if ((i + 1) % ListCheckEvery == 0)
                {
                    await CheckListsAsync(host, client, report, codes, $"after mutant {i}", probe, cancellationToken);
                }

                if ((i + 1) % PublishedCheckEvery == 0)
                {
                    CheckPublishedUnchanged(store, publishedContent, report, $"by mutant {i - PublishedCheckEvery + 1}…{i}");
                }
            }

            await CheckListsAsync(host, client, report, codes, "at the end", last, cancellationToken);
            CheckPublishedUnchanged(store, publishedContent, report, "at the end");
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

    /// <summary>The mutant as one of the three ways an administrator saves a definition.</summary>
    private static (Probe Probe, bool DesignerPublish) Request(Principal admin, string code, Mutant mutant, Random rng, int latestVersion)
    {
        var publish = rng.Next(10) < 3;
        switch (rng.Next(5))
        {
            case 0 or 1:
            {
                // The designer wraps the model: {"model": …, "publish": …}; now and then the envelope is odd too.
                var envelope = rng.Next(15) switch
                {
                    0 => ("{\"model\":", ",\"publish\":\"yes\"}"),
                    1 => ("{\"publish\":true,\"model\":[", "]}"),
                    2 => ("{\"model\":", ",\"publish\":1,\"model\":null}"),
                    _ => ("{\"model\":", $",\"publish\":{(publish ? "true" : "false")}}}"),
                };
                var body = Encoding.UTF8.GetBytes(envelope.Item1).Concat(mutant.Body).Concat(Encoding.UTF8.GetBytes(envelope.Item2)).ToArray();
                return (Probe.Post("/elsa/api/workflow-definitions").As(admin).Bytes(body, "application/json"), publish);
            }

            case 2 or 3:
                return (Probe.Put($"/api/procedures/{code}/draft{(publish ? "?publish=true" : "")}").As(admin).Bytes(mutant.Body, "application/json"), false);
            default:
                return (Probe.Put($"/api/procedures/{code}/versions/{latestVersion}").As(admin).Bytes(mutant.Body, "application/json"), false);
        }
    }

    /// <summary>
    /// The stored versions as comparable lines: every row's id, flags and size, and the full content
    /// of the drafts of <paramref name="code"/>. (Published content never changes and is large, so it
    /// is checked every few hundred mutants instead.)
    /// </summary>
    private static List<string> Snapshot(SqliteConnection store, string code)
    {
        using var command = store.CreateCommand();
        command.CommandText = """
            SELECT Id, DefinitionId, Version, Name, IsLatest, IsPublished, PublishedAt,
                   CASE WHEN PublishedAt IS NULL THEN length(Json) END,
                   CASE WHEN PublishedAt IS NULL AND DefinitionId = $code THEN Json END
            FROM WorkflowDefinitionVersions ORDER BY Id
            """;
        command.Parameters.AddWithValue("$code", code);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var fields = Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture));
            rows.Add(string.Join(" | ", fields));
        }

        return rows;
    }

    /// <summary>
    /// Whether the published versions are untouched: the designer keeps a refused publish's edits as
    /// a draft (which makes that draft the latest), but nothing may be published or unpublished.
    /// </summary>
    private static bool SamePublished(List<string> before, List<string> after) =>
        before.Select(PublishedPart).OfType<string>().SequenceEqual(after.Select(PublishedPart).OfType<string>(), StringComparer.Ordinal);

    private static string? PublishedPart(string row)
    {
        var fields = row.Split(" | ");
        return fields[6] == "∅" ? null : string.Join(" | ", fields[0], fields[2], fields[5], fields[6]);
    }

    private static string Difference(List<string> before, List<string> after)
    {
        var gone = before.Except(after, StringComparer.Ordinal).Select(r => "- " + Probe.Shorten(r, 160));
        var come = after.Except(before, StringComparer.Ordinal).Select(r => "+ " + Probe.Shorten(r, 160));
        return string.Join(" ", gone.Concat(come).Take(6));
    }

    private static int LatestVersion(SqliteConnection store, string code)
    {
        using var command = store.CreateCommand();
        command.CommandText = "SELECT coalesce(max(Version), 1) FROM WorkflowDefinitionVersions WHERE DefinitionId = $code";
        command.Parameters.AddWithValue("$code", code);
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> PublishedContent(SqliteConnection store)
    {
        using var command = store.CreateCommand();
        command.CommandText = "SELECT Id, Json FROM WorkflowDefinitionVersions WHERE PublishedAt IS NOT NULL";
        using var reader = command.ExecuteReader();
        var content = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            content[reader.GetString(0)] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(reader.GetString(1))));
        }

        return content;
    }

    /// <summary>A published version's content never changes, whatever is sent afterwards.</summary>
    private static void CheckPublishedUnchanged(SqliteConnection store, Dictionary<string, string> known, FaultReport report, string when)
    {
        foreach (var (id, hash) in PublishedContent(store))
        {
            if (known.TryGetValue(id, out var earlier) && earlier != hash)
            {
                report.Fail($"the content of published version {id} changed {when}");
            }

            known[id] = hash;
        }
    }

    /// <summary>Everyone's lists still answer: a stored definition may be broken, the lists may not be.</summary>
    private static async Task CheckListsAsync(FaultHost host, FaultClient client, FaultReport report, IReadOnlyList<string> codes, string when, Probe? cause, CancellationToken cancellationToken)
    {
        var keys = host.Keys;
        var probes = new List<Probe>
        {
            Probe.Get("/elsa/api/workflow-definitions").As(keys.Admin),
            Probe.Get("/elsa/api/workflow-definitions?versionOptions=Latest&PageSize=50").As(keys.Admin),
            Probe.Get("/api/procedures").As(keys.Admin),
            Probe.Get("/api/procedures").As(keys.ClerkOf(ClerkRequests.Counter)),
            Probe.Get("/odata/v1/Procedures").As(keys.Reporter),
            Probe.Get("/odata/v1/Procedures?$count=true&$orderby=Version desc").As(keys.Reporter),
        };
        foreach (var code in codes)
        {
            probes.Add(Probe.Get($"/api/procedures/{code}/versions").As(keys.Admin));
            probes.Add(Probe.Get($"/api/procedures/{code}/definition").As(keys.Admin));
            probes.Add(Probe.Get($"/elsa/api/workflow-definitions/by-definition-id/{code}?versionOptions=Latest").As(keys.Admin));
        }

        foreach (var probe in probes)
        {
            var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
            report.Count("list reads");
            if (answer is not { Status: 200 })
            {
                report.Fail($"{when}: {probe.Method} {probe.Path} answered {answer?.Status.ToString(CultureInfo.InvariantCulture) ?? "nothing"}; last mutant sent: {cause?.Note}", probe, answer);
            }
        }
    }
}
