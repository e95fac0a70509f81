using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>
/// At most one published and at most one latest version per procedure, enforced by the database
/// with partial unique indexes (the code keeps exactly one latest). Stores written by earlier
/// servers could hold several published or latest versions after concurrent publishes; Up first
/// keeps the highest-numbered one of each and clears the flag on the others, then makes sure every
/// procedure has a latest version, so the indexes can be created. The filter is the same SQL on
/// SQLite (0/1 integers) and PostgreSQL (booleans).
/// </summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000010_OnePublishedVersion")]
public sealed class OnePublishedVersion : Migration
{
    /// <summary>Name of the index allowing one published version per procedure.</summary>
    public const string PublishedIndex = "IX_WorkflowDefinitionVersions_OnePublished";

    /// <summary>Name of the index allowing one latest version per procedure.</summary>
    public const string LatestIndex = "IX_WorkflowDefinitionVersions_OneLatest";

    /// <summary>The filter of <see cref="PublishedIndex"/>.</summary>
    public const string PublishedFilter = "\"IsPublished\"";

    /// <summary>The filter of <see cref="LatestIndex"/>.</summary>
    public const string LatestFilter = "\"IsLatest\"";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var yes = migrationBuilder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL" ? "TRUE" : "1";
        var no = yes == "TRUE" ? "FALSE" : "0";
        foreach (var flag in new[] { "IsPublished", "IsLatest" })
        {
            migrationBuilder.Sql($"""
                UPDATE "WorkflowDefinitionVersions" SET "{flag}" = {no}
                WHERE "{flag}" AND EXISTS (
                    SELECT 1 FROM "WorkflowDefinitionVersions" AS newer
                    WHERE newer."DefinitionId" = "WorkflowDefinitionVersions"."DefinitionId"
                      AND newer."{flag}" AND newer."Version" > "WorkflowDefinitionVersions"."Version");
                """);
        }

        migrationBuilder.Sql($"""
            UPDATE "WorkflowDefinitionVersions" SET "IsLatest" = {yes}
            WHERE NOT EXISTS (
                SELECT 1 FROM "WorkflowDefinitionVersions" AS other
                WHERE other."DefinitionId" = "WorkflowDefinitionVersions"."DefinitionId" AND other."IsLatest")
              AND "Version" = (
                SELECT MAX(highest."Version") FROM "WorkflowDefinitionVersions" AS highest
                WHERE highest."DefinitionId" = "WorkflowDefinitionVersions"."DefinitionId");
            """);

        migrationBuilder.CreateIndex(name: PublishedIndex, table: "WorkflowDefinitionVersions", column: "DefinitionId",
            unique: true, filter: PublishedFilter);
        migrationBuilder.CreateIndex(name: LatestIndex, table: "WorkflowDefinitionVersions", column: "DefinitionId",
            unique: true, filter: LatestFilter);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: LatestIndex, table: "WorkflowDefinitionVersions");
        migrationBuilder.DropIndex(name: PublishedIndex, table: "WorkflowDefinitionVersions");
    }
}
