using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// kill -9 under load. Clerks receive dossiers and complete tasks over HTTP, each request with an
/// Idempotency-Key (and If-Match for completions), while the server process is killed with SIGKILL
/// at random moments — under load, and now and then while it is still starting — and started again
/// on the same SQLite file. A request without an answer is sent again, byte for byte with the same
/// key, until it is answered. At the end every acknowledged receipt and transition must be stored
/// exactly once, nothing may be stored that was not asked for, and every dossier's journal must
/// agree with its state, in the database and through the API.
/// </summary>
public static class KillUnderLoad
{
    /// <param name="Cycles">Kills (each followed by a restart).</param>
    /// <param name="Seed">Seed of the workload, the kill moments and the Idempotency-Keys.</param>
    /// <param name="Clerks">Concurrent clerk clients.</param>
    /// <param name="MaxLoadMilliseconds">Longest load period between a restart and the next kill.</param>
    public sealed record Options(int Cycles, int Seed, int Clerks = 4, int MaxLoadMilliseconds = 3000);

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var report = new FaultReport("kill-9 under load", options.Seed, log);
        log.Line($"[fault] kill-9 under load: {options.Cycles} kills, {options.Clerks} concurrent clerks, seed {options.Seed}");
        await using var host = FaultHost.Create("kill", log);
        var run = new Run(host, report, options);
        try
        {
            await host.StartAsync(cancellationToken);
            run.Up.Open();
            using var http = host.CreateClient(TimeSpan.FromSeconds(30));
            var client = new FaultClient(http, report);
            var clerks = Enumerable.Range(0, options.Clerks).Select(i => run.ClerkAsync(client, i, cancellationToken)).ToList();

            var rng = new Random(options.Seed);
            for (var cycle = 1; cycle <= options.Cycles; cycle++)
            {
                await Task.Delay(rng.Next(options.MaxLoadMilliseconds / 6, options.MaxLoadMilliseconds + 1), cancellationToken);
                run.Up.Close();
                host.Kill();
                report.Count("kills");
                host.Launch();

                // Now and then the restarted server is killed again before it answers: a kill during
                // start-up (migrations, sample loading, Quartz) must not hurt either.
                if (rng.Next(4) == 0)
                {
                    await Task.Delay(rng.Next(20, 900), cancellationToken);
                    host.Kill();
                    report.Count("kills");
                    report.Count("kills during start-up");
                    host.Launch();
                }

                await host.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken);
                run.Up.Open();
            }

            // Stop giving new work; every request still unanswered is sent again until answered.
            run.Draining = true;
            var drained = Task.WhenAll(clerks);
            if (await Task.WhenAny(drained, Task.Delay(TimeSpan.FromMinutes(3), cancellationToken)) != drained)
            {
                report.Fail("clerks did not finish their last requests within 3 minutes");
            }
            else
            {
                await drained;
            }

            await run.VerifyThroughApiAsync(client, cancellationToken);
            host.Kill();
            await run.VerifyStoreAsync(cancellationToken);
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

    /// <summary>An async gate the clerks wait on while the server is down.</summary>
    private sealed class UpGate
    {
        private volatile TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WaitAsync() => _open.Task;

        public void Open() => _open.TrySetResult();

        public void Close()
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>A request the clerks made, and what became of it.</summary>
    private sealed class Operation
    {
        public required string Kind { get; init; }

        public required Probe Probe { get; init; }

        /// <summary>For receipts: the unique applicant name that finds the dossier in the store.</summary>
        public string? Tag { get; init; }

        public string? DossierId { get; set; }

        public string? TaskId { get; init; }

        public string? Outcome { get; init; }

        public bool Acknowledged { get; set; }

        public int Sends { get; set; }
    }

    /// <summary>A dossier a clerk works on, as of its last acknowledged answer.</summary>
    private sealed class Tracked
    {
        public required string Id { get; init; }

        public required string Tag { get; init; }

        public int Version { get; set; }

        public IReadOnlyList<OpenTask> Tasks { get; set; } = [];
    }

    private sealed class Run(FaultHost host, FaultReport report, Options options)
    {
        private readonly ConcurrentQueue<Operation> _ledger = new();
        private readonly ConcurrentDictionary<string, Tracked> _dossiers = new(StringComparer.Ordinal);

        public UpGate Up { get; } = new();

        public volatile bool Draining;

