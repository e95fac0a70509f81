using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// A transition's answer writes the journal entries kept from earlier transitions as the bytes
/// serialized then, and only the new ones afresh: the journal it carries must be the one the
/// dossier view shows, byte for byte, however many transitions came before.
/// </summary>
public sealed class JournalAnswerTests : ServerTest
{
    [Fact]
    public async Task Each_completion_answers_with_the_journal_exactly_as_the_dossier_view_shows_it()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();
        var steps = new[] { ("register", Keys.Commune), ("sign", Keys.Commune), ("returnResult", Keys.Counter) };
        foreach (var (activity, key) in steps)
        {
            var task = OpenTask(dossier, activity)["id"]!.GetValue<string>();
            var response = await CompleteRawAsync(App, key, task, "Done", dossier["version"]!.GetValue<int>(), Guid.NewGuid().ToString(),
                comment: $"{activity}: đã ký \"bản chính\" <b> & \\ {{}}");
            var answer = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, answer);

            using var client = App.ClientFor(Keys.Admin);
            var view = await client.GetStringAsync($"/api/dossiers/{id}");
            Journal(answer).Should().Be(Journal(view), $"the answer to {activity} carries the journal as the dossier view shows it");
            dossier = JsonNode.Parse(answer)!.AsObject();
        }

        dossier["journal"]!.AsArray().Select(j => j!["sequence"]!.GetValue<int>()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        dossier["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "TaskCompleted").Should().Be(3);
    }

    [Fact]
    public async Task A_replay_after_later_completions_returns_the_first_answer_with_the_journal_as_it_was_then()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(dossier, "register")["id"]!.GetValue<string>();
        var key = Guid.NewGuid().ToString();
        var first = await CompleteRawAsync(App, Keys.Commune, task, "Done", dossier["version"]!.GetValue<int>(), key, comment: "registered");
        var firstBody = await first.Content.ReadAsStringAsync();
        first.StatusCode.Should().Be(HttpStatusCode.OK, firstBody);

        await CompleteAsync(App, JsonNode.Parse(firstBody)!.AsObject(), "sign", "Done", Keys.Commune);

        var replay = await CompleteRawAsync(App, Keys.Commune, task, "Done", dossier["version"]!.GetValue<int>(), key, comment: "registered");
        (await replay.Content.ReadAsStringAsync()).Should().Be(firstBody, "a replay is the first answer byte for byte, not today's journal");
    }

    private static string Journal(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("journal").GetRawText();
    }
}
