using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// N clerks complete the same task at the same moment, all with the same If-Match. With a key each,
/// exactly one gets 200 and every other one 409; with one shared Idempotency-Key (a client retrying
/// while its first request is still in flight) every one of them gets the first answer, byte for
/// byte. Either way the journal holds the completion once and the dossier moved one version.
/// </summary>
public static class ConcurrentCompletions
{
    /// <param name="Sizes">How many concurrent requests per round (2, 8, 32).</param>
    /// <param name="Rounds">Rounds per size and key policy.</param>
    /// <param name="Seed">Seed of the keys and the procedures.</param>
    public sealed record Options(IReadOnlyList<int> Sizes, int Rounds, int Seed);

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var report = new FaultReport("concurrent completions", options.Seed, log);
        log.Line($"[fault] concurrent completions: sizes {string.Join("/", options.Sizes)}, {options.Rounds} rounds each with distinct and with shared keys, seed {options.Seed}");
        await using var host = FaultHost.Create("completions", log);
        try
        {
            await host.StartAsync(cancellationToken);
            using var http = host.CreateClient();
            var client = new FaultClient(http, report);
            var rng = new Random(options.Seed);
            foreach (var size in options.Sizes)
            {
                for (var round = 1; round <= options.Rounds; round++)
                {
                    foreach (var sharedKey in new[] { false, true })
                    {
                        await RoundAsync(host, client, report, rng, size, sharedKey, $"size {size}, round {round}, {(sharedKey ? "one shared key" : "a key each")}", cancellationToken);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            report.Fail($"the run stopped: {ex.Message}");
        }
        finally
        {
            host.KeepFolder = !report.Clean;
            report.Print();
        }

        return report;
    }

    private static async Task RoundAsync(FaultHost host, FaultClient client, FaultReport report, Random rng, int size, bool sharedKey, string round, CancellationToken cancellationToken)
    {
        var counter = host.Keys.ClerkOf(ClerkRequests.Counter);
        var receipt = ClerkRequests.Receive(counter, ClerkRequests.ReceiveBody("birth-registration", $"Concurrent {round}", ClerkRequests.IdNumber(rng)), ClerkRequests.NewKey(rng));
        var received = await client.SendAsync(receipt, cancellationToken: cancellationToken);
        if (received is not { Status: 201 } || received.JsonObject() is not { } dossier)
        {
            report.Fail($"{round}: the receipt was not accepted", receipt, received);
            return;
        }

        var dossierId = Json.Text(dossier, "id");
        var version = Json.Number(dossier, "version");
        var task = ClerkRequests.OpenTasks(dossier).Single();
        var clerk = host.Keys.ClerkOf(task.UnitCode);
        var shared = ClerkRequests.NewKey(rng);
        // With one shared key: one client retrying, the same request byte for byte each time.
        var probes = Enumerable.Range(0, size)
            .Select(i => sharedKey
                ? ClerkRequests.Complete(clerk, task.Id, version, "Done", shared, round)
                : ClerkRequests.Complete(clerk, task.Id, version, "Done", ClerkRequests.NewKey(rng), $"{round}: clerk {i}"))
            .ToList();
        foreach (var probe in probes)
        {
            probe.Note = $"{round}: one of {size} concurrent completions of task {task.Id} (dossier {dossierId})";
        }

        // Open the connections first so the completions leave together instead of one per handshake.
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
        var winners = answers.Where(a => a.Answer is { Status: 200 }).ToList();
        foreach (var (probe, answer) in answers)
        {
            if (answer is null)
            {
                report.Fail($"{round}: no answer", probe);
            }
            else if (sharedKey ? answer.Status != 200 : answer.Status is not (200 or 409))
            {
                report.Fail($"{round}: answered {answer.Status}, expected {(sharedKey ? "200 (the first answer, replayed)" : "200 or 409")}", probe, answer);
            }
        }

        if (sharedKey)
        {
            var bodies = winners.Select(w => w.Answer!.Body).Distinct(StringComparer.Ordinal).Count();
            if (bodies > 1)
            {
                report.Fail($"{round}: the same Idempotency-Key got {bodies} different 200 bodies", winners[0].Probe);
            }

            report.Count("replayed", winners.Count(w => w.Answer!.Replayed));
        }
        else if (winners.Count > 1)
        {
            report.DuplicatedChange($"{round}: {winners.Count} of {size} completions with the same If-Match succeeded", winners[1].Probe);
        }

        if (winners.Count == 0)
        {
            report.Fail($"{round}: none of {size} completions succeeded", probes[0]);
        }

        report.Count("succeeded", winners.Count);
        report.Count("conflicts (409)", answers.Count(a => a.Answer is { Status: 409 }));

        await using var db = host.OpenStore();
        var completions = await db.Journal.AsNoTracking().CountAsync(j => j.DossierId == dossierId && j.TaskId == task.Id && j.Type == JournalEventTypes.TaskCompleted, cancellationToken);
        var stored = await db.Dossiers.AsNoTracking().SingleAsync(d => d.Id == dossierId, cancellationToken);
        if (completions > 1 || stored.Version > version + 1)
        {
            report.DuplicatedChange($"{round}: the task was completed {completions} times in the journal; the dossier went from version {version} to {stored.Version}", probes[0]);
        }
        else if (winners.Count > 0 && (completions == 0 || stored.Version != version + 1))
        {
            report.LostChange($"{round}: a completion was acknowledged but the journal holds {completions} and the dossier is at version {stored.Version}", winners[0].Probe);
        }

        var audit = await DossierAudit.LoadAsync(db, dossierId, cancellationToken);
        foreach (var inconsistency in DossierAudit.Inconsistencies(audit[dossierId]))
        {
            report.Fail($"{round}: {inconsistency}");
        }
    }
}
