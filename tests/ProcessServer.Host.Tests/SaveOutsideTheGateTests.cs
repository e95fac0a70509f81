using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProcessServer.Engine.Definitions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Issue 9, finding 4: an administrator's save is checked outside the SQLite write gate, so clerks'
/// completions go on while a large definition is being validated. The validation is held open here
/// (as a 10,000-activity definition on a slow machine would be) to show it deterministically.
/// </summary>
public sealed class SaveOutsideTheGateTests : ServerTest
{
    [Fact]
    public async Task Clerks_complete_steps_while_an_administrator_save_is_still_being_validated()
    {
        var checker = new HeldChecker();
        App.WithServices(s =>
        {
            s.RemoveAll<DefinitionChecker>();
            s.AddSingleton<DefinitionChecker>(checker);
        });
        var dossier = await ReceiveAsync(App, "birth-registration");
        var definition = await DefinitionEdits.GetDefinitionAsync(App, "land-first-certificate");

        using var admin = App.ClientFor(Keys.Admin);
        checker.Hold();
        var save = admin.PutAsJsonAsync("/api/procedures/land-first-certificate/draft?publish=true", definition);
        (await checker.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();

        // The save is inside validation now; a clerk's completion and a receipt go through meanwhile.
        var completed = CompleteAsync(App, dossier, "register", "Done", Keys.Commune);
        var received = ReceiveAsync(App, "land-first-certificate");
        var both = Task.WhenAll(completed, received);
        (await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(30)))).Should().BeSameAs(both, "the completion must not wait for the save");
        (await completed)["currentTasks"]![0]!["activityId"]!.GetValue<string>().Should().Be("sign");
        (await received)["procedure"]!["version"]!.GetValue<int>().Should().Be(1, "the save being validated has not been written yet");
        save.IsCompleted.Should().BeFalse();

        checker.Release();
        var response = await save;
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await ReceiveAsync(App, "land-first-certificate"))["procedure"]!["version"]!.GetValue<int>().Should().Be(2);
    }

    /// <summary>The real checker, which can be made to wait inside a validation until released.</summary>
    private sealed class HeldChecker() : DefinitionChecker(new DefinitionOptions())
    {
        private TaskCompletionSource? _held;

        public TaskCompletionSource<bool> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _held?.TrySetResult();

        public override DefinitionReport Judge(WorkflowDefinitionDocument document)
        {
            if (_held is { Task.IsCompleted: false } held)
            {
                Entered.TrySetResult(true);
                held.Task.Wait(TimeSpan.FromSeconds(60));
            }

            return base.Judge(document);
        }
    }
}
