using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProcessServer.Persistence.Migrations
{
    /// <summary>
    /// People and units as data: units with level, parent, successor and validity, their leaders,
    /// the people who act (as their last sign-in described them), who holds each task, who did each
    /// journal entry and for which unit, and the audit trail of acts that are not a dossier's.
    /// </summary>
    public partial class People : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "AssignedAt",
                table: "Tasks",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AssignedVia",
                table: "Tasks",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AssigneeId",
                table: "Tasks",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AssigneeName",
                table: "Tasks",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CompletedById",
                table: "Tasks",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "FollowUpAt",
                table: "Tasks",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Priority",
                table: "Tasks",
                maxLength: 16,
                nullable: false,
                defaultValue: "Normal");

            migrationBuilder.AddColumn<DateTime>(
                name: "QueuedSince",
                table: "Tasks",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CreatedById",
                table: "MigrationPlans",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExecutedById",
                table: "MigrationPlans",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ActedForUnit",
                table: "Journal",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ActorId",
                table: "Journal",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ActorName",
                table: "Journal",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Audit",
                columns: table => new
                {
                    Id = table.Column<string>(maxLength: 64, nullable: false),
                    At = table.Column<DateTime>(nullable: false),
                    Action = table.Column<string>(maxLength: 64, nullable: false),
                    Subject = table.Column<string>(maxLength: 400, nullable: true),
                    ActorId = table.Column<string>(maxLength: 200, nullable: false),
                    ActorName = table.Column<string>(maxLength: 200, nullable: false),
                    ActedForUnit = table.Column<string>(maxLength: 64, nullable: true),
                    DetailJson = table.Column<string>(nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Audit", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "People",
                columns: table => new
                {
                    Id = table.Column<string>(maxLength: 200, nullable: false),
                    Name = table.Column<string>(maxLength: 200, nullable: false),
                    Kind = table.Column<string>(maxLength: 16, nullable: false),
                    Role = table.Column<string>(maxLength: 32, nullable: false),
                    FirstSeenAt = table.Column<DateTime>(nullable: false),
                    LastSeenAt = table.Column<DateTime>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_People", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Units",
                columns: table => new
                {
                    Code = table.Column<string>(maxLength: 64, nullable: false),
                    Name = table.Column<string>(maxLength: 400, nullable: false),
                    Level = table.Column<string>(maxLength: 32, nullable: false),
                    ParentCode = table.Column<string>(maxLength: 64, nullable: true),
                    SuccessorCode = table.Column<string>(maxLength: 64, nullable: true),
                    ValidFrom = table.Column<DateTime>(nullable: true),
                    ValidTo = table.Column<DateTime>(nullable: true),
                    CreatedAt = table.Column<DateTime>(nullable: false),
                    UpdatedAt = table.Column<DateTime>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Units", x => x.Code);
                });

            migrationBuilder.CreateTable(
                name: "PersonUnits",
                columns: table => new
                {
                    PersonId = table.Column<string>(maxLength: 200, nullable: false),
                    UnitCode = table.Column<string>(maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PersonUnits", x => new { x.PersonId, x.UnitCode });
                    table.ForeignKey(
                        name: "FK_PersonUnits_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UnitLeaders",
                columns: table => new
                {
                    UnitCode = table.Column<string>(maxLength: 64, nullable: false),
                    PersonId = table.Column<string>(maxLength: 200, nullable: false),
                    Since = table.Column<DateTime>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UnitLeaders", x => new { x.UnitCode, x.PersonId });
                    table.ForeignKey(
                        name: "FK_UnitLeaders_Units_UnitCode",
                        column: x => x.UnitCode,
                        principalTable: "Units",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_Assignee",
                table: "Tasks",
                columns: new[] { "AssigneeId", "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_Queue",
                table: "Tasks",
                columns: new[] { "UnitCode", "AssigneeId", "Status", "QueuedSince" });

            migrationBuilder.CreateIndex(
                name: "IX_Audit_Action_At",
                table: "Audit",
                columns: new[] { "Action", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_Audit_At",
                table: "Audit",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_PersonUnits_UnitCode",
                table: "PersonUnits",
                column: "UnitCode");

            migrationBuilder.CreateIndex(
                name: "IX_UnitLeaders_PersonId",
                table: "UnitLeaders",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Units_ParentCode",
                table: "Units",
                column: "ParentCode");

            // Open tasks written before this migration have waited in their unit's queue since they started.
            migrationBuilder.Sql("UPDATE \"Tasks\" SET \"QueuedSince\" = \"CreatedAt\" WHERE \"Status\" IN ('Pending', 'AwaitingSupplement')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Audit");

            migrationBuilder.DropTable(
                name: "PersonUnits");

            migrationBuilder.DropTable(
                name: "UnitLeaders");

            migrationBuilder.DropTable(
                name: "People");

            migrationBuilder.DropTable(
                name: "Units");

            migrationBuilder.DropIndex(
                name: "IX_Tasks_Assignee",
                table: "Tasks");

            migrationBuilder.DropIndex(
                name: "IX_Tasks_Queue",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "AssignedAt",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "AssignedVia",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "AssigneeId",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "AssigneeName",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "CompletedById",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "FollowUpAt",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "Priority",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "QueuedSince",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "CreatedById",
                table: "MigrationPlans");

            migrationBuilder.DropColumn(
                name: "ExecutedById",
                table: "MigrationPlans");

            migrationBuilder.DropColumn(
                name: "ActedForUnit",
                table: "Journal");

            migrationBuilder.DropColumn(
                name: "ActorId",
                table: "Journal");

            migrationBuilder.DropColumn(
                name: "ActorName",
                table: "Journal");
        }
    }
}