        public async Task ClerkAsync(FaultClient client, int index, CancellationToken cancellationToken)
        {
            var rng = new Random(unchecked((options.Seed * 31) + index));
            var mine = new List<Tracked>();
            var receipts = 0;
            while (!Draining && !cancellationToken.IsCancellationRequested)
            {
                if (mine.Count < 2 || rng.Next(6) == 0)
                {
                    var tag = $"Fault {options.Seed}-{index}-{++receipts}";
                    var body = ClerkRequests.ReceiveBody(ClerkRequests.Procedures[rng.Next(ClerkRequests.Procedures.Length)], tag, ClerkRequests.IdNumber(rng));
                    var op = new Operation
                    {
                        Kind = "receive",
                        Tag = tag,
                        Probe = ClerkRequests.Receive(host.Keys.ClerkOf(ClerkRequests.Counter), body, ClerkRequests.NewKey(rng)),
                    };
                    var answer = await UntilAnsweredAsync(client, op, cancellationToken);
                    if (answer is { Status: 201 } && answer.JsonObject() is { } view)
                    {
                        var dossier = new Tracked { Id = Json.Text(view, "id"), Tag = tag, Version = Json.Number(view, "version"), Tasks = ClerkRequests.OpenTasks(view) };
                        op.DossierId = dossier.Id;
                        Acknowledge(op, answer);
                        _dossiers[dossier.Id] = dossier;
                        mine.Add(dossier);
                    }
                    else if (answer is not null)
                    {
                        report.Fail("a well-formed receipt was refused", op.Probe, answer);
                    }

                    continue;
                }

                var target = mine[rng.Next(mine.Count)];
                var task = target.Tasks[rng.Next(target.Tasks.Count)];
                var outcome = ChooseOutcome(task, rng);
                var data = task.ActivityId == "taxNotice" && rng.Next(2) == 0 ? new JsonObject { ["hasFinancialObligation"] = false } : null;
                var completion = new Operation
                {
                    Kind = "complete",
                    DossierId = target.Id,
                    TaskId = task.Id,
                    Outcome = outcome,
                    Probe = ClerkRequests.Complete(host.Keys.ClerkOf(task.UnitCode), task.Id, target.Version, outcome, ClerkRequests.NewKey(rng),
                        $"{task.ActivityId}: {outcome}", data),
                };
                var result = await UntilAnsweredAsync(client, completion, cancellationToken);
                if (result is { Status: 200 } && result.JsonObject() is { } after)
                {
                    Acknowledge(completion, result);
                    target.Version = Json.Number(after, "version");
                    target.Tasks = ClerkRequests.OpenTasks(after);
                }
                else if (result is not null)
                {
                    // Only this clerk works on the dossier and a resent request carries the same key,
                    // so anything but 200 (e.g. 409 "changed meanwhile") means the server lost track.
                    report.Fail($"completion {outcome} of {task.ActivityId} answered {result.Status} after {completion.Sends} sends", completion.Probe, result);
                    await ReloadAsync(client, target, cancellationToken);
                }

                if (target.Tasks.Count == 0)
                {
                    mine.Remove(target);
                }
            }
        }

        /// <summary>Every dossier as the API shows it now matches what the clerks were last told.</summary>
        public async Task VerifyThroughApiAsync(FaultClient client, CancellationToken cancellationToken)
        {
            foreach (var dossier in _dossiers.Values)
            {
                var probe = ClerkRequests.GetDossier(host.Keys.Admin, dossier.Id);
                var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
                if (answer is not { Status: 200 } || answer.JsonObject() is not { } view)
                {
                    report.LostChange($"acknowledged dossier {dossier.Id} does not answer", probe);
                    continue;
                }

                var tasks = ClerkRequests.OpenTasks(view).Select(t => t.Id).Order(StringComparer.Ordinal);
                if (Json.Number(view, "version") != dossier.Version || !tasks.SequenceEqual(dossier.Tasks.Select(t => t.Id).Order(StringComparer.Ordinal), StringComparer.Ordinal))
                {
                    report.Fail($"dossier {dossier.Id} is at version {Json.Number(view, "version")} with tasks [{string.Join(",", tasks)}]; the clerks were last told version {dossier.Version} with [{string.Join(",", dossier.Tasks.Select(t => t.Id))}]", probe, answer);
                }
            }
        }

