namespace ProcessServer.Host.Tests.Support;

/// <summary>The tests that share one PostgreSQL cluster.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
