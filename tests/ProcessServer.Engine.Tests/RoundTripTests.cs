using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;

namespace ProcessServer.Engine.Tests;

public class RoundTripTests
{
    private const string ExtraProperties = "extra-properties.json";

    private static void ShouldRoundTrip(string text)
    {
        var original = JsonNode.Parse(text);

        var written = WorkflowDefinitionDocument.Parse(text).ToJsonString();
        var reparsed = WorkflowDefinitionDocument.Parse(written);

        JsonNode.DeepEquals(JsonNode.Parse(written), original).Should().BeTrue("nothing may be lost or changed:\n" + written);
        JsonNode.DeepEquals(JsonNode.Parse(reparsed.ToJsonString()), original).Should().BeTrue("a second save is the same");
    }

    [Fact]
    public void Definition_with_unknown_properties_at_every_level_round_trips_without_loss()
    {
        ShouldRoundTrip(Samples.Fixture(ExtraProperties));
    }

    [Theory]
    [InlineData(Samples.Land)]
    [InlineData(Samples.Birth)]
    [InlineData(Samples.Liaison)]
    public void Sample_round_trips_without_loss(string name)
    {
        ShouldRoundTrip(Samples.Text(name));
    }

    [Fact]
    public void Definition_with_unknown_properties_compiles_and_runs()
    {
        var document = WorkflowDefinitionDocument.Parse(Samples.Fixture(ExtraProperties));

        var workflow = new WorkflowCompiler().CompileOrThrow(document);
        var run = DossierRun.Start(workflow);
        run.Complete("register");
        run.Complete("sign");
        run.Complete("returnResult");

        run.NationalCode.Should().Be(10);
        workflow.Document.Version.Should().Be(3);
        workflow.Variables["childName"].TypeName.Should().Be("String");
    }

    [Fact]
    public void Compiling_and_running_leave_the_definition_document_unchanged()
    {
        var text = Samples.Fixture(ExtraProperties);
        var document = WorkflowDefinitionDocument.Parse(text);

        var workflow = new WorkflowCompiler().CompileOrThrow(document);
        var run = DossierRun.Start(workflow);
        run.Complete("register", data: new Dictionary<string, JsonNode?> { ["childName"] = "Nguyễn Văn An" });

        JsonNode.DeepEquals(JsonNode.Parse(document.ToJsonString()), JsonNode.Parse(text)).Should().BeTrue();
    }

    [Fact]
    public void Document_properties_read_and_write_through_the_json_tree()
    {
        var document = WorkflowDefinitionDocument.Parse(Samples.Fixture(ExtraProperties));

        document.DefinitionId.Should().Be("extra-properties");
        document.Id.Should().Be("extra-properties-v3");
        document.IsLatest.Should().BeTrue();

        var copy = document.Clone();
        copy.Version = 4;
        copy.Id = "extra-properties-v4";
        copy.IsPublished = false;

        document.Version.Should().Be(3, "a clone is independent");
        var written = JsonNode.Parse(copy.ToJsonString())!;
        written["version"]!.GetValue<int>().Should().Be(4);
        written["isPublished"]!.GetValue<bool>().Should().BeFalse();
        written["x-tenant"]!["province"]!.GetValue<string>().Should().Be("Quảng Ngãi");
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("not json")]
    public void Text_that_is_not_a_JSON_object_is_a_definition_error(string text)
    {
        var act = () => WorkflowDefinitionDocument.Parse(text);

        act.Should().Throw<DefinitionException>();
    }

    [Fact]
    public void Dossier_state_round_trips_through_its_persisted_json()
    {
        var run = DossierRun.Start(Samples.Compile(Samples.Land));
        run.Complete("check", Outcomes.RequestSupplement);

        var restored = DossierState.FromJson(run.State.ToJson());

        restored.ToJson().Should().Be(run.State.ToJson());
        restored.Tasks.Select(t => t.ActivityId).Should().BeEquivalentTo("check");
        restored.Tasks[0].Status.Should().Be(PendingTaskStatus.AwaitingSupplement);
        restored.Tasks[0].AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.RequestSupplement, Outcomes.Reject);
    }
}
