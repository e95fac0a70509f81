using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>Plans and per-dossier results of moving in-flight dossiers between definition versions.</summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000002_DossierMigrations")]
public sealed class DossierMigrations : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "MigrationPlans",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                ProcedureCode = table.Column<string>(maxLength: 128, nullable: false),
                SourceVersionsJson = table.Column<string>(maxLength: 2000, nullable: false),
                TargetVersion = table.Column<int>(nullable: false),
                TargetVersionId = table.Column<string>(maxLength: 160, nullable: false),
                FilterJson = table.Column<string>(nullable: false),
                MappingJson = table.Column<string>(nullable: false),
                TimePolicy = table.Column<string>(maxLength: 32, nullable: false),
                Status = table.Column<string>(maxLength: 32, nullable: false),
                CreatedBy = table.Column<string>(maxLength: 128, nullable: false),
                CreatedAt = table.Column<DateTime>(nullable: false),
                ExecutedBy = table.Column<string>(maxLength: 128, nullable: true),
                StartedAt = table.Column<DateTime>(nullable: true),
                FinishedAt = table.Column<DateTime>(nullable: true),
                Candidates = table.Column<int>(nullable: false),
                Migrated = table.Column<int>(nullable: false),
                Blocked = table.Column<int>(nullable: false),
                AlreadyMigrated = table.Column<int>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_MigrationPlans", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_MigrationPlans_ProcedureCode", table: "MigrationPlans", column: "ProcedureCode");

        migrationBuilder.CreateTable(
            name: "MigrationResults",
            columns: table => new
            {
                PlanId = table.Column<string>(maxLength: 64, nullable: false),
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                Outcome = table.Column<string>(maxLength: 32, nullable: false),
                FromVersion = table.Column<int>(nullable: false),
                ToVersion = table.Column<int>(nullable: false),
                Reason = table.Column<string>(maxLength: 4000, nullable: true),
                MovesJson = table.Column<string>(nullable: true),
                At = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_MigrationResults", x => new { x.PlanId, x.DossierId });
                table.ForeignKey(
                    name: "FK_MigrationResults_MigrationPlans_PlanId",
                    column: x => x.PlanId,
                    principalTable: "MigrationPlans",
                    principalColumn: "Id",
                    onDelete: ReferentialAction.Cascade);
            });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "MigrationResults");
        migrationBuilder.DropTable(name: "MigrationPlans");
    }
}
