using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Time;

namespace ProcessServer.Engine.Execution;

/// <summary>Receive a new dossier.</summary>
/// <param name="ReceivedAt">Receipt instant, UTC.</param>
/// <param name="ReceivingUnit">Unit code of the counter that received it.</param>
/// <param name="Actor">Who received it.</param>
/// <param name="Data">Initial values for dossier variables.</param>
/// <param name="Time">Calendar for appointment and due dates; without it no dates are computed.</param>
/// <param name="UnitMoves">Retired units and their successors, so steps the pinned definition addresses to a retired unit start in its successor.</param>
public sealed record StartDossier(DateTime ReceivedAt, string ReceivingUnit, string Actor, IReadOnlyDictionary<string, JsonNode?>? Data = null, TimeContext? Time = null,
    IReadOnlyDictionary<string, string>? UnitMoves = null);

/// <summary>Complete a pending task.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Outcome">Chosen outcome.</param>
/// <param name="Actor">Who completes it.</param>
/// <param name="Comment">Handler's comment.</param>
/// <param name="Data">Values for dossier variables.</param>
/// <param name="Now">Completion instant, UTC.</param>
/// <param name="Time">Calendar for due dates and verdicts; without it none are computed.</param>
/// <param name="ActorId">The completing person's id, compared with the task's holder.</param>
/// <param name="OverridesHolder">The actor leads the task's unit and may complete a task another officer holds (journaled).</param>
public sealed record CompleteTask(string TaskId, string Outcome, string Actor, string? Comment, IReadOnlyDictionary<string, JsonNode?>? Data, DateTime Now,
    TimeContext? Time = null, string? ActorId = null, bool OverridesHolder = false);

/// <summary>A task that left the pending set in a transition.</summary>
/// <param name="Task">The task as it was.</param>
/// <param name="Cancelled">True when cancelled rather than completed.</param>
/// <param name="Outcome">Outcome, for completed tasks.</param>
/// <param name="ClosedAt">When, UTC.</param>
/// <param name="Verdict">The step's own verdict against its due instant, when it had one.</param>
public sealed record ClosedTask(PendingTask Task, bool Cancelled, string? Outcome, DateTime ClosedAt, Time.Verdict? Verdict = null);

/// <summary>The result of one transition: the whole new state and what happened.</summary>
/// <param name="State">New state (the input state is never modified).</param>
/// <param name="Events">Journal entries, in order.</param>
/// <param name="CreatedTasks">Tasks created.</param>
/// <param name="ClosedTasks">Tasks completed or cancelled.</param>
public sealed record TransitionResult(
    DossierState State,
    IReadOnlyList<JournalEvent> Events,
    IReadOnlyList<PendingTask> CreatedTasks,
    IReadOnlyList<ClosedTask> ClosedTasks)
{
    /// <summary>Internal status after the transition.</summary>
    public DossierStatus Status => DossierStatusRules.Derive(State);
}

/// <summary>
/// Runs Elsa-style flowcharts for dossiers. It is a pure function of (definition, state, command):
/// no I/O, no clock, no randomness except the task-id factory, so the caller can persist the
/// whole result in one transaction and tests can replay it exactly.
/// </summary>
public sealed partial class WorkflowInterpreter
{
    /// <summary>Automatic activities run per transition before the definition is judged to loop forever.</summary>
    public const int MaxAutomaticSteps = 10_000;

    private readonly Func<string> _newTaskId;

    /// <summary>Creates an interpreter.</summary>
    /// <param name="newTaskId">Makes task ids; defaults to time-ordered GUIDs.</param>
    public WorkflowInterpreter(Func<string>? newTaskId = null) =>
        _newTaskId = newTaskId ?? (() => Guid.CreateVersion7().ToString());

