using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests;

/// <summary>The person directory on PostgreSQL, where nothing gates writers and two servers may share the database.</summary>
[Collection(PostgresGroup.Name)]
public sealed class PostgresPeopleRaceTests : IDisposable
{
    private readonly TempDatabase _work = new();
    private readonly ServerApp _first;
    private readonly ServerApp _second;

    public PostgresPeopleRaceTests(PostgresServer postgres)
    {
        var store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
        _first = new ServerApp(store, _work.Folder, clock);
        _second = new ServerApp(store, _work.Folder, clock);
    }

    [Fact]
    public async Task A_new_persons_first_requests_arriving_together_at_two_servers_record_them_once_and_none_fails()
    {
        using var warm = _first.ClientFor(Keys.Admin);
        using var warmSecond = _second.ClientFor(Keys.Admin);
        var directories = new[] { _first, _second }.Select(a => a.Services.GetRequiredService<PersonDirectory>()).ToArray();
        var people = Enumerable.Range(1, 12).Select(i => Caller.OfPerson($"sub-{i}", $"Officer {i}", "land-registrar", ["VPDKDD-BINHSON"])).ToList();

        // Four requests of each new person at once, half through each server.
        await Task.WhenAll(people.SelectMany(person => Enumerable.Range(0, 4)
            .Select(i => Task.Run(() => directories[i % 2].NoteAsync(person, CancellationToken.None)))));

        await using var store = _first.OpenStore();
        var recorded = await store.People.Where(p => p.Id.StartsWith("sub-")).Select(p => p.Id).ToListAsync();
        recorded.Should().BeEquivalentTo(people.Select(p => p.Id));
        (await store.PersonUnits.CountAsync(u => u.PersonId.StartsWith("sub-"))).Should().Be(people.Count, "one unit each, recorded once");
    }

    public void Dispose()
    {
        _second.Dispose();
        _first.Dispose();
        _work.Dispose();
    }
}
