using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests;

/// <summary>Concurrent publishes on a real SQLite file (issue 9, finding 1); PostgresPublishRaceTests does the same on PostgreSQL.</summary>
public sealed class PublishRaceTests : ServerTest
{
    [Fact]
    public Task Sixteen_designer_publishes_at_once_leave_one_published_and_one_latest_version_and_dossiers_start_on_it() =>
        PublishRace.DesignerPublishesAtOnceAsync(App, "birth-registration", 16);

    [Fact]
    public Task Sixteen_designer_tabs_on_one_copy_publishing_at_once_one_wins_and_the_others_are_refused_as_stale() =>
        PublishRace.DesignerTabsPublishAtOnceAsync(App, "land-first-certificate", 16);

    [Fact]
    public Task Concurrent_REST_saves_publishes_and_retracts_never_leave_two_published_versions_and_retract_clears_every_one() =>
        PublishRace.RestPublishesAndRetractsAtOnceAsync(App, "birth-registration", 6);

    [Fact]
    public async Task The_database_itself_refuses_a_second_published_or_latest_version_of_a_procedure()
    {
        await ClerkApi.ReceiveAsync(App, "birth-registration");
        await using var store = App.OpenStore();
        var v1 = await store.WorkflowDefinitions.SingleAsync(d => d.DefinitionId == "birth-registration");
        store.WorkflowDefinitions.Add(new Persistence.Entities.WorkflowDefinitionVersion
        {
            Id = "birth-registration-v2", DefinitionId = v1.DefinitionId, Version = 2, Name = v1.Name, Json = v1.Json,
            CreatedAt = v1.CreatedAt, IsPublished = true,
        });
        var published = async () => await store.SaveChangesAsync();
        (await published.Should().ThrowAsync<DbUpdateException>()).WithInnerException<SqliteException>().Which.Message.Should().Contain("UNIQUE");

        store.ChangeTracker.Clear();
        store.WorkflowDefinitions.Add(new Persistence.Entities.WorkflowDefinitionVersion
        {
            Id = "birth-registration-v2", DefinitionId = v1.DefinitionId, Version = 2, Name = v1.Name, Json = v1.Json,
            CreatedAt = v1.CreatedAt, IsLatest = true,
        });
        var latest = async () => await store.SaveChangesAsync();
        await latest.Should().ThrowAsync<DbUpdateException>();
    }

    [Fact]
    public async Task Upgrading_a_store_that_holds_several_published_versions_keeps_only_the_newest_published_and_latest()
    {
        // A store written before the migration OnePublishedVersion, after the race it fixes: v2, v3 and
        // v4 all published, none latest.
        await ClerkApi.ReceiveAsync(App, "birth-registration");
        App.Dispose();
        await using (var connection = new SqliteConnection($"Data Source={Database.DatabaseFile}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX "IX_WorkflowDefinitionVersions_OnePublished";
                DROP INDEX "IX_WorkflowDefinitionVersions_OneLatest";
                DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261122000010_OnePublishedVersion';
                INSERT INTO "WorkflowDefinitionVersions" ("Id","DefinitionId","Version","Name","IsLatest","IsPublished","Json","CreatedAt","PublishedAt")
                SELECT 'birth-registration-v' || n, "DefinitionId", n, "Name", 0, 1, "Json", "CreatedAt", "PublishedAt"
                FROM "WorkflowDefinitionVersions", (SELECT 2 AS n UNION SELECT 3 UNION SELECT 4) WHERE "Id" = 'birth-registration-v1';
                UPDATE "WorkflowDefinitionVersions" SET "IsLatest" = 0;
                """;
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        Restart();
        using (App.ClientFor(Keys.Admin))
        {
            // The first client starts the server, which migrates the store.
        }

        await PublishRace.AssertOnePublishedAndOneLatestAsync(App, "birth-registration", expectPublished: true);
        (await ClerkApi.ReceiveAsync(App, "birth-registration"))["procedure"]!["version"]!.GetValue<int>().Should().Be(4);
    }
}