    /// <summary>Receives a dossier: runs from the receipt until every path waits for a person.</summary>
    /// <exception cref="TransitionException">Initial data does not fit the declared variables.</exception>
    public TransitionResult Start(CompiledWorkflow workflow, StartDossier command)
    {
        var state = new DossierState
        {
            Stage = DossierStage.Received,
            ReceivedAt = command.ReceivedAt,
            ReceivingUnit = command.ReceivingUnit,
            UnitMoves = new Dictionary<string, string>(command.UnitMoves ?? new Dictionary<string, string>(), StringComparer.Ordinal),
        };
        foreach (var variable in workflow.Variables.Values)
        {
            state.Variables[variable.Name] = VariableValues.Coerce(variable.TypeName, variable.DefaultValue);
        }

        if (command.Time is { } time)
        {
            var settings = workflow.Settings;
            state.CalendarVersion = time.CalendarVersion;
            state.AppointmentAt = settings.SameDay ? time.Time.SameDayDue(command.ReceivedAt)
                : settings.TimeLimitDays is { } days ? time.Time.AddWorkingDays(command.ReceivedAt, days)
                : null;
            state.DueAt = state.AppointmentAt;
        }

        var run = new Run(this, workflow, state, command.Actor, command.ReceivedAt, command.Time);
        run.ApplyData(command.Data);
        run.Execute(workflow.Start.Id);
        return run.Finish();
    }

    /// <summary>Completes a task and runs on until every path waits again.</summary>
    /// <exception cref="TransitionException">The task is not pending, the outcome is not allowed, or the data is invalid.</exception>
    public TransitionResult Complete(CompiledWorkflow workflow, DossierState current, CompleteTask command)
    {
        if (current.IsClosed)
        {
            throw new TransitionException(TransitionError.DossierClosed,
                $"the dossier is closed ({DossierStatusRules.Derive(current)}); nothing can be completed any more");
        }

        if (current.WithdrawalPending)
        {
            throw new TransitionException(TransitionError.ActNotAllowed,
                $"the applicant asked to withdraw on {current.Withdrawal!.RequestedAt:yyyy-MM-dd HH:mm} UTC; a leader must accept the withdrawal or return the dossier without resolution before anything else happens");
        }

        var state = current.Clone();
        var task = state.Tasks.FirstOrDefault(t => t.Id == command.TaskId)
            ?? throw new TransitionException(TransitionError.TaskNotPending,
                $"task {command.TaskId} is not pending on this dossier; it was completed already or belongs to another dossier");

        // A held task is its holder's; only the unit's leader may step in, and the journal says so.
        var overridden = task.Holder is { } holder && holder.Id != command.ActorId ? holder : null;
        if (overridden is not null && !command.OverridesHolder)
        {
            throw TaskHolding.HeldBy(task, overridden, "complete it");
        }

        var allowed = task.CurrentOutcomes;
        if (!allowed.Contains(command.Outcome, StringComparer.Ordinal))
        {
            var why = task.Status == PendingTaskStatus.AwaitingSupplement
                ? "the step waits for the applicant's documents"
                : $"step '{task.Title}' allows";
            throw new TransitionException(TransitionError.OutcomeNotAllowed,
                $"outcome '{command.Outcome}' is not allowed: {why}; choose one of {string.Join(", ", allowed)}");
        }

        var run = new Run(this, workflow, state, command.Actor, command.Now, command.Time);
        if (overridden is not null)
        {
            run.Overrode(task, overridden);
        }

        run.ApplyData(command.Data);
        run.CompleteTask(task, command.Outcome, command.Comment, command.Data);
        return run.Finish();
    }

