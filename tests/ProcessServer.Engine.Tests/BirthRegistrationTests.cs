using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;
using static ProcessServer.Engine.Tests.Support.DossierRun;

namespace ProcessServer.Engine.Tests;

public class BirthRegistrationTests
{
    private static readonly CompiledWorkflow Birth = Samples.Compile(Samples.Birth);

    private static readonly string Register = At("register", Units.Commune, Roles.CivilStatusOfficer);
    private static readonly string Sign = At("sign", Units.Commune, Roles.Chairman);
    private static readonly string ReturnResult = At("returnResult", Units.Counter, Roles.CounterClerk);

    [Fact]
    public void Birth_dossier_walks_register_sign_and_return_and_ends_returned()
    {
        var run = Start(Birth);
        run.ShouldBe(DossierStatus.Received, 2, Register);
        run.Task("register").TimeLimitDays.Should().Be(0.25m);

        run.Complete("register");
        run.ShouldBe(DossierStatus.InProgress, 4, Sign);

        run.Complete("sign");
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);

        run.Complete("returnResult");
        run.ShouldBe(DossierStatus.Returned, 10);
        run.State.IsFinished.Should().BeTrue();
        run.CreatedActivities.Should().Equal("register", "sign", "returnResult");
    }

    [Fact]
    public void Birth_signature_returned_for_rework_goes_back_to_the_register_step()
    {
        var run = Start(Birth);
        run.Complete("register");

        run.Complete("sign", Outcomes.ReturnForRework);

        run.ShouldBe(DossierStatus.InProgress, 4, Register);
        run.Complete("register");
        run.ShouldBe(DossierStatus.InProgress, 4, Sign);
        run.Complete("sign");
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);
        run.State.CompletedSteps.Should().Be(4);
    }

    [Fact]
    public void Birth_register_requesting_supplement_reports_code_5_then_resumes()
    {
        var run = Start(Birth);

        run.Complete("register", Outcomes.RequestSupplement);
        run.ShouldBe(DossierStatus.AwaitingSupplement, 5, Register);

        run.Complete("register", Outcomes.SupplementReceived);
        run.ShouldBe(DossierStatus.Received, 2, Register);

        run.Complete("register");
        run.ShouldBe(DossierStatus.InProgress, 4, Sign);
    }

    [Fact]
    public void Birth_register_rejecting_stops_the_dossier_with_code_8()
    {
        var run = Start(Birth);

        run.Complete("register", Outcomes.Reject);

        run.ShouldBe(DossierStatus.Stopped, 8);
        run.Last.ClosedTasks.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Cancelled = false, Outcome = Outcomes.Reject });
    }

    [Fact]
    public void Birth_sign_cannot_request_a_supplement()
    {
        var run = Start(Birth);
        run.Complete("register");

        var act = () => run.Complete("sign", Outcomes.RequestSupplement);

        act.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.OutcomeNotAllowed);
    }
}
