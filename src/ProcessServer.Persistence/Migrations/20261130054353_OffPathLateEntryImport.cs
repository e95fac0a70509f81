using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProcessServer.Persistence.Migrations
{
    /// <summary>
    /// Acts off the happy path, late entries and history imports: why a dossier stopped (a report
    /// column per kind), when and by whom each journal entry was written beside when the act happened,
    /// and the history import tables. Journal rows written before were recorded as they happened, so
    /// their recorded-at is their timestamp; dossiers stopped before could only have been returned
    /// without resolution (a Reject outcome or a procedure ending without a result).
    /// </summary>
    public partial class OffPathLateEntryImport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Dossiers_Report_Stopped",
                table: "Dossiers");

            migrationBuilder.AddColumn<string>(
                name: "EntryMode",
                table: "Journal",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "RecordedAt",
                table: "Journal",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<string>(
                name: "RecordedBy",
                table: "Journal",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "StopKind",
                table: "Dossiers",
                maxLength: 32,
                nullable: true);

            migrationBuilder.Sql("UPDATE \"Journal\" SET \"RecordedAt\" = \"Timestamp\"");
            migrationBuilder.Sql("UPDATE \"Dossiers\" SET \"StopKind\" = 'ReturnedWithoutResolution' WHERE \"Status\" = 'Stopped'");

            migrationBuilder.CreateTable(
                name: "ImportedDossiers",
                columns: table => new
                {
                    SourceRef = table.Column<string>(maxLength: 128, nullable: false),
                    DossierId = table.Column<string>(maxLength: 64, nullable: false),
                    Digest = table.Column<string>(maxLength: 64, nullable: false),
                    RunId = table.Column<string>(maxLength: 64, nullable: false),
                    ImportedAt = table.Column<DateTime>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImportedDossiers", x => x.SourceRef);
                    table.ForeignKey(
                        name: "FK_ImportedDossiers_Dossiers_DossierId",
                        column: x => x.DossierId,
                        principalTable: "Dossiers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

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
                    Error = table.Column<string>(maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImportRuns", x => x.Id);
                });

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
                    Detail = table.Column<string>(maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImportLineResults", x => new { x.RunId, x.LineNumber });
                    table.ForeignKey(
                        name: "FK_ImportLineResults_ImportRuns_RunId",
                        column: x => x.RunId,
                        principalTable: "ImportRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Journal_EntryMode_Timestamp",
                table: "Journal",
                columns: ["EntryMode", "Timestamp"]);

            migrationBuilder.CreateIndex(
                name: "IX_Dossiers_Report_Stopped",
                table: "Dossiers",
                columns: ["StoppedAt", "ReceivedAt", "ReceivingUnit", "FieldCode", "StopKind", "Channel"]);

            migrationBuilder.CreateIndex(
                name: "IX_ImportedDossiers_DossierId",
                table: "ImportedDossiers",
                column: "DossierId");

            migrationBuilder.CreateIndex(
                name: "IX_ImportLineResults_RunId_Outcome_LineNumber",
                table: "ImportLineResults",
                columns: ["RunId", "Outcome", "LineNumber"]);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ImportedDossiers");

            migrationBuilder.DropTable(
                name: "ImportLineResults");

            migrationBuilder.DropTable(
                name: "ImportRuns");

            migrationBuilder.DropIndex(
                name: "IX_Journal_EntryMode_Timestamp",
                table: "Journal");

            migrationBuilder.DropIndex(
                name: "IX_Dossiers_Report_Stopped",
                table: "Dossiers");

            migrationBuilder.DropColumn(
                name: "EntryMode",
                table: "Journal");

            migrationBuilder.DropColumn(
                name: "RecordedAt",
                table: "Journal");

            migrationBuilder.DropColumn(
                name: "RecordedBy",
                table: "Journal");

            migrationBuilder.DropColumn(
                name: "StopKind",
                table: "Dossiers");

            migrationBuilder.CreateIndex(
                name: "IX_Dossiers_Report_Stopped",
                table: "Dossiers",
                columns: ["StoppedAt", "ReceivedAt", "ReceivingUnit", "FieldCode"]);
        }
    }
}