    /// <summary>
    /// Issues the apology and new appointment (form 04): once per dossier, before the due instant,
    /// to a later date. The legal due instant stays as it was, so reports can judge against both.
    /// </summary>
    /// <exception cref="TransitionException">The apology is not allowed now.</exception>
    public static TransitionResult Apologize(DossierState current, string actor, string reason, DateTime newDueAt, DateTime now)
    {
        string? refusal = current switch
        {
            { IsClosed: true } => "the dossier is closed",
            { Stage: DossierStage.ResultReady } => "the result is already ready",
            { WithdrawalPending: true } => "the applicant asked to withdraw",
            { Apology: not null } => $"an apology was already issued on {current.Apology.IssuedAt:yyyy-MM-dd}; a new date may be set only once",
            { DueAt: null } => "the procedure has no time limit",
            _ when now >= current.DueAt => $"the due date {current.DueAt:yyyy-MM-dd HH:mm} UTC has passed; the apology must come before it",
            _ when newDueAt <= current.DueAt => $"the new appointment must be later than the current due date {current.DueAt:yyyy-MM-dd HH:mm} UTC",
            _ => null,
        };
        if (refusal is not null)
        {
            throw new TransitionException(TransitionError.ApologyNotAllowed, $"no apology can be issued: {refusal}");
        }

        var state = current.Clone();
        state.Apology = new ApologyRecord { IssuedAt = now, IssuedBy = actor, Reason = reason, PreviousDueAt = current.DueAt!.Value, NewDueAt = newDueAt };
        var issued = new JournalEvent
        {
            Type = JournalEventTypes.ApologyIssued,
            Timestamp = now,
            Actor = actor,
            Comment = reason,
            Data = new JsonObject { ["previousDueAt"] = current.DueAt, ["newDueAt"] = newDueAt },
        };
        return new TransitionResult(state, [issued], [], []);
    }

    /// <summary>The mutable context of one transition.</summary>
    private sealed partial class Run(WorkflowInterpreter interpreter, CompiledWorkflow workflow, DossierState state, string actor, DateTime now, TimeContext? time)
    {
        private readonly List<JournalEvent> _events = [];
        private readonly List<PendingTask> _created = [];
        private readonly List<ClosedTask> _closed = [];
        private readonly Queue<(string Activity, FlowConnection? Via)> _agenda = new();
        private int _steps;

        public void ApplyData(IReadOnlyDictionary<string, JsonNode?>? data)
        {
            if (data is null)
            {
                return;
            }

            foreach (var (name, value) in data)
            {
                try
                {
                    state.Variables[name] = workflow.Variables.TryGetValue(name, out var declared)
                        ? VariableValues.Coerce(declared.TypeName, value)
                        : value?.DeepClone();
                }
                catch (FormatException ex)
                {
                    throw new TransitionException(TransitionError.InvalidData, $"data field '{name}': {ex.Message}");
                }
            }
        }

        public void Overrode(PendingTask task, TaskHolder holder) =>
            _events.Add(new JournalEvent
            {
                Type = JournalEventTypes.HolderOverridden,
                Timestamp = now,
                ActivityId = task.ActivityId,
                ActivityType = task.ActivityType,
                ActivityName = task.Title,
                TaskId = task.Id,
                UnitCode = task.UnitCode,
                Actor = actor,
                StartedAt = task.CreatedAt,
                Comment = $"completed by the unit's leader while {holder.Name} held it",
                Data = new JsonObject { ["holderId"] = holder.Id, ["holderName"] = holder.Name },
            });

        public void CompleteTask(PendingTask task, string outcome, string? comment, IReadOnlyDictionary<string, JsonNode?>? data)
        {
            var activity = workflow.Activities[task.ActivityId];
            var dataJson = data is null ? null : new JsonObject(data.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));

            if (outcome == Outcomes.RequestSupplement)
            {
                task.Status = PendingTaskStatus.AwaitingSupplement;
                task.SupplementRequestedAt = now;
                state.SupplementRequests++;
                Record(JournalEventTypes.SupplementRequested, activity, task, outcome, comment, dataJson);
                return;
            }

            if (outcome == Outcomes.SupplementReceived)
            {
                ResumeStepClock(task);
                task.Status = PendingTaskStatus.Pending;
                task.SupplementRequestedAt = null;
                Record(JournalEventTypes.SupplementReceived, activity, task, outcome, comment, dataJson);
                return;
            }

            state.Tasks.Remove(task);
            var verdict = time is not null && task.DueAt is { } stepDue ? time.Time.Judge(now, stepDue) : (Time.Verdict?)null;
            if (verdict is not null)
            {
                dataJson ??= [];
                dataJson["verdict"] = verdict.ToString();
                dataJson["dueAt"] = task.DueAt;
            }

