using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>
/// Indexes for the reporting feed and the period report: each report query is a range over one
/// instant (received, result ready, stopped) and reads only the columns it groups and counts by,
/// so these are covering indexes on SQLite and plain B-trees on PostgreSQL.
/// </summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000005_ReportingIndexes")]
public sealed class ReportingIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Report_Received", table: "Dossiers",
            columns: ["ReceivedAt", "ReceivingUnit", "FieldCode", "Channel"]);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Report_Resolved", table: "Dossiers",
            columns: ["ResultReadyAt", "ReceivedAt", "ReceivingUnit", "FieldCode", "Verdict"]);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Report_Stopped", table: "Dossiers",
            columns: ["StoppedAt", "ReceivedAt", "ReceivingUnit", "FieldCode"]);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Report_Running", table: "Dossiers",
            columns: ["ResultReadyAt", "StoppedAt", "ReceivedAt", "ReceivingUnit", "FieldCode", "AppointmentAt"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Dossiers_Report_Running", table: "Dossiers");
        migrationBuilder.DropIndex(name: "IX_Dossiers_Report_Stopped", table: "Dossiers");
        migrationBuilder.DropIndex(name: "IX_Dossiers_Report_Resolved", table: "Dossiers");
        migrationBuilder.DropIndex(name: "IX_Dossiers_Report_Received", table: "Dossiers");
    }
}
