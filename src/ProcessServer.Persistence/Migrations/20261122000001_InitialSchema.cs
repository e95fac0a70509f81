using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>
/// Written by hand before the dotnet-ef tool could be restored here; kept as it is because databases
/// have run it (the history table holds its id). Column types are left to the provider so the same
/// migration builds the schema on SQLite and PostgreSQL, as the tool's migrations now do too
/// (NeutralMigrationsGenerator); the model snapshot next to it continues the history.
/// </summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000001_InitialSchema")]
public sealed class InitialSchema : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "WorkflowDefinitionVersions",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 160, nullable: false),
                DefinitionId = table.Column<string>(maxLength: 128, nullable: false),
                Version = table.Column<int>(nullable: false),
                Name = table.Column<string>(maxLength: 400, nullable: false),
                IsLatest = table.Column<bool>(nullable: false),
                IsPublished = table.Column<bool>(nullable: false),
                Json = table.Column<string>(nullable: false),
                CreatedAt = table.Column<DateTime>(nullable: false),
                PublishedAt = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_WorkflowDefinitionVersions", x => x.Id));
        migrationBuilder.CreateIndex(
            name: "IX_WorkflowDefinitionVersions_DefinitionId_Version",
            table: "WorkflowDefinitionVersions",
            columns: ["DefinitionId", "Version"],
            unique: true);

        migrationBuilder.CreateTable(
            name: "Dossiers",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                ReceiptCode = table.Column<string>(maxLength: 64, nullable: false),
                ProcedureCode = table.Column<string>(maxLength: 128, nullable: false),
                DefinitionVersionId = table.Column<string>(maxLength: 160, nullable: false),
                DefinitionVersion = table.Column<int>(nullable: false),
                FieldCode = table.Column<string>(maxLength: 64, nullable: true),
                ReceivingUnit = table.Column<string>(maxLength: 64, nullable: false),
                Channel = table.Column<string>(maxLength: 16, nullable: false),
                ApplicantName = table.Column<string>(maxLength: 200, nullable: false),
                ApplicantIdNumber = table.Column<string>(maxLength: 32, nullable: false),
                ApplicantPhone = table.Column<string>(maxLength: 32, nullable: true),
                ReceivedAt = table.Column<DateTime>(nullable: false),
                Status = table.Column<string>(maxLength: 32, nullable: false),
                NationalStatusCode = table.Column<int>(nullable: false),
                StateJson = table.Column<string>(nullable: false),
                Version = table.Column<int>(nullable: false),
                CreatedAt = table.Column<DateTime>(nullable: false),
                UpdatedAt = table.Column<DateTime>(nullable: false),
                ResultReadyAt = table.Column<DateTime>(nullable: true),
                ReturnedAt = table.Column<DateTime>(nullable: true),
                StoppedAt = table.Column<DateTime>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Dossiers", x => x.Id);
                table.ForeignKey(
                    name: "FK_Dossiers_WorkflowDefinitionVersions_DefinitionVersionId",
                    column: x => x.DefinitionVersionId,
                    principalTable: "WorkflowDefinitionVersions",
                    principalColumn: "Id",
                    onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex(name: "IX_Dossiers_ReceiptCode", table: "Dossiers", column: "ReceiptCode", unique: true);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_ProcedureCode_DefinitionVersion", table: "Dossiers", columns: ["ProcedureCode", "DefinitionVersion"]);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_ReceivingUnit_ReceivedAt", table: "Dossiers", columns: ["ReceivingUnit", "ReceivedAt"]);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_DefinitionVersionId", table: "Dossiers", column: "DefinitionVersionId");

        migrationBuilder.CreateTable(
            name: "Tasks",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                ActivityId = table.Column<string>(maxLength: 128, nullable: false),
                ActivityType = table.Column<string>(maxLength: 128, nullable: false),
                Kind = table.Column<string>(maxLength: 32, nullable: false),
                Title = table.Column<string>(maxLength: 400, nullable: false),
                UnitCode = table.Column<string>(maxLength: 64, nullable: false),
                Role = table.Column<string>(maxLength: 64, nullable: false),
                Status = table.Column<string>(maxLength: 32, nullable: false),
                TimeLimitDays = table.Column<decimal>(precision: 9, scale: 3, nullable: true),
                CreatedAt = table.Column<DateTime>(nullable: false),
                CompletedAt = table.Column<DateTime>(nullable: true),
                Outcome = table.Column<string>(maxLength: 64, nullable: true),
                CompletedBy = table.Column<string>(maxLength: 128, nullable: true),
                Comment = table.Column<string>(maxLength: 4000, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Tasks", x => x.Id);
                table.ForeignKey(
                    name: "FK_Tasks_Dossiers_DossierId",
                    column: x => x.DossierId,
                    principalTable: "Dossiers",
                    principalColumn: "Id",
                    onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex(name: "IX_Tasks_UnitCode_Status_CreatedAt", table: "Tasks", columns: ["UnitCode", "Status", "CreatedAt"]);
        migrationBuilder.CreateIndex(name: "IX_Tasks_DossierId", table: "Tasks", column: "DossierId");

        migrationBuilder.CreateTable(
            name: "Journal",
            columns: table => new
            {
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                Sequence = table.Column<int>(nullable: false),
                Timestamp = table.Column<DateTime>(nullable: false),
                Type = table.Column<string>(maxLength: 64, nullable: false),
                DefinitionVersionId = table.Column<string>(maxLength: 160, nullable: false),
                ActivityId = table.Column<string>(maxLength: 128, nullable: true),
                ActivityType = table.Column<string>(maxLength: 128, nullable: true),
                ActivityName = table.Column<string>(maxLength: 400, nullable: true),
                TaskId = table.Column<string>(maxLength: 64, nullable: true),
                UnitCode = table.Column<string>(maxLength: 64, nullable: true),
                Actor = table.Column<string>(maxLength: 128, nullable: false),
                Outcome = table.Column<string>(maxLength: 64, nullable: true),
                Comment = table.Column<string>(maxLength: 4000, nullable: true),
                StartedAt = table.Column<DateTime>(nullable: true),
                CompletedAt = table.Column<DateTime>(nullable: true),
                DataJson = table.Column<string>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Journal", x => new { x.DossierId, x.Sequence });
                table.ForeignKey(
                    name: "FK_Journal_Dossiers_DossierId",
                    column: x => x.DossierId,
                    principalTable: "Dossiers",
                    principalColumn: "Id",
                    onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex(name: "IX_Journal_Timestamp", table: "Journal", column: "Timestamp");

        migrationBuilder.CreateTable(
            name: "IdempotencyRecords",
            columns: table => new
            {
                Scope = table.Column<string>(maxLength: 128, nullable: false),
                Key = table.Column<string>(maxLength: 128, nullable: false),
                RequestFingerprint = table.Column<string>(maxLength: 128, nullable: false),
                StatusCode = table.Column<int>(nullable: false),
                ResponseBody = table.Column<string>(nullable: false),
                ETag = table.Column<string>(maxLength: 64, nullable: true),
                Location = table.Column<string>(maxLength: 400, nullable: true),
                CreatedAt = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_IdempotencyRecords", x => new { x.Scope, x.Key }));

        migrationBuilder.CreateTable(
            name: "ReceiptCounters",
            columns: table => new
            {
                UnitCode = table.Column<string>(maxLength: 64, nullable: false),
                Day = table.Column<string>(maxLength: 8, nullable: false),
                LastNumber = table.Column<int>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_ReceiptCounters", x => new { x.UnitCode, x.Day }));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "ReceiptCounters");
        migrationBuilder.DropTable(name: "IdempotencyRecords");
        migrationBuilder.DropTable(name: "Journal");
        migrationBuilder.DropTable(name: "Tasks");
        migrationBuilder.DropTable(name: "Dossiers");
        migrationBuilder.DropTable(name: "WorkflowDefinitionVersions");
    }
}
