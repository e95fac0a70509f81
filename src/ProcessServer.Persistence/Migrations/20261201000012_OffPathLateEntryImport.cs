using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>
/// Acts off the happy path, late entries and history imports: why a dossier stopped (its own
/// report column per kind), when and by whom each journal entry was written beside when the act
/// happened, and the tables of history import runs. Journal rows written before this migration
/// were recorded as they happened, so their recorded-at is their timestamp; dossiers stopped before
/// it could only have been returned without resolution (a Reject outcome or a procedure ending
/// without a result).
/// </summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261201000012_OffPathLateEntryImport")]
public sealed class OffPathLateEntryImport : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "StopKind", table: "Dossiers", maxLength: 32, nullable: true);
        migrationBuilder.Sql("""UPDATE "Dossiers" SET "StopKind" = 'ReturnedWithoutResolution' WHERE "Status" = 'Stopped'""");
        migrationBuilder.DropIndex(name: "IX_Dossiers_Report_Stopped", table: "Dossiers");
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Report_Stopped", table: "Dossiers",
            columns: ["StoppedAt", "ReceivedAt", "ReceivingUnit", "FieldCode", "StopKind", "Channel"]);

        migrationBuilder.AddColumn<DateTime>(name: "RecordedAt", table: "Journal", nullable: false,
            defaultValue: new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        migrationBuilder.Sql("""UPDATE "Journal" SET "RecordedAt" = "Timestamp" """);
        migrationBuilder.AddColumn<string>(name: "RecordedBy", table: "Journal", maxLength: 128, nullable: true);
        migrationBuilder.AddColumn<string>(name: "EntryMode", table: "Journal", maxLength: 16, nullable: true);
        migrationBuilder.CreateIndex(name: "IX_Journal_EntryMode_Timestamp", table: "Journal", columns: ["EntryMode", "Timestamp"]);

        migrationBuilder.CreateTable(
            name: "ImportRuns",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                FileName = table.Column<string>(maxLength: 400, nullable: false),
                FilePath = table.Column<string>(maxLength: 1000, nullable: false),
                DryRun = table.Column<bool>(nullable: false),
                Status = table.Column<string>(maxLength: 32, nullable: false),
                CreatedBy = table.Column<string>(maxLength: 128, nullable: false),
                CreatedAt = table.Column<DateTime>(nullable: false),
                StartedAt = table.Column<DateTime>(nullable: true),
                FinishedAt = table.Column<DateTime>(nullable: true),
                TotalLines = table.Column<int>(nullable: false),
                LinesDone = table.Column<int>(nullable: false),
                Created = table.Column<int>(nullable: false),
                Unchanged = table.Column<int>(nullable: false),
                Refused = table.Column<int>(nullable: false),
                Error = table.Column<string>(maxLength: 4000, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_ImportRuns", x => x.Id));

        migrationBuilder.CreateTable(
            name: "ImportLineResults",
            columns: table => new
            {
                RunId = table.Column<string>(maxLength: 64, nullable: false),
                LineNumber = table.Column<int>(nullable: false),
                SourceRef = table.Column<string>(maxLength: 128, nullable: true),
                Outcome = table.Column<string>(maxLength: 32, nullable: false),
                DossierId = table.Column<string>(maxLength: 64, nullable: true),
                ReceiptCode = table.Column<string>(maxLength: 64, nullable: true),
                NationalStatusCode = table.Column<int>(nullable: true),
                Detail = table.Column<string>(maxLength: 4000, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ImportLineResults", x => new { x.RunId, x.LineNumber });
                table.ForeignKey("FK_ImportLineResults_ImportRuns_RunId", x => x.RunId, "ImportRuns", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex(name: "IX_ImportLineResults_RunId_Outcome_LineNumber", table: "ImportLineResults", columns: ["RunId", "Outcome", "LineNumber"]);

        migrationBuilder.CreateTable(
            name: "ImportedDossiers",
            columns: table => new
            {
                SourceRef = table.Column<string>(maxLength: 128, nullable: false),
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                Digest = table.Column<string>(maxLength: 64, nullable: false),
                RunId = table.Column<string>(maxLength: 64, nullable: false),
                ImportedAt = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ImportedDossiers", x => x.SourceRef);
                table.ForeignKey("FK_ImportedDossiers_Dossiers_DossierId", x => x.DossierId, "Dossiers", "Id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex(name: "IX_ImportedDossiers_DossierId", table: "ImportedDossiers", column: "DossierId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "ImportedDossiers");
        migrationBuilder.DropTable(name: "ImportLineResults");
        migrationBuilder.DropTable(name: "ImportRuns");
        migrationBuilder.DropIndex(name: "IX_Journal_EntryMode_Timestamp", table: "Journal");
        foreach (var column in new[] { "EntryMode", "RecordedBy", "RecordedAt" })
        {
            migrationBuilder.DropColumn(name: column, table: "Journal");
        }

        migrationBuilder.DropIndex(name: "IX_Dossiers_Report_Stopped", table: "Dossiers");
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Report_Stopped", table: "Dossiers",
            columns: ["StoppedAt", "ReceivedAt", "ReceivingUnit", "FieldCode"]);
        migrationBuilder.DropColumn(name: "StopKind", table: "Dossiers");
    }
}
