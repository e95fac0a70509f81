using FluentAssertions;
using ProcessServer.Faults;
using ProcessServer.Faults.Scenarios;
using Xunit.Abstractions;

namespace ProcessServer.Faults.Tests;

/// <summary>
/// The project's fault suite at CI size. Each test runs one scenario of the fault program
/// (tests/ProcessServer.Faults, where the same scenarios run with bigger numbers) against the real
/// server started as its own process on a fresh SQLite file, prints its figures and fails on any
/// loss, duplicate, cross-unit access, 5xx or other broken expectation, printing the seed and the
/// request that reproduces it. The tests run one after another (one class): each starts its own
/// server, and two of them at once on two cores would only make both slower.
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    private FaultLog Log => new(line =>
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    });

    [Fact]
    public async Task Kill_9_under_load_ten_times_loses_and_duplicates_no_acknowledged_change()
    {
        var report = await KillUnderLoad.RunAsync(new KillUnderLoad.Options(Cycles: 10, Seed: FaultSeeds.Kill), Log);

        Passed(report);
        report.Figure("kills").Should().BeGreaterThanOrEqualTo(10);
        report.Figure("acknowledged").Should().BeGreaterThan(20, "the clerks must have worked between the kills");
        report.Unanswered.Should().BeGreaterThan(0, "some requests must have been cut off by the kills, or nothing was tested");
    }

    [Fact]
    public async Task Two_eight_and_thirty_two_concurrent_completions_of_one_task_complete_it_exactly_once()
    {
        var report = await ConcurrentCompletions.RunAsync(new ConcurrentCompletions.Options([2, 8, 32], Rounds: 3, Seed: FaultSeeds.Completions), Log);

        Passed(report);
        report.Figure("rounds").Should().Be(18);
    }

    [Fact]
    public async Task Two_eight_and_thirty_two_concurrent_completions_through_the_use_case_handler_in_process_complete_it_exactly_once()
    {
        var report = await ConcurrentCompletions.RunAsync(new ConcurrentCompletions.Options([2, 8, 32], Rounds: 3, Seed: FaultSeeds.Completions, InProcess: true), Log);

        Passed(report);
        report.Figure("rounds").Should().Be(18);
    }

    [Fact]
    public async Task Concurrent_publishes_leave_at_most_one_published_and_exactly_one_latest_version()
    {
        var report = await ConcurrentPublishes.RunAsync(new ConcurrentPublishes.Options([2, 8, 16], Rounds: 4, Seed: FaultSeeds.Publishes), Log);

        Passed(report);
        report.Figure("rounds").Should().Be(12);
    }

    [Fact]
    public async Task Two_thousand_mutated_definitions_get_no_5xx_store_nothing_when_refused_and_leave_every_list_readable()
    {
        var report = await DefinitionFuzz.RunAsync(new DefinitionFuzz.Options(Mutations: 2_000, Seed: FaultSeeds.Definitions), Log);

        Passed(report);
        report.Figure("mutants").Should().Be(2_000);
        report.Figure("refused").Should().BeGreaterThan(0);
        report.Figure("accepted").Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Two_thousand_mutated_clerk_and_OData_requests_get_no_5xx()
    {
        var report = await RequestFuzz.RunAsync(new RequestFuzz.Options(Requests: 2_000, Seed: FaultSeeds.Requests), Log);

        Passed(report);
        report.Figure("clerk requests").Should().Be(1_000);
        report.Figure("OData and report requests").Should().Be(1_000);
    }

    [Fact]
    public async Task Every_route_with_every_key_and_none_gets_its_expected_outcome_and_no_clerk_reaches_another_units_dossier()
    {
        var report = await AccessMatrix.RunAsync(new AccessMatrix.Options(FaultSeeds.Access), Log);

        Passed(report);
        report.Figure("documented in OpenAPI").Should().BeGreaterThan(20);
        report.Figure("routes").Should().BeGreaterThan(report.Figure("documented in OpenAPI"), "the matrix also covers /elsa/api and /odata/v1");
    }

    private static void Passed(FaultReport report) =>
        report.Clean.Should().BeTrue($"the fault scenario must find nothing:\n{report.Summary()}\n{string.Join("\n", report.Problems)}");
}