        /// <summary>The database holds every acknowledged change exactly once and nothing else.</summary>
        public async Task VerifyStoreAsync(CancellationToken cancellationToken)
        {
            await using var db = host.OpenStore();
            var stored = await DossierAudit.LoadAsync(db, cancellationToken);
            var operations = _ledger.ToList();
            var unanswered = operations.Where(o => !o.Acknowledged).ToList();
            foreach (var op in unanswered)
            {
                report.Fail($"{op.Kind} was never acknowledged ({op.Sends} sends)", op.Probe);
            }

            var receipts = operations.Where(o => o.Kind == "receive" && o.Acknowledged).ToList();
            var byTag = stored.Values.ToLookup(d => d.Row.ApplicantName, StringComparer.Ordinal);
            var tags = receipts.Select(r => r.Tag!).ToHashSet(StringComparer.Ordinal);
            foreach (var receipt in receipts)
            {
                var copies = byTag[receipt.Tag!].Count();
                if (!stored.ContainsKey(receipt.DossierId!) || copies == 0)
                {
                    report.LostChange($"acknowledged receipt of {receipt.Tag} (dossier {receipt.DossierId}) is not stored", receipt.Probe);
                }

                if (copies > 1)
                {
                    report.DuplicatedChange($"receipt of {receipt.Tag} is stored {copies} times", receipt.Probe);
                }
            }

            foreach (var stray in stored.Values.Where(d => !tags.Contains(d.Row.ApplicantName)))
            {
                report.DuplicatedChange($"dossier {stray.Row.ReceiptCode} ({stray.Row.ApplicantName}) was stored but never acknowledged");
            }

            var completions = operations.Where(o => o.Kind == "complete" && o.Acknowledged).ToLookup(o => o.DossierId!, StringComparer.Ordinal);
            foreach (var receipt in receipts.Where(r => stored.ContainsKey(r.DossierId!)))
            {
                var dossier = stored[receipt.DossierId!];
                var asked = completions[receipt.DossierId!].ToList();
                var expected = DossierAudit.Multiset(asked.Select(o => (o.TaskId!, o.Outcome!)));
                var actual = DossierAudit.Multiset(dossier.Changes);
                foreach (var (change, count) in expected)
                {
                    var found = actual.GetValueOrDefault(change);
                    if (found < count)
                    {
                        report.LostChange($"dossier {dossier.Row.ReceiptCode}: acknowledged {DossierAudit.Describe(change)} is in the journal {found} of {count} times",
                            asked.First(o => (o.TaskId, o.Outcome) == change).Probe);
                    }
                }

                foreach (var (change, count) in actual)
                {
                    if (count > expected.GetValueOrDefault(change))
                    {
                        report.DuplicatedChange($"dossier {dossier.Row.ReceiptCode}: {DossierAudit.Describe(change)} is in the journal {count} times, acknowledged {expected.GetValueOrDefault(change)} times");
                    }
                }

                if (dossier.Row.Version != 1 + asked.Count)
                {
                    report.Fail($"dossier {dossier.Row.ReceiptCode} is at version {dossier.Row.Version} after 1 receipt and {asked.Count} acknowledged transitions");
                }

                foreach (var inconsistency in DossierAudit.Inconsistencies(dossier))
                {
                    report.Fail(inconsistency);
                }
            }

            // Every acknowledged answer is remembered under its key, so any later retry gets it again.
            var keys = (await db.IdempotencyRecords.Select(r => r.Scope + "\n" + r.Key).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            foreach (var op in operations.Where(o => o.Acknowledged))
            {
                var key = op.Probe.Headers.Single(h => h.Key == "Idempotency-Key").Value;
                if (!keys.Contains(op.Probe.Key!.Name + "\n" + key))
                {
                    report.LostChange($"the stored answer to Idempotency-Key {key} is missing", op.Probe);
                }
            }

            report.Count("dossiers", stored.Count);
            report.Count("transitions stored", stored.Values.Sum(d => d.Changes.Count()));
        }

        private void Acknowledge(Operation op, Answer answer)
        {
            op.Acknowledged = true;
            report.Count("acknowledged");
            if (answer.Replayed)
            {
                report.Count("acknowledged by replay");
            }
        }

        /// <summary>Sends until the server answers; a request lost to a kill is sent again with the same key.</summary>
        private async Task<Answer?> UntilAnsweredAsync(FaultClient client, Operation op, CancellationToken cancellationToken)
        {
            _ledger.Enqueue(op);
            var serverErrors = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                await Up.WaitAsync().WaitAsync(cancellationToken);
                op.Sends++;
                if (op.Sends > 1)
                {
                    report.Count("resent");
                }

                var answer = await client.SendAsync(op.Probe, rateLimitRetries: 0, cancellationToken: cancellationToken);
                if (answer is null)
                {
                    await Task.Delay(50, cancellationToken);
                    continue;
                }

                if (answer.Status == 429)
                {
                    await Task.Delay(answer.RetryAfter(), cancellationToken);
                    continue;
                }

                if (answer.Status >= 500 && ++serverErrors < 10)
                {
                    // Already counted as a 5xx; the same key tells on the next send whether it was applied.
                    await Task.Delay(100, cancellationToken);
                    continue;
                }

                return answer;
            }

            return null;
        }

        private async Task ReloadAsync(FaultClient client, Tracked dossier, CancellationToken cancellationToken)
        {
            var answer = await client.SendAsync(ClerkRequests.GetDossier(host.Keys.Admin, dossier.Id), cancellationToken: cancellationToken);
            if (answer is { Status: 200 } && answer.JsonObject() is { } view)
            {
                dossier.Version = Json.Number(view, "version");
                dossier.Tasks = ClerkRequests.OpenTasks(view);
            }
        }

        private static string ChooseOutcome(OpenTask task, Random rng)
        {
            if (task.Status == "AwaitingSupplement")
            {
                return "SupplementReceived";
            }

            // Mostly forward; now and then a supplement request, a rework loop or a rejection.
            var weighted = task.AllowedOutcomes
                .Where(o => o != "SupplementReceived")
                .SelectMany(o => Enumerable.Repeat(o, o switch
                {
                    "RequestSupplement" => 2,
                    "ReturnForRework" or "Reject" => 1,
                    _ => 12,
                }))
                .ToList();
            return weighted.Count == 0 ? "Done" : weighted[rng.Next(weighted.Count)];
        }
    }
}
