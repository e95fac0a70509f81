using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Data.Sqlite;
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

    [Fact]
    public async Task A_replay_after_a_restart_rebuilds_the_first_answer_from_the_stored_journal_which_the_record_itself_does_not_hold()
    {
        // Comments that do not compress: 2,000 characters each, carried by every later answer's journal.
        static string Noise() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(1500));
        var dossier = await ReceiveAsync(App, "birth-registration");
        var registerTask = OpenTask(dossier, "register")["id"]!.GetValue<string>();
        var (registerKey, registerComment) = (Guid.NewGuid().ToString(), Noise());
        var first = await CompleteRawAsync(App, Keys.Commune, registerTask, "Done", dossier["version"]!.GetValue<int>(), registerKey, comment: registerComment);
        var firstBody = await first.Content.ReadAsStringAsync();
        first.StatusCode.Should().Be(HttpStatusCode.OK, firstBody);

        dossier = JsonNode.Parse(firstBody)!.AsObject();
        var signKey = Guid.NewGuid().ToString();
        var second = await CompleteRawAsync(App, Keys.Commune, OpenTask(dossier, "sign")["id"]!.GetValue<string>(), "Done", dossier["version"]!.GetValue<int>(), signKey,
            comment: Noise());
        var secondBody = await second.Content.ReadAsStringAsync();
        second.StatusCode.Should().Be(HttpStatusCode.OK, secondBody);
        await CompleteAsync(App, JsonNode.Parse(secondBody)!.AsObject(), "returnResult", "Done", Keys.Counter);

        // The record keeps the text around the journal, not the journal: the second answer carries
        // 2,000 more characters of journal than the first, its record does not grow with them.
        var (firstRecord, secondRecord) = (await StoredBodyAsync(registerKey), await StoredBodyAsync(signKey));
        (secondBody.Length - firstBody.Length).Should().BeGreaterThan(2000);
        (secondRecord.Length - firstRecord.Length).Should().BeLessThan(500, "the records refer to the journal instead of holding it");
        firstRecord.Should().NotContain(registerComment);

        // After a restart nothing is kept in memory: the entries are read back from the store.
        Restart();
        var replay = await CompleteRawAsync(App, Keys.Commune, registerTask, "Done", JsonNode.Parse(firstBody)!["version"]!.GetValue<int>() - 1, registerKey,
            comment: registerComment);
        replay.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        (await replay.Content.ReadAsStringAsync()).Should().Be(firstBody, "a replay is the first answer byte for byte, with the journal as it was then");
    }

    [Fact]
    public async Task A_step_completed_through_another_server_on_the_same_store_is_in_the_journal_of_this_servers_next_answer()
    {
        // This server keeps the dossier's journal as whole at the version it wrote; the other
        // server's completion moves the dossier past that version, so this one must read the
        // entries it did not write instead of answering from what it kept.
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();
        dossier = await CompleteAsync(App, dossier, "register", "Done", Keys.Commune);

        using (var other = new ServerApp(Database.DatabaseFile, Clock))
        {
            dossier = await CompleteAsync(other, dossier, "sign", "Done", Keys.Commune);
        }

        var response = await CompleteRawAsync(App, Keys.Counter, OpenTask(dossier, "returnResult")["id"]!.GetValue<string>(), "Done",
            dossier["version"]!.GetValue<int>(), Guid.NewGuid().ToString());
        var answer = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, answer);

        using var client = App.ClientFor(Keys.Admin);
        Journal(answer).Should().Be(Journal(await client.GetStringAsync($"/api/dossiers/{id}")));
        JsonNode.Parse(answer)!["journal"]!.AsArray().Where(j => j!["type"]!.GetValue<string>() == "TaskCompleted")
            .Select(j => j!["activityId"]!.GetValue<string>()).Should().Equal("register", "sign", "returnResult");
    }

    [Fact]
    public async Task Every_entry_a_receipt_or_completion_writes_is_stored_with_its_view_exactly_as_the_dossier_view_renders_the_row()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();
        dossier = await CompleteAsync(App, dossier, "register", "Done", Keys.Commune);
        var response = await CompleteRawAsync(App, Keys.Commune, OpenTask(dossier, "sign")["id"]!.GetValue<string>(), "Done", dossier["version"]!.GetValue<int>(),
            Guid.NewGuid().ToString(), comment: "đã ký \"bản chính\" <b> & \\ {}");
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        // The dossier view renders each entry from its columns, as read back from the file; the
        // stored view was written from memory before the commit, by the answer that carried it.
        using var client = App.ClientFor(Keys.Admin);
        using var view = JsonDocument.Parse(await client.GetStringAsync($"/api/dossiers/{id}"));
        var stored = await StoredViewsAsync(id);
        var shown = view.RootElement.GetProperty("journal").EnumerateArray().ToDictionary(e => e.GetProperty("sequence").GetInt32(), e => (string?)e.GetRawText());
        stored.Should().HaveCount(shown.Count).And.OnlyContain(s => s.Value != null, "receipts and completions store every entry's view");
        stored.Should().Equal(shown);
    }

    [Fact]
    public async Task After_a_restart_entries_without_a_stored_view_are_rendered_from_their_rows_and_the_answer_is_the_journal_the_view_shows()
    {
        // Rows written before the column existed (or imported) have no stored view: the first change
        // after a restart reads the stored views before the first such row and renders the rest.
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();
        dossier = await CompleteAsync(App, dossier, "register", "Done", Keys.Commune);
        var before = await StoredViewsAsync(id);
        before.Should().HaveCountGreaterThan(3);
        var cleared = before.Keys.Order().ElementAt(1);
        await ExecuteAsync($"UPDATE Journal SET ViewJson = NULL WHERE DossierId = '{id}' AND Sequence = {cleared}");

        Restart();
        var response = await CompleteRawAsync(App, Keys.Commune, OpenTask(dossier, "sign")["id"]!.GetValue<string>(), "Done", dossier["version"]!.GetValue<int>(),
            Guid.NewGuid().ToString());
        var answer = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, answer);

        using var client = App.ClientFor(Keys.Admin);
        Journal(answer).Should().Be(Journal(await client.GetStringAsync($"/api/dossiers/{id}")));
        var sequences = JsonNode.Parse(answer)!["journal"]!.AsArray().Select(j => j!["sequence"]!.GetValue<int>()).ToList();
        sequences.Should().Equal(Enumerable.Range(1, sequences.Count), "every entry is in the answer once, the one without a stored view too");
        sequences.Should().HaveCountGreaterThan(before.Count);
    }

    private async Task<Dictionary<int, string?>> StoredViewsAsync(string dossierId)
    {
        await using var connection = new SqliteConnection($"Data Source={Database.DatabaseFile};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Sequence, ViewJson FROM Journal WHERE DossierId = $id";
        command.Parameters.AddWithValue("$id", dossierId);
        await using var rows = await command.ExecuteReaderAsync();
        var stored = new Dictionary<int, string?>();
        while (await rows.ReadAsync())
        {
            stored[rows.GetInt32(0)] = rows.IsDBNull(1) ? null : Encoding.UTF8.GetString((byte[])rows.GetValue(1));
        }

        return stored;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Database.DatabaseFile};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string> StoredBodyAsync(string key)
    {
        await using var connection = new SqliteConnection($"Data Source={Database.DatabaseFile};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ResponseBody FROM IdempotencyRecords WHERE Key = $key";
        command.Parameters.AddWithValue("$key", key);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static string Journal(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("journal").GetRawText();
    }
}