            _closed.Add(new ClosedTask(task, Cancelled: false, outcome, now, verdict));
            _events.Add(new JournalEvent
            {
                Type = JournalEventTypes.TaskCompleted,
                Timestamp = now,
                ActivityId = activity.Id,
                ActivityType = activity.Type.TypeName,
                ActivityName = task.Title,
                TaskId = task.Id,
                UnitCode = task.UnitCode,
                Actor = actor,
                Outcome = outcome,
                Comment = comment,
                StartedAt = task.CreatedAt,
                CompletedAt = now,
                Data = dataJson,
            });

            if (task.Kind == TaskKind.Step)
            {
                state.CompletedSteps++;
            }

            if (state.Stage == DossierStage.Received)
            {
                state.Stage = DossierStage.InProgress;
            }

            if (task.Kind == TaskKind.ReturnResult)
            {
                state.Stage = DossierStage.Returned;
                state.ReturnedAt = now;
                Record(JournalEventTypes.ResultReturned, activity, task, outcome, comment, null);
            }

            var connected = workflow.Outgoing[(activity.Id, outcome)].Any();
            if (outcome == Outcomes.Reject && !connected)
            {
                Stop(StopKind.ReturnedWithoutResolution, $"'{task.Title}' rejected the dossier");
                return;
            }

            Emit(activity, outcome);
            Drain();
        }

        public void Execute(string activityId)
        {
            _agenda.Enqueue((activityId, null));
            Drain();
        }

        public TransitionResult Finish()
        {
            if (!state.IsFinished && state.Tasks.Count == 0)
            {
                // Every path has ended: the flowchart is complete, as in Elsa.
                EndWorkflow(null);
            }

            UpdateDossierClock();

            return new TransitionResult(state, _events, _created, _closed);
        }

        private void Drain()
        {
            while (_agenda.Count > 0 && !state.IsFinished)
            {
                if (++_steps > MaxAutomaticSteps)
                {
                    throw new TransitionException(TransitionError.RunawayDefinition,
                        $"the procedure ran {MaxAutomaticSteps} automatic activities without reaching a step; it loops without a person in the loop — fix the definition");
                }

                var (id, via) = _agenda.Dequeue();
                Run1(workflow.Activities[id], via);
            }
        }

        private void Run1(CompiledActivity activity, FlowConnection? via)
        {
            switch (activity.Type.Kind)
            {
                case ActivityKind.Start:
                    Record(JournalEventTypes.DossierReceived, activity, null, null, null,
                        new JsonObject { ["receivingUnit"] = state.ReceivingUnit });
                    Emit(activity, Outcomes.Done);
                    break;

                case ActivityKind.Task:
                    CreateTask(activity);
                    break;

                case ActivityKind.ResultReady:
                    state.Stage = DossierStage.ResultReady;
                    state.ResultReadyAt = now;
                    if (time is not null && state.DueAt is { } due)
                    {
                        state.Verdict = time.Time.Judge(now, due);
                    }

                    Record(JournalEventTypes.ResultReady, activity, null, state.Verdict?.ToString(), null,
                        state.DueAt is null ? null : new JsonObject { ["dueAt"] = state.DueAt, ["verdict"] = state.Verdict?.ToString() });
                    Emit(activity, Outcomes.Done);
                    break;

                case ActivityKind.Decision:
                    var result = activity.Condition!.Evaluate(state.Variables);
                    var branch = result ? "True" : "False";
                    Record(JournalEventTypes.DecisionTaken, activity, null, branch, null,
                        new JsonObject { ["condition"] = activity.Condition.Text });
                    Emit(activity, branch);
                    break;

                case ActivityKind.Fork:
                    Record(JournalEventTypes.BranchesForked, activity, null, null, null,
                        new JsonObject { ["branches"] = new JsonArray([.. activity.Ports.Select(p => (JsonNode?)JsonValue.Create(p))]) });
                    foreach (var port in activity.Ports)
                    {
                        Emit(activity, port);
                    }

                    break;

                case ActivityKind.Join:
                    Join(activity, via);
                    break;

                case ActivityKind.SetVariable:
                    state.Variables[activity.VariableName!] = activity.VariableValue?.DeepClone();
                    Record(JournalEventTypes.VariableSet, activity, null, null, null,
                        new JsonObject { [activity.VariableName!] = activity.VariableValue?.DeepClone() });
                    Emit(activity, Outcomes.Done);
                    break;

                case ActivityKind.Finish:
                    EndWorkflow(activity);
                    break;
            }
        }

