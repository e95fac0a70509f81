using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Execution;

/// <summary>An act on a dossier off the happy path: who, why, when it happened.</summary>
/// <param name="Actor">Who did it.</param>
/// <param name="Reason">The written reason (kept in the journal; told to the applicant where a form requires it).</param>
/// <param name="Now">When it happened, UTC (may be earlier than the server's clock for a late entry).</param>
/// <param name="Time">Calendar for due dates and verdicts; without it none are computed.</param>
public sealed record DossierAct(string Actor, string Reason, DateTime Now, TimeContext? Time = null);

/// <summary>Refusal at the counter check (form 03): the application is recorded, never received.</summary>
/// <param name="At">When it was refused, UTC.</param>
/// <param name="ReceivingUnit">Unit of the counter.</param>
/// <param name="Actor">The clerk.</param>
/// <param name="Reason">Why it cannot be received (printed on form 03).</param>
public sealed record RefuseAtReceipt(DateTime At, string ReceivingUnit, string Actor, string Reason);

/// <summary>Forced completion of a dossier whose result was delivered but whose steps cannot close.</summary>
/// <param name="Act">Who, why, and when the result was handed over (UTC).</param>
/// <param name="ResultReadyAt">When the result was ready (the completion judged early/on time/late); defaults to the hand-over.</param>
public sealed record ForceCompletion(DossierAct Act, DateTime? ResultReadyAt = null);

/// <summary>Repair: close open tasks and open a task at another step.</summary>
/// <param name="Act">Who, why, when.</param>
/// <param name="TargetActivityId">The step (a Step or Await payment activity) to open.</param>
/// <param name="TaskId">The one open task to move; null moves every open task.</param>
/// <param name="EarlierOnly">Only a step before the moved tasks (a leader's return for rework).</param>
public sealed record MoveToStep(DossierAct Act, string TargetActivityId, string? TaskId = null, bool EarlierOnly = false);

/// <summary>Repair: cancel one open task; on a parallel branch the branch counts as arrived at its join.</summary>
/// <param name="Act">Who, why, when.</param>
/// <param name="TaskId">The task.</param>
public sealed record CancelTask(DossierAct Act, string TaskId);

/// <summary>Repair: set a dossier variable; nothing already decided is decided again.</summary>
/// <param name="Act">Who, why, when.</param>
/// <param name="Name">Variable name.</param>
/// <param name="Value">New value (converted to the declared type).</param>
public sealed record SetVariable(DossierAct Act, string Name, JsonNode? Value);

/// <summary>
/// Acts off the happy path, possible at any open step without any special activity in the
/// definition (DOMAIN §3.3): withdrawal request and acceptance, return without resolution, refusal
/// at the counter, forced completion, and administrator repairs. Like the rest of the interpreter
/// they are pure functions of (definition, state, command): they never touch a completed step, and
/// what they cannot do safely they refuse with a message saying why.
/// </summary>
public sealed partial class WorkflowInterpreter
{
    /// <summary>Records an application refused at the counter check (national status 3): no task, no clock.</summary>
    public static TransitionResult Refuse(CompiledWorkflow workflow, RefuseAtReceipt command)
    {
        var state = new DossierState
        {
            Stage = DossierStage.Refused,
            IsFinished = true,
            ReceivedAt = command.At,
            ReceivingUnit = command.ReceivingUnit,
            StoppedAt = command.At,
            StopKind = StopKind.RefusedAtReceipt,
        };
        foreach (var variable in workflow.Variables.Values)
        {
            state.Variables[variable.Name] = VariableValues.Coerce(variable.TypeName, variable.DefaultValue);
        }

        JournalEvent[] events =
        [
            new()
            {
                Type = JournalEventTypes.DossierRefused,
                Timestamp = command.At,
                ActivityId = workflow.Start.Id,
                ActivityType = workflow.Start.Type.TypeName,
                ActivityName = workflow.Start.DisplayName,
                Actor = command.Actor,
                Outcome = nameof(StopKind.RefusedAtReceipt),
                Comment = command.Reason,
                Data = new JsonObject { ["receivingUnit"] = command.ReceivingUnit },
            },
            new() { Type = JournalEventTypes.WorkflowFinished, Timestamp = command.At, Actor = command.Actor },
        ];
        return new TransitionResult(state, events, [], []);
    }

