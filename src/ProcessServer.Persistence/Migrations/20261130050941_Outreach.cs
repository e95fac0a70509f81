using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProcessServer.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Outreach : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ApplicantEmail",
                table: "Dossiers",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LookupSecretHash",
                table: "Dossiers",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "OutboxMessages",
                columns: table => new
                {
                    Id = table.Column<string>(maxLength: 64, nullable: false),
                    Channel = table.Column<string>(maxLength: 16, nullable: false),
                    Kind = table.Column<string>(maxLength: 32, nullable: false),
                    OrderKey = table.Column<string>(maxLength: 128, nullable: true),
                    Position = table.Column<long>(nullable: false),
                    DossierId = table.Column<string>(maxLength: 64, nullable: true),
                    NotificationId = table.Column<string>(maxLength: 64, nullable: true),
                    NationalStatusCode = table.Column<int>(nullable: true),
                    Recipient = table.Column<string>(maxLength: 200, nullable: false),
                    Subject = table.Column<string>(maxLength: 400, nullable: true),
                    Body = table.Column<string>(nullable: false),
                    Status = table.Column<string>(maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(nullable: false),
                    CreatedAt = table.Column<DateTime>(nullable: false),
                    NextAttemptAt = table.Column<DateTime>(nullable: false),
                    ClaimedBy = table.Column<string>(maxLength: 64, nullable: true),
                    ClaimedUntil = table.Column<DateTime>(nullable: true),
                    SentAt = table.Column<DateTime>(nullable: true),
                    LastError = table.Column<string>(maxLength: 2000, nullable: true),
                    DeadAt = table.Column<DateTime>(nullable: true),
                    ReplayedBy = table.Column<string>(maxLength: 128, nullable: true),
                    ReplayedAt = table.Column<DateTime>(nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboxMessages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PortalAcks",
                columns: table => new
                {
                    DossierId = table.Column<string>(maxLength: 64, nullable: false),
                    NationalStatusCode = table.Column<int>(nullable: false),
                    Position = table.Column<long>(nullable: false),
                    AckedAt = table.Column<DateTime>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PortalAcks", x => x.DossierId);
                });

            migrationBuilder.CreateTable(
                name: "Ratings",
                columns: table => new
                {
                    DossierId = table.Column<string>(maxLength: 64, nullable: false),
                    ReceiptCode = table.Column<string>(maxLength: 64, nullable: false),
                    UnitCode = table.Column<string>(maxLength: 64, nullable: false),
                    FieldCode = table.Column<string>(maxLength: 64, nullable: true),
                    ProcedureCode = table.Column<string>(maxLength: 128, nullable: false),
                    Satisfied = table.Column<bool>(nullable: false),
                    Comment = table.Column<string>(maxLength: 2000, nullable: true),
                    RatedAt = table.Column<DateTime>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Ratings", x => x.DossierId);
                    table.ForeignKey(
                        name: "FK_Ratings_Dossiers_DossierId",
                        column: x => x.DossierId,
                        principalTable: "Dossiers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_DossierId",
                table: "OutboxMessages",
                column: "DossierId");

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_NotificationId",
                table: "OutboxMessages",
                column: "NotificationId");

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_OrderKey_Position",
                table: "OutboxMessages",
                columns: new[] { "OrderKey", "Position" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_Status_NextAttemptAt",
                table: "OutboxMessages",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Ratings_RatedAt",
                table: "Ratings",
                column: "RatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OutboxMessages");

            migrationBuilder.DropTable(
                name: "PortalAcks");

            migrationBuilder.DropTable(
                name: "Ratings");

            migrationBuilder.DropColumn(
                name: "ApplicantEmail",
                table: "Dossiers");

            migrationBuilder.DropColumn(
                name: "LookupSecretHash",
                table: "Dossiers");
        }
    }
}