        private void Join(CompiledActivity join, FlowConnection? via)
        {
            var incoming = workflow.Incoming[join.Id].ToList();
            if (!state.JoinArrivals.TryGetValue(join.Id, out var arrivals))
            {
                arrivals = new Dictionary<string, int>(StringComparer.Ordinal);
                state.JoinArrivals[join.Id] = arrivals;
            }

            if (via is not null)
            {
                arrivals[via.Key] = arrivals.GetValueOrDefault(via.Key) + 1;
            }

            if (!incoming.All(c => arrivals.GetValueOrDefault(c.Key) > 0))
            {
                return;
            }

            // Consume one token per branch, so a later round (after rework) waits again.
            foreach (var connection in incoming)
            {
                if (--arrivals[connection.Key] == 0)
                {
                    arrivals.Remove(connection.Key);
                }
            }

            if (arrivals.Count == 0)
            {
                state.JoinArrivals.Remove(join.Id);
            }

            Record(JournalEventTypes.BranchesJoined, join, null, null, null, null);
            Emit(join, Outcomes.Done);
        }

        /// <summary>
        /// The dossier's clock stops while every open task is one the limit does not count
        /// (waiting for documents, for payment, or a step outside the limit such as tax
        /// determination) and runs whenever any counted step is open. Each stop is an interval on
        /// the timeline; when it ends the due instant moves per the procedure's pause policy.
        /// </summary>
        private void UpdateDossierClock()
        {
            if (time is null || state.DueAt is null)
            {
                return;
            }

            var open = state.OpenPause;
            var running = !state.IsClosed && state.Stage != DossierStage.ResultReady;
            var paused = running && (state.WithdrawalPending || (state.Tasks.Count > 0 && state.Tasks.All(t =>
                t.Kind == TaskKind.Payment || t.Status == PendingTaskStatus.AwaitingSupplement || t.PausesClock)));
            if (paused && open is null)
            {
                var reason = state.WithdrawalPending ? PauseReason.Withdrawal
                    : state.Tasks.Any(t => t.Status == PendingTaskStatus.AwaitingSupplement) ? PauseReason.Supplement
                    : state.Tasks.Any(t => t.Kind == TaskKind.Payment) ? PauseReason.Payment
                    : PauseReason.OutsideLimit;
                state.Pauses.Add(new ClockPause { Reason = reason, StartedAt = now, DueBefore = state.DueAt });
                _events.Add(new JournalEvent
                {
                    Type = JournalEventTypes.ClockPaused,
                    Timestamp = now,
                    Actor = actor,
                    Outcome = reason.ToString(),
                    Data = new JsonObject { ["dueAt"] = state.DueAt },
                });
            }
            else if (!paused && open is not null)
            {
                open.EndedAt = now;
                if (running)
                {
                    var settings = workflow.Settings;
                    var limit = settings.TimeLimitDays ?? (settings.SameDay ? 1m : 0m);
                    state.DueAt = time.Time.DueAfterPause(state.DueAt.Value, limit, open.StartedAt, now, settings.PausePolicy);
                }

                open.DueAfter = state.DueAt;
                _events.Add(new JournalEvent
                {
                    Type = JournalEventTypes.ClockResumed,
                    Timestamp = now,
                    Actor = actor,
                    Outcome = open.Reason.ToString(),
                    Data = new JsonObject { ["pausedAt"] = open.StartedAt, ["dueBefore"] = open.DueBefore, ["dueAt"] = state.DueAt },
                });
            }
        }