    /// <summary>The applicant asks in writing to withdraw: every step waits and the clock stops (national status 7).</summary>
    /// <exception cref="TransitionException">The dossier is closed, its result is ready, or a request already waits.</exception>
    public TransitionResult RequestWithdrawal(CompiledWorkflow workflow, DossierState current, DossierAct act)
    {
        EnsureOpen(current, "a withdrawal");
        if (current.WithdrawalPending)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                $"the applicant already asked to withdraw on {current.Withdrawal!.RequestedAt:yyyy-MM-dd HH:mm} UTC; a leader accepts it now");
        }

        var state = current.Clone();
        state.Withdrawal = new WithdrawalRecord { RequestedAt = act.Now, RequestedBy = act.Actor, Reason = act.Reason };
        var run = new Run(this, workflow, state, act.Actor, act.Now, act.Time);
        run.Add(JournalEventTypes.WithdrawalRequested, act.Reason, null, null);
        return run.Finish();
    }

    /// <summary>A leader accepts the applicant's withdrawal: processing stops (national status 8, withdrawn).</summary>
    /// <exception cref="TransitionException">No withdrawal request waits.</exception>
    public TransitionResult AcceptWithdrawal(CompiledWorkflow workflow, DossierState current, DossierAct act)
    {
        EnsureNotClosed(current);
        if (!current.WithdrawalPending)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                "no withdrawal request waits on this dossier; record the applicant's written request first");
        }

        var state = current.Clone();
        state.Withdrawal!.AcceptedAt = act.Now;
        state.Withdrawal.AcceptedBy = act.Actor;
        var run = new Run(this, workflow, state, act.Actor, act.Now, act.Time);
        run.StopAs(StopKind.Withdrawn, act.Reason, new JsonObject { ["requestedAt"] = current.Withdrawal!.RequestedAt, ["request"] = current.Withdrawal.Reason });
        return run.Finish();
    }

    /// <summary>
    /// Returns the dossier without resolution, with written reasons, from any open step (national
    /// status 8): every open task is cancelled and the clock stops for good.
    /// </summary>
    /// <exception cref="TransitionException">The dossier is closed or its result is ready.</exception>
    public TransitionResult ReturnWithoutResolution(CompiledWorkflow workflow, DossierState current, DossierAct act)
    {
        EnsureOpen(current, "a return without resolution");
        var state = current.Clone();
        var run = new Run(this, workflow, state, act.Actor, act.Now, act.Time);
        run.StopAs(StopKind.ReturnedWithoutResolution, act.Reason,
            new JsonObject { ["openSteps"] = new JsonArray([.. current.Tasks.Select(t => (JsonNode?)JsonValue.Create(t.ActivityId))]) });
        return run.Finish();
    }

    /// <summary>
    /// Closes a dossier whose result was delivered although its steps cannot close: open tasks are
    /// cancelled, the result is marked ready (and judged) at <see cref="ForceCompletion.ResultReadyAt"/>
    /// unless it already was, and handed over at the act's time (national status 10).
    /// </summary>
    /// <exception cref="TransitionException">The dossier is closed, or the instants are out of order.</exception>
    public TransitionResult ForceComplete(CompiledWorkflow workflow, DossierState current, ForceCompletion command)
    {
        EnsureNotClosed(current);
        var act = command.Act;
        var alreadyReady = current.Stage == DossierStage.ResultReady;
        if (alreadyReady && command.ResultReadyAt is { } given && given != current.ResultReadyAt)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                $"the result was already ready on {current.ResultReadyAt:yyyy-MM-dd HH:mm} UTC; leave resultReadyAt out");
        }

        var readyAt = alreadyReady ? current.ResultReadyAt!.Value : command.ResultReadyAt ?? act.Now;
        if (readyAt > act.Now)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                $"the result cannot be ready ({readyAt:yyyy-MM-dd HH:mm} UTC) after it was handed over ({act.Now:yyyy-MM-dd HH:mm} UTC)");
        }

        var state = current.Clone();
        var events = new List<JournalEvent>();
        var closed = new List<ClosedTask>();
        if (!alreadyReady)
        {
            var ready = new Run(this, workflow, state, act.Actor, readyAt, act.Time);
            ready.CancelAll(act.Reason);
            ready.MarkResultReady();
            var first = ready.Settle();
            events.AddRange(first.Events);
            closed.AddRange(first.ClosedTasks);
        }

        var handOver = new Run(this, workflow, state, act.Actor, act.Now, act.Time);
        handOver.CancelAll(act.Reason);
        handOver.Add(JournalEventTypes.CompletionForced, act.Reason, null,
            new JsonObject { ["resultReadyAt"] = readyAt, ["returnedAt"] = act.Now, ["wasReady"] = alreadyReady });
        handOver.MarkReturned();
        var second = handOver.Finish();
        events.AddRange(second.Events);
        closed.AddRange(second.ClosedTasks);
        return new TransitionResult(state, events, [], closed);
    }

    /// <summary>
    /// Repair: cancels the open task (or every open task) and opens a task at the target step. Nothing
    /// between runs, no completed step is touched; refused when the target is no step, or when the
    /// dossier could never finish from there (one branch of an open fork, a join waiting forever).
    /// </summary>
    /// <exception cref="TransitionException">The move is impossible; the message says why.</exception>
    public TransitionResult MoveTo(CompiledWorkflow workflow, DossierState current, MoveToStep command)
    {
        EnsureRepairable(current);
        if (!workflow.Activities.TryGetValue(command.TargetActivityId, out var target))
        {
            throw Impossible($"the procedure (version {workflow.Document.Version}) has no activity '{command.TargetActivityId}'; choose one of its steps: {string.Join(", ", Steps(workflow))}");
        }

        if (target.Task is null || target.Task.Kind == TaskKind.ReturnResult)
        {
            var what = target.Task is null ? target.Type.DisplayName : "the hand-over of the result";
            throw Impossible($"'{target.Id}' is {what}, not a step a dossier can wait at; choose one of {string.Join(", ", Steps(workflow))} (a delivered result is closed with a forced completion)");
        }

        List<PendingTask> moving;
        if (command.TaskId is { } taskId)
        {
            moving = [current.Tasks.FirstOrDefault(t => t.Id == taskId)
                ?? throw new TransitionException(TransitionError.TaskNotPending, $"task {taskId} is not open on this dossier")];
        }
        else
        {
            moving = [.. current.Tasks];
        }

        if (moving.Count == 1 && moving[0].ActivityId == target.Id)
        {
            throw Impossible($"the dossier already waits at '{target.Id}'");
        }

        if (command.EarlierOnly)
        {
            // "Earlier" by distance from the receipt, since rework loops make every step of a loop reachable from every other.
            var distance = FlowGraph.Distances(workflow);
            foreach (var task in moving)
            {
                if (distance.GetValueOrDefault(target.Id, int.MaxValue) >= distance.GetValueOrDefault(task.ActivityId, int.MaxValue)
                    || !FlowGraph.Reachable(workflow, [target.Id]).Contains(task.ActivityId))
                {
                    throw Impossible($"'{target.Id}' does not come before '{task.ActivityId}'; a return for rework goes to an earlier step");
                }
            }
        }

        var staying = current.Tasks.Where(t => moving.All(m => m.Id != t.Id)).ToList();
        var arrivals = staying.Count == 0
            ? new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal)
            : current.JoinArrivals.ToDictionary(kv => kv.Key, kv => new Dictionary<string, int>(kv.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        var open = staying.Select(t => t.ActivityId).Append(target.Id).ToList();
        var problems = FlowGraph.OrphanedBranches(workflow, open, arrivals).ToList();
        var downstream = FlowGraph.Reachable(workflow, [target.Id]);
        problems.AddRange(staying.Where(t => downstream.Contains(t.ActivityId))
            .Select(t => $"'{t.ActivityId}' is open and comes after '{target.Id}'; moving there would run it twice"));
        if (problems.Count > 0)
        {
            throw Impossible($"the dossier cannot move to '{target.Id}' ({target.DisplayName}): {string.Join("; ", problems.Distinct())}" +
                (problems.Any(p => p.Contains("orphaned", StringComparison.Ordinal)) ? " — that is one branch of an open fork; move it before the fork or after the join" : string.Empty));
        }

        var state = current.Clone();
        state.JoinArrivals = arrivals;
        var run = new Run(this, workflow, state, command.Act.Actor, command.Act.Now, command.Act.Time);
        foreach (var task in moving)
        {
            run.CancelOne(state.Tasks.Single(t => t.Id == task.Id), command.Act.Reason);
        }

        run.Add(JournalEventTypes.DossierRepaired, command.Act.Reason, command.EarlierOnly ? "ReturnForRework" : "MoveToStep", new JsonObject
        {
            ["from"] = new JsonArray([.. moving.Select(t => (JsonNode?)JsonValue.Create(t.ActivityId))]),
            ["to"] = target.Id,
        });
        if (state.Stage == DossierStage.Received)
        {
            state.Stage = DossierStage.InProgress;
        }

        run.Open(target);
        return run.Finish();
    }

    /// <summary>
    /// Repair: cancels one open task. On a parallel branch the branch counts as arrived at its join,
    /// so the other branches go on (and the join fires if they were all there). Refused for the only
    /// open task: the dossier would have nothing left to do.
    /// </summary>
    /// <exception cref="TransitionException">The task is not open, or cancelling it would strand the dossier.</exception>
    public TransitionResult Cancel(CompiledWorkflow workflow, DossierState current, CancelTask command)
    {
        EnsureRepairable(current);
        var task = current.Tasks.FirstOrDefault(t => t.Id == command.TaskId)
            ?? throw new TransitionException(TransitionError.TaskNotPending, $"task {command.TaskId} is not open on this dossier");
        if (current.Tasks.Count == 1)
        {
            throw Impossible($"'{task.ActivityId}' is the only open task: cancelling it would leave the dossier with nothing to do; move the dossier to a step, return it without resolution, or force its completion");
        }

        var joins = JoinConnectionsFrom(workflow, task.ActivityId);
        if (joins.Count > 1)
        {
            throw Impossible($"the branch of '{task.ActivityId}' reaches several joins ({string.Join(", ", joins.Select(c => c.Target))}); move the task instead");
        }

        var state = current.Clone();
        var run = new Run(this, workflow, state, command.Act.Actor, command.Act.Now, command.Act.Time);
        run.CancelOne(state.Tasks.Single(t => t.Id == task.Id), command.Act.Reason);
        run.Add(JournalEventTypes.DossierRepaired, command.Act.Reason, "CancelTask", new JsonObject
        {
            ["taskId"] = task.Id,
            ["activityId"] = task.ActivityId,
            ["branchArrivesAt"] = joins.Count == 1 ? joins[0].Target : null,
        });
        if (joins.Count == 1)
        {
            run.Arrive(joins[0]);
        }

        return run.Finish();
    }

    /// <summary>Repair: sets a dossier variable (converted to its declared type). Decisions already taken stay taken.</summary>
    /// <exception cref="TransitionException">The value does not fit the declared type.</exception>
    public TransitionResult Set(CompiledWorkflow workflow, DossierState current, SetVariable command)
    {
        EnsureNotClosed(current);
        var state = current.Clone();
        var before = state.Variables.TryGetValue(command.Name, out var old) ? old?.DeepClone() : null;
        var run = new Run(this, workflow, state, command.Act.Actor, command.Act.Now, command.Act.Time);
        run.ApplyData(new Dictionary<string, JsonNode?> { [command.Name] = command.Value });
        run.Add(JournalEventTypes.DossierRepaired, command.Act.Reason, "SetVariable", new JsonObject
        {
            ["variable"] = command.Name,
            ["before"] = before,
            ["after"] = state.Variables[command.Name]?.DeepClone(),
        });
        return run.Finish();
    }

    private static IEnumerable<string> Steps(CompiledWorkflow workflow) =>
        workflow.Activities.Values.Where(a => a.Task is { Kind: not TaskKind.ReturnResult }).Select(a => a.Id);

    /// <summary>The connections into a join that the branch from <paramref name="activityId"/> can arrive by.</summary>
    private static List<FlowConnection> JoinConnectionsFrom(CompiledWorkflow workflow, string activityId)
    {
        var found = new List<FlowConnection>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([activityId]);
        while (queue.Count > 0)
        {
            var id = queue.Dequeue();
            if (!seen.Add(id))
            {
                continue;
            }

            foreach (var connection in workflow.Connections.Where(c => c.Source == id))
            {
                if (workflow.Activities[connection.Target].Type.Kind == ActivityKind.Join)
                {
                    if (found.All(f => f.Key != connection.Key))
                    {
                        found.Add(connection);
                    }
                }
                else
                {
                    queue.Enqueue(connection.Target);
                }
            }
        }

        return found;
    }

    private static void EnsureNotClosed(DossierState current)
    {
        if (current.IsClosed)
        {
            throw new TransitionException(TransitionError.DossierClosed,
                $"the dossier is closed ({DossierStatusRules.Derive(current)}); nothing can change it any more");
        }
    }

    private static void EnsureOpen(DossierState current, string what)
    {
        EnsureNotClosed(current);
        if (current.Stage == DossierStage.ResultReady)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                $"the result is ready since {current.ResultReadyAt:yyyy-MM-dd HH:mm} UTC and was judged {current.Verdict?.ToString() ?? "without a limit"}; {what} is no longer possible — hand the result over");
        }
    }

    private static void EnsureRepairable(DossierState current)
    {
        EnsureOpen(current, "a repair of its steps");
        if (current.WithdrawalPending)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                "the applicant asked to withdraw; a leader accepts the withdrawal or returns the dossier first");
        }
    }

    private static TransitionException Impossible(string message) => new(TransitionError.RepairImpossible, message);

    /// <summary>The steps of an off-path act inside one transition.</summary>
    private sealed partial class Run
    {
        public void Add(string type, string? comment, string? outcome, JsonObject? data) =>
            _events.Add(new JournalEvent { Type = type, Timestamp = now, Actor = actor, Outcome = outcome, Comment = comment, Data = data });

        public void StopAs(StopKind kind, string reason, JsonObject? data) => Stop(kind, reason, data);

        public void CancelOne(PendingTask task, string reason)
        {
            state.Tasks.Remove(task);
            _closed.Add(new ClosedTask(task, Cancelled: true, null, now));
            _events.Add(new JournalEvent
            {
                Type = JournalEventTypes.TaskCancelled,
                Timestamp = now,
                ActivityId = task.ActivityId,
                ActivityType = task.ActivityType,
                ActivityName = task.Title,
                TaskId = task.Id,
                UnitCode = task.UnitCode,
                Actor = actor,
                Comment = reason,
                StartedAt = task.CreatedAt,
                CompletedAt = now,
            });
        }

        public void CancelAll(string reason)
        {
            foreach (var task in state.Tasks.ToList())
            {
                CancelOne(task, reason);
            }

            state.JoinArrivals.Clear();
        }

        public void Open(CompiledActivity activity) => CreateTask(activity);

        /// <summary>Ends the transition without ending the workflow (a forced completion hands over in a second step).</summary>
        public TransitionResult Settle()
        {
            UpdateDossierClock();
            return new TransitionResult(state, _events, _created, _closed);
        }

        public void Arrive(FlowConnection connection)
        {
            _agenda.Enqueue((connection.Target, connection));
            Drain();
        }

        public void MarkResultReady()
        {
            state.Stage = DossierStage.ResultReady;
            state.ResultReadyAt = now;
            if (time is not null && state.DueAt is { } due)
            {
                state.Verdict = time.Time.Judge(now, due);
            }

            _events.Add(new JournalEvent
            {
                Type = JournalEventTypes.ResultReady,
                Timestamp = now,
                Actor = actor,
                Outcome = state.Verdict?.ToString(),
                Data = state.DueAt is null ? null : new JsonObject { ["dueAt"] = state.DueAt, ["verdict"] = state.Verdict?.ToString(), ["forced"] = true },
            });
        }

        public void MarkReturned()
        {
            state.Stage = DossierStage.Returned;
            state.ReturnedAt = now;
            _events.Add(new JournalEvent { Type = JournalEventTypes.ResultReturned, Timestamp = now, Actor = actor, Data = new JsonObject { ["forced"] = true } });
            EndWorkflow(null);
        }
    }
}
