using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace ProcessServer.Persistence;

/// <summary>
/// Makes <c>dotnet ef migrations add</c> write ONE migration that runs on SQLite and PostgreSQL:
/// the standard C# generator, minus the store type names it copies from the design-time provider.
/// </summary>
/// <remarks>
/// <para>Why one set and not one per provider (EF's other documented way): the model is the same
/// on both databases and names no store type, so the only thing two sets would differ in is the
/// type name each provider derives from the CLR type and its facets (length, precision) anyway.
/// Two sets would mean generating and reviewing every change twice, two histories that can drift,
/// and every hand-written migration copied into both. Left without <c>type:</c>, an operation gets
/// its store type from the provider that applies it (TEXT on SQLite, character varying(64) or
/// timestamp with time zone on PostgreSQL), which is what the first hand-written migrations did.</para>
/// <para>The snapshot and each migration's target model are written without HasColumnType for the
/// same reason: EF then resolves column types with the provider in use, so
/// <c>has-pending-model-changes</c> compares like with like on both databases (with SQLite's type
/// names in the snapshot, PostgreSQL would report every column as changed).</para>
/// <para>Rule that keeps this true: the model never names a store type (<c>HasColumnType</c>); SQL
/// that must differ per database goes in <c>migrationBuilder.Sql</c> behind
/// <c>migrationBuilder.ActiveProvider</c>, as the Quartz tables do. The tests check both.</para>
/// </remarks>
public sealed class NeutralMigrationsGenerator(
    MigrationsCodeGeneratorDependencies dependencies,
    CSharpMigrationsGeneratorDependencies csharpDependencies)
    : CSharpMigrationsGenerator(dependencies, csharpDependencies)
{
    /// <inheritdoc />
    public override string GenerateMigration(
        string? migrationNamespace,
        string migrationName,
        IReadOnlyList<MigrationOperation> upOperations,
        IReadOnlyList<MigrationOperation> downOperations)
    {
        foreach (var operation in upOperations.Concat(downOperations))
        {
            ClearStoreTypes(operation);
        }

        return base.GenerateMigration(migrationNamespace, migrationName, upOperations, downOperations);
    }

    /// <inheritdoc />
    public override string GenerateMetadata(string? migrationNamespace, Type contextType, string migrationName, string migrationId, IModel targetModel) =>
        WithoutColumnTypes(base.GenerateMetadata(migrationNamespace, contextType, migrationName, migrationId, targetModel));

    /// <inheritdoc />
    public override string GenerateSnapshot(string? modelSnapshotNamespace, Type contextType, string modelSnapshotName, IModel model) =>
        WithoutColumnTypes(base.GenerateSnapshot(modelSnapshotNamespace, contextType, modelSnapshotName, model));

    private static void ClearStoreTypes(MigrationOperation operation)
    {
        switch (operation)
        {
            case CreateTableOperation table:
                foreach (var column in table.Columns)
                {
                    column.ColumnType = null;
                }

                break;
            case AlterColumnOperation alter:
                alter.ColumnType = null;
                alter.OldColumn.ColumnType = null;
                break;
            case ColumnOperation column:
                column.ColumnType = null;
                break;
        }
    }

    /// <summary>Removes every <c>.HasColumnType("…")</c> call from generated model-building code.</summary>
    internal static string WithoutColumnTypes(string code)
    {
        var root = CSharpSyntaxTree.ParseText(code).GetRoot();
        var calls = root.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Where(call => call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "HasColumnType" })
            .ToList();
        return root.ReplaceNodes(calls, (original, rewritten) =>
                ((MemberAccessExpressionSyntax)rewritten.Expression).Expression.WithTrailingTrivia(original.GetTrailingTrivia()))
            .ToFullString();
    }
}

/// <summary>Design-time services the <c>dotnet ef</c> tool picks up from this (its startup) project.</summary>
public sealed class ProcessServerDesignTimeServices : IDesignTimeServices
{
    /// <inheritdoc />
    public void ConfigureDesignTimeServices(IServiceCollection serviceCollection) =>
        serviceCollection.AddSingleton<IMigrationsCodeGenerator, NeutralMigrationsGenerator>();
}