        /// <summary>A step paused for a supplement gets its due instant moved per the pause policy.</summary>
        private void ResumeStepClock(PendingTask task)
        {
            if (time is null || task.DueAt is not { } due || task.SupplementRequestedAt is not { } pausedAt || pausedAt >= due)
            {
                return;
            }

            var working = time.Time;
            var limit = working.WorkingDaysToTime(task.TimeLimitDays ?? 0);
            var remaining = working.WorkingTimeBetween(pausedAt, due);
            var used = limit - remaining;
            var start = working.StartOfCounting(now);
            var warnBudget = working.WorkingDaysToTime((task.TimeLimitDays ?? 0) * time.WarningShare);
            if (workflow.Settings.PausePolicy == PausePolicy.Restart)
            {
                task.DueAt = working.AddWorkingTime(start, limit);
                task.WarnAt = working.AddWorkingTime(start, warnBudget);
            }
            else
            {
                task.DueAt = working.AddWorkingTime(start, remaining);
                task.WarnAt = warnBudget > used ? working.AddWorkingTime(start, warnBudget - used) : task.WarnAt;
            }
        }

        private void CreateTask(CompiledActivity activity)
        {
            var deadlines = time?.StepDeadlines(activity.Task!, now) ?? (null, null);
            var task = PendingTask.For(interpreter._newTaskId(), activity, state, now, deadlines);
            state.Tasks.Add(task);
            _created.Add(task);
            Record(JournalEventTypes.TaskCreated, activity, task, null, null, null);
        }

        private void Emit(CompiledActivity activity, string port)
        {
            foreach (var connection in workflow.Outgoing[(activity.Id, port)])
            {
                _agenda.Enqueue((connection.Target, connection));
            }
        }

        private void Stop(StopKind kind, string reason, JsonObject? data = null)
        {
            state.Stage = DossierStage.Stopped;
            state.StoppedAt = now;
            state.StopKind = kind;
            _events.Add(new JournalEvent
            {
                Type = JournalEventTypes.DossierStopped,
                Timestamp = now,
                Actor = actor,
                Outcome = kind.ToString(),
                Comment = reason,
                Data = data,
            });
            EndWorkflow(null);
        }

        private void EndWorkflow(CompiledActivity? finish)
        {
            foreach (var task in state.Tasks)
            {
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
                    StartedAt = task.CreatedAt,
                    CompletedAt = now,
                });
            }

            state.Tasks.Clear();
            state.JoinArrivals.Clear();
            _agenda.Clear();
            state.IsFinished = true;

            // A workflow that ends with no result and no hand-over has stopped processing (code 8).
            if (state.Stage is DossierStage.Received or DossierStage.InProgress)
            {
                state.Stage = DossierStage.Stopped;
                state.StoppedAt = now;
                state.StopKind = StopKind.ReturnedWithoutResolution;
                _events.Add(new JournalEvent
                {
                    Type = JournalEventTypes.DossierStopped,
                    Timestamp = now,
                    ActivityId = finish?.Id,
                    ActivityType = finish?.Type.TypeName,
                    Actor = actor,
                    Outcome = nameof(StopKind.ReturnedWithoutResolution),
                    Comment = "the procedure ended without a result",
                });
            }

            _events.Add(new JournalEvent
            {
                Type = JournalEventTypes.WorkflowFinished,
                Timestamp = now,
                ActivityId = finish?.Id,
                ActivityType = finish?.Type.TypeName,
                Actor = actor,
            });
        }

        private void Record(string type, CompiledActivity activity, PendingTask? task, string? outcome, string? comment, JsonObject? data) =>
            _events.Add(new JournalEvent
            {
                Type = type,
                Timestamp = now,
                ActivityId = activity.Id,
                ActivityType = activity.Type.TypeName,
                ActivityName = task?.Title ?? activity.DisplayName,
                TaskId = task?.Id,
                UnitCode = task?.UnitCode,
                Actor = actor,
                Outcome = outcome,
                Comment = comment,
                StartedAt = task?.CreatedAt,
                Data = data,
            });
    }
}
