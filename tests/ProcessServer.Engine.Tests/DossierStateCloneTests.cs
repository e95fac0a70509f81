using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Time;
using Xunit;

namespace ProcessServer.Engine.Tests;

/// <summary>
/// <see cref="DossierState.Clone"/> copies member by member: a copy must store exactly as the
/// original, share nothing a transition changes, and a property added to the state without a copy
/// must fail here (the sample sets every property to a value that is not its default).
/// </summary>
public class DossierStateCloneTests
{
    [Fact]
    public void The_sample_sets_every_property_of_the_state_and_its_parts_so_a_property_Clone_forgets_cannot_pass_unseen()
    {
        var state = Sample();
        var unset = new List<string>();
        Check(state, unset);
        Check(state.Tasks[0], unset);
        Check(state.Tasks[0].Holder!, unset);
        Check(state.Pauses[0], unset);
        Check(state.Apology!, unset);
        Check(state.Withdrawal!, unset);
        unset.Should().BeEmpty("the sample must give every stored property a value that is not its default");
    }

    [Fact]
    public void A_copy_stores_exactly_as_the_original_and_as_a_copy_made_through_its_JSON()
    {
        var state = Sample();

        var copy = state.Clone();

        copy.ToJson().Should().Be(state.ToJson());
        copy.ToJson().Should().Be(DossierState.FromJson(state.ToJson()).ToJson());
        copy.Variables["fee"]!.GetValue<int>().Should().Be(120000, "a number set from code reads as the stored JSON number does");
    }

    [Fact]
    public void Changing_every_mutable_part_of_a_copy_leaves_the_original_as_it_was()
    {
        var state = Sample();
        var before = state.ToJson();

        var copy = state.Clone();
        copy.Tasks[0].Status = PendingTaskStatus.Pending;
        copy.Tasks[0].UnitCode = "OTHER";
        copy.Tasks.Add(copy.Tasks[0]);
        copy.Variables["fee"] = 1;
        copy.Variables["name"]!.AsObject()["first"] = "changed";
        copy.UnitMoves["U1"] = "U9";
        copy.JoinArrivals["join1"]["a"] = 99;
        copy.Pauses[0].EndedAt = null;
        copy.Pauses.Clear();
        copy.Apology!.Reason = "changed";
        copy.Withdrawal!.AcceptedBy = "changed";

        state.ToJson().Should().Be(before);
    }

    private static void Check(object value, List<string> unset)
    {
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var current = property.GetValue(value);
            var type = property.PropertyType;
            var isDefault = current is null
                || (type.IsValueType && Nullable.GetUnderlyingType(type) is null && current.Equals(Activator.CreateInstance(type)))
                || current is ICollection { Count: 0 }
                || current is string { Length: 0 };
            if (isDefault)
            {
                unset.Add($"{value.GetType().Name}.{property.Name}");
            }
        }
    }

    private static DossierState Sample()
    {
        var at = new DateTime(2025, 3, 3, 1, 2, 3, DateTimeKind.Utc);
        return new DossierState
        {
            Stage = DossierStage.Stopped,
            IsFinished = true,
            ReceivingUnit = "UBND-XA-01",
            Variables = new(StringComparer.Ordinal)
            {
                ["fee"] = JsonValue.Create(120000m),
                ["name"] = new JsonObject { ["first"] = "Nguyễn", ["last"] = "An" },
                ["flags"] = new JsonArray(true, 2.5, "x"),
                ["nothing"] = null,
            },
            Tasks =
            [
                new PendingTask
                {
                    Id = "t1", ActivityId = "a1", ActivityType = "ProcessServer.Step", Kind = TaskKind.Payment, Title = "Thu phí", UnitCode = "U1", Role = "clerk",
                    TimeLimitDays = 1.5m, PausesClock = true, AllowedOutcomes = ["Paid", "Reject"], CreatedAt = at, Status = PendingTaskStatus.AwaitingSupplement,
                    SupplementRequestedAt = at.AddHours(1), DueAt = at.AddDays(2), WarnAt = at.AddDays(1), QueuedSince = at.AddMinutes(5),
                    Holder = new TaskHolder { Id = "u-7", Name = "Trần Bình", Since = at, Via = "Assigned", By = new PersonRef("u-1", "Lê Chi"), Reason = "absent" },
                    Priority = TaskPriority.Urgent, FollowUpAt = at.AddDays(3),
                },
            ],
            UnitMoves = new(StringComparer.Ordinal) { ["U1"] = "U2" },
            JoinArrivals = new(StringComparer.Ordinal) { ["join1"] = new(StringComparer.Ordinal) { ["a"] = 1, ["b"] = 2 } },
            CompletedSteps = 4,
            SupplementRequests = 2,
            ReceivedAt = at,
            ResultReadyAt = at.AddDays(4),
            ReturnedAt = at.AddDays(5),
            StoppedAt = at.AddDays(6),
            AppointmentAt = at.AddDays(7),
            DueAt = at.AddDays(8),
            CalendarVersion = 3,
            Pauses = [new ClockPause { Reason = PauseReason.Withdrawal, StartedAt = at, EndedAt = at.AddDays(1), DueBefore = at.AddDays(2), DueAfter = at.AddDays(3) }],
            Apology = new ApologyRecord { IssuedAt = at, IssuedBy = "clerk", Reason = "late", PreviousDueAt = at.AddDays(1), NewDueAt = at.AddDays(2) },
            Verdict = Verdict.Late,
            StopKind = StopKind.Withdrawn,
            Withdrawal = new WithdrawalRecord { RequestedAt = at, RequestedBy = "clerk", Reason = "applicant asked", AcceptedAt = at.AddHours(2), AcceptedBy = "head" },
        };
    }
}
