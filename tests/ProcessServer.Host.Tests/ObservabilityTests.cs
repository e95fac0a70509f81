using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence.Entities;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// What an operator watches: the Prometheus scrape endpoint with the server's own metrics, and the
/// readiness check that reads the store.
/// </summary>
public sealed partial class ObservabilityTests : ServerTest
{
    [Fact]
    public async Task The_scrape_endpoint_counts_transitions_and_shows_gate_wait_latency_group_commit_batches_log_checkpoints_and_the_outbox_backlog_when_switched_on()
    {
        // The base class's server is never started; this one has the switch on.
        using var app = new ServerApp(Database.DatabaseFile, Clock, new Dictionary<string, string?> { ["OpenTelemetry:PrometheusEndpoint"] = "true" });
        var dossier = await ReceiveAsync(app, "birth-residence-insurance");
        await CompleteAsync(app, dossier, "registerBirth", "Done", Keys.Commune);
        using var anonymous = app.ClientFor(null);
        (await anonymous.PostAsync("/api/dossiers", System.Net.Http.Json.JsonContent.Create(new { }))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var text = await ScrapeAsync(anonymous);

        Value(text, "processserver_transitions_total", "outcome=\"accepted\"").Should().BeGreaterThanOrEqualTo(2, text);
        Value(text, "processserver_transition_duration_seconds_count", "outcome=\"accepted\"").Should().BeGreaterThanOrEqualTo(2);
        Value(text, "processserver_write_gate_wait_seconds_count", null).Should().BeGreaterThanOrEqualTo(2);
        // The receipt and the completion came one after the other: each was a batch of its own.
        Value(text, "processserver_group_commit_batch_size_sum", null).Should().BeGreaterThanOrEqualTo(2);
        Value(text, "processserver_group_commit_batch_size_count", null).Should().Be(Value(text, "processserver_group_commit_batch_size_sum", null));
        Value(text, "processserver_group_commit_batch_duration_seconds_sum", null).Should().BeGreaterThan(0);
        // The log is checkpointed beside the group commit, moments after a commit (not on a request).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!text.Contains("processserver_sqlite_checkpoint_duration_seconds_count", StringComparison.Ordinal))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "a checkpoint follows the commits");
            await Task.Delay(200);
            text = await ScrapeAsync(anonymous);
        }

        Value(text, "processserver_sqlite_checkpoint_duration_seconds_count", null).Should().BeGreaterThanOrEqualTo(1);
        await using var db = app.OpenStore();
        var pending = await db.Outbox.CountAsync(m => m.Status == OutboxStatuses.Pending);
        Value(await ScrapeAsync(anonymous), "processserver_outbox_backlog", null).Should().Be(pending);
        text.Should().Contain("http_server_request_duration_seconds");
    }

    [Fact]
    public async Task Without_the_switch_there_is_no_scrape_endpoint()
    {
        using var anonymous = App.ClientFor(null);

        (await anonymous.GetAsync("/metrics")).StatusCode.Should().NotBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Readiness_answers_200_while_the_store_can_be_read_and_503_without_the_reason_when_it_cannot()
    {
        // With the deadline scheduler running on the same file: it must not keep the server from
        // stopping once the file is broken under it.
        var app = new ServerApp(Database.DatabaseFile, Clock);
        using var anonymous = app.ClientFor(null);
        var ready = await anonymous.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        ready.StatusCode.Should().Be(HttpStatusCode.OK, body);
        JsonNode.Parse(body)!["status"]!.GetValue<string>().Should().Be("Healthy");
        JsonNode.Parse(body)!["checks"]![0]!["name"]!.GetValue<string>().Should().Be("store");

        // The database file replaced by something that is not a database, as a broken disk or a bad
        // restore would leave it; pooled connections dropped so the check opens the file again.
        SqliteConnection.ClearAllPools();
        await File.WriteAllBytesAsync(Database.DatabaseFile, new byte[8192]);
        foreach (var side in new[] { "-wal", "-shm" })
        {
            File.Delete(Database.DatabaseFile + side);
        }

        SqliteConnection.ClearAllPools();
        var broken = await anonymous.GetAsync("/health/ready");
        var brokenBody = await broken.Content.ReadAsStringAsync();
        broken.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, brokenBody);
        JsonNode.Parse(brokenBody)!["status"]!.GetValue<string>().Should().Be("Unhealthy");
        brokenBody.Should().NotContain("Exception").And.NotContain("SQLite Error");
        (await anonymous.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK, "liveness says only that the process answers");

        var stopping = Task.Run(app.Dispose);
        (await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(60)))).Should().BeSameAs(stopping,
            "the server stops (the scheduler gives up on its broken store after its shutdown wait) instead of hanging");
        await stopping;
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>The value of a series in Prometheus text format (the first line with the name and the label).</summary>
    private static double Value(string text, string name, string? label)
    {
        foreach (var line in text.Split('\n'))
        {
            var match = Series().Match(line);
            if (match.Success && match.Groups["name"].Value == name && (label is null || match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"No series {name} {label} in:\n{text}");
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)")]
    private static partial Regex Series();
}
