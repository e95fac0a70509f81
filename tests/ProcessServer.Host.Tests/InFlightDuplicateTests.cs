using System.Net;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>A retry that arrives while the first request is still being written gets the first answer.</summary>
public sealed class InFlightDuplicateTests : ServerTest
{
    [Fact]
    public async Task A_duplicate_completion_arriving_while_the_first_is_in_flight_gets_the_first_response_not_a_conflict()
    {
        var hold = new JournalWriteInterceptor(hold: true);
        App.With(hold);
        var dossier = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(dossier, "register")["id"]!.GetValue<string>();
        var version = dossier["version"]!.GetValue<int>();
        var key = Guid.NewGuid().ToString();

        hold.Armed = true;
        var first = CompleteRawAsync(App, Keys.Commune, task, "Done", version, key, comment: "registered");
        await hold.FiredAsync();

        // The first request is inside its transaction; the retry, same key and body, comes in now
        // and must wait for it rather than be told the dossier changed.
        var second = CompleteRawAsync(App, Keys.Commune, task, "Done", version, key, comment: "registered");
        await Task.Delay(300);
        hold.Release();

        var (a, b) = (await first, await second);
        a.StatusCode.Should().Be(HttpStatusCode.OK, await a.Content.ReadAsStringAsync());
        b.StatusCode.Should().Be(HttpStatusCode.OK, await b.Content.ReadAsStringAsync());
        (await b.Content.ReadAsStringAsync()).Should().Be(await a.Content.ReadAsStringAsync(), "the retry gets the stored first answer, byte for byte");
        b.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");

        var now = await GetAsync(App, dossier["id"]!.GetValue<string>());
        now["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "TaskCompleted").Should().Be(1);
    }
}
