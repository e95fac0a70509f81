using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>Due dates, verdicts, the versioned calendar, step deadlines and the notification outbox.</summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000003_TimeLimits")]
public sealed class TimeLimits : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<DateTime>(name: "AppointmentAt", table: "Dossiers", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "DueAt", table: "Dossiers", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "ApologyDueAt", table: "Dossiers", nullable: true);
        migrationBuilder.AddColumn<string>(name: "Verdict", table: "Dossiers", maxLength: 16, nullable: true);
        migrationBuilder.AddColumn<int>(name: "CalendarVersion", table: "Dossiers", nullable: true);
        migrationBuilder.AddColumn<int>(name: "SupplementRequests", table: "Dossiers", nullable: false, defaultValue: 0);
        migrationBuilder.CreateIndex(name: "IX_Dossiers_Status_DueAt", table: "Dossiers", columns: ["Status", "DueAt"]);

        migrationBuilder.AddColumn<DateTime>(name: "DueAt", table: "Tasks", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "WarnAt", table: "Tasks", nullable: true);
        migrationBuilder.AddColumn<string>(name: "Verdict", table: "Tasks", maxLength: 16, nullable: true);

        migrationBuilder.CreateTable(
            name: "CalendarVersions",
            columns: table => new
            {
                Version = table.Column<int>(nullable: false),
                Json = table.Column<string>(nullable: false),
                CreatedAt = table.Column<DateTime>(nullable: false),
                CreatedBy = table.Column<string>(maxLength: 128, nullable: false),
                Comment = table.Column<string>(maxLength: 2000, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_CalendarVersions", x => x.Version));

        migrationBuilder.CreateTable(
            name: "Deadlines",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                TaskId = table.Column<string>(maxLength: 64, nullable: false),
                UnitCode = table.Column<string>(maxLength: 64, nullable: false),
                Kind = table.Column<string>(maxLength: 16, nullable: false),
                FireAt = table.Column<DateTime>(nullable: false),
                Status = table.Column<string>(maxLength: 16, nullable: false),
                FiredAt = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Deadlines", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_Deadlines_Status_FireAt", table: "Deadlines", columns: ["Status", "FireAt"]);
        migrationBuilder.CreateIndex(name: "IX_Deadlines_DossierId", table: "Deadlines", column: "DossierId");

        migrationBuilder.CreateTable(
            name: "Notifications",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                DeadlineId = table.Column<string>(maxLength: 64, nullable: false),
                Kind = table.Column<string>(maxLength: 16, nullable: false),
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                TaskId = table.Column<string>(maxLength: 64, nullable: false),
                UnitCode = table.Column<string>(maxLength: 64, nullable: false),
                Title = table.Column<string>(maxLength: 400, nullable: false),
                FireAt = table.Column<DateTime>(nullable: false),
                CreatedAt = table.Column<DateTime>(nullable: false),
                DeliveredAt = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Notifications", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_Notifications_DeadlineId", table: "Notifications", column: "DeadlineId", unique: true);
        migrationBuilder.CreateIndex(name: "IX_Notifications_UnitCode_CreatedAt", table: "Notifications", columns: ["UnitCode", "CreatedAt"]);
        migrationBuilder.CreateIndex(name: "IX_Notifications_TaskId", table: "Notifications", column: "TaskId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "Notifications");
        migrationBuilder.DropTable(name: "Deadlines");
        migrationBuilder.DropTable(name: "CalendarVersions");
        migrationBuilder.DropIndex(name: "IX_Dossiers_Status_DueAt", table: "Dossiers");
        foreach (var column in new[] { "DueAt", "WarnAt", "Verdict" })
        {
            migrationBuilder.DropColumn(name: column, table: "Tasks");
        }

        foreach (var column in new[] { "AppointmentAt", "DueAt", "ApologyDueAt", "Verdict", "CalendarVersion", "SupplementRequests" })
        {
            migrationBuilder.DropColumn(name: column, table: "Dossiers");
        }
    }
}
