using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.CompleteTask;
using ProcessServer.Host.Features.ReceiveDossier;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// N clerks complete the same task at the same moment, all with the same If-Match. With a key each,
/// exactly one gets 200 and every other one 409; with one shared Idempotency-Key (a client retrying
/// while its first request is still in flight) every one of them gets the first answer, byte for
/// byte. Either way the journal holds the completion once and the dossier moved one version.
/// Through HTTP against the server process, or in process straight through the use-case handlers
/// the endpoints call (as the importer and background runs do).
/// </summary>
public static class ConcurrentCompletions
{
    /// <param name="Sizes">How many concurrent requests per round (2, 8, 32).</param>
    /// <param name="Rounds">Rounds per size and key policy.</param>
    /// <param name="Seed">Seed of the keys and the procedures.</param>
    /// <param name="InProcess">Call CompleteTaskHandler from DI scopes instead of HTTP.</param>
    public sealed record Options(IReadOnlyList<int> Sizes, int Rounds, int Seed, bool InProcess = false);

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var name = options.InProcess ? "concurrent completions through the handler" : "concurrent completions";
        var report = new FaultReport(name, options.Seed, log);
        log.Line($"[fault] {name}: sizes {string.Join("/", options.Sizes)}, {options.Rounds} rounds each with distinct and with shared keys, seed {options.Seed}");
        await using var host = FaultHost.Create("completions", log);
        try
        {
            IChannel channel;
            InProcessServer? inProcess = null;
            HttpClient? http = null;
            if (options.InProcess)
            {
                inProcess = await InProcessServer.StartAsync(host, cancellationToken);
                channel = new HandlerChannel(inProcess.Services, report);
            }
            else
            {
                await host.StartAsync(cancellationToken);
                http = host.CreateClient();
                channel = new HttpChannel(new FaultClient(http, report));
            }

            try
            {
                var rng = new Random(options.Seed);
                foreach (var size in options.Sizes)
                {
                    for (var round = 1; round <= options.Rounds; round++)
                    {
                        foreach (var sharedKey in new[] { false, true })
                        {
                            await RoundAsync(host, channel, report, rng, size, sharedKey, $"size {size}, round {round}, {(sharedKey ? "one shared key" : "a key each")}", cancellationToken);
                        }
                    }
                }
            }
            finally
            {
                http?.Dispose();
                if (inProcess is not null)
                {
                    await inProcess.DisposeAsync();
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

    private static async Task RoundAsync(FaultHost host, IChannel channel, FaultReport report, Random rng, int size, bool sharedKey, string round, CancellationToken cancellationToken)
    {
        var counter = host.Keys.ClerkOf(ClerkRequests.Counter);
        var receipt = ClerkRequests.Receive(counter, ClerkRequests.ReceiveBody("birth-registration", $"Concurrent {round}", ClerkRequests.IdNumber(rng)), ClerkRequests.NewKey(rng));
        var received = await channel.SendAsync(receipt, cancellationToken);
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
            probe.Note = $"{round}: one of {size} concurrent completions of task {task.Id} (dossier {dossierId}){channel.Via}";
        }

        await channel.WarmUpAsync(size, cancellationToken);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sends = probes.Select(async probe =>
        {
            await start.Task;
            return (Probe: probe, Answer: await channel.SendAsync(probe, cancellationToken));
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

    /// <summary>How the requests reach the server.</summary>
    private interface IChannel
    {
        /// <summary>Appended to each request's note.</summary>
        string Via { get; }

        Task WarmUpAsync(int connections, CancellationToken cancellationToken);

        Task<Answer?> SendAsync(Probe probe, CancellationToken cancellationToken);
    }

    private sealed class HttpChannel(FaultClient client) : IChannel
    {
        public string Via => string.Empty;

        // Open the connections first so the completions leave together instead of one per handshake.
        public Task WarmUpAsync(int connections, CancellationToken cancellationToken) =>
            Task.WhenAll(Enumerable.Range(0, connections).Select(_ => client.Http.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken)));

        public Task<Answer?> SendAsync(Probe probe, CancellationToken cancellationToken) => client.SendAsync(probe, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The same requests handed to ReceiveDossierHandler and CompleteTaskHandler, each call in its
    /// own DI scope (as each HTTP request has one), with the caller, If-Match version and
    /// Idempotency-Key the endpoint would have read from the request.
    /// </summary>
    private sealed class HandlerChannel(IServiceProvider services, FaultReport report) : IChannel
    {
        public string Via => " — in process, through CompleteTaskHandler";

        public Task WarmUpAsync(int connections, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task<Answer?> SendAsync(Probe probe, CancellationToken cancellationToken)
        {
            report.Attempt();
            var clerk = probe.Key!;
            var caller = Caller.Of(clerk.Name, clerk.Role, clerk.Units);
            var header = (string name) => probe.Headers.Where(h => h.Key == name).Select(h => h.Value).FirstOrDefault();
            var key = header("Idempotency-Key");
            var token = key is null ? null : IdempotencyToken.For(key, $"{probe.Method} {probe.Path}", probe.BodyText);
            await using var scope = services.CreateAsyncScope();
            try
            {
                TransitionOutcome outcome;
                if (probe.Path == "/api/dossiers")
                {
                    var request = JsonSerializer.Deserialize<ReceiveDossierRequest>(probe.BodyText, JsonBody.Options)!;
                    outcome = await scope.ServiceProvider.GetRequiredService<ReceiveDossierHandler>().HandleAsync(request, caller, token, cancellationToken);
                }
                else
                {
                    var body = JsonNode.Parse(probe.BodyText)!;
                    var taskId = Uri.UnescapeDataString(probe.Path.Split('/')[3]);
                    var version = int.Parse(header("If-Match")!.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
                    outcome = await scope.ServiceProvider.GetRequiredService<CompleteTaskHandler>().HandleAsync(
                        new CompleteTaskCommand(taskId, body["outcome"]?.GetValue<string>(), body["comment"]?.GetValue<string>(), null), caller, version, token, cancellationToken);
                }

                return outcome.Answer is { } answer
                    ? new Answer { Status = answer.Created ? 201 : 200, Body = answer.Body, ReplayedFlag = answer.Replayed }
                    : new Answer { Status = Status(outcome.Refusal!.Kind), Body = $"{outcome.Refusal.Title}: {outcome.Refusal.Detail}" };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // What an endpoint would have answered with 500.
                var answer = new Answer { Status = 500, Body = ex.ToString() };
                report.ServerError(probe, answer);
                return answer;
            }
        }

        private static int Status(RefusalKind kind) => kind switch
        {
            RefusalKind.Invalid => 400,
            RefusalKind.NotFound => 404,
            RefusalKind.Forbidden => 403,
            RefusalKind.Conflict => 409,
            RefusalKind.PreconditionRequired => 428,
            _ => 422,
        };
    }
}
