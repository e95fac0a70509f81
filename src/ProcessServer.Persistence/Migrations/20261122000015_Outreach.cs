using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>
/// What leaves the server: the outbox of portal, e-mail and SMS messages, the portal's last
/// acknowledged status per dossier, applicants' ratings, and per dossier the hash of the look-up
/// secret printed on the receipt and an optional e-mail address.
/// </summary>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000015_Outreach")]
public sealed class Outreach : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "ApplicantEmail", table: "Dossiers", maxLength: 200, nullable: true);
        migrationBuilder.AddColumn<string>(name: "LookupSecretHash", table: "Dossiers", maxLength: 64, nullable: true);

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
                ReplayedAt = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_OutboxMessages", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_OutboxMessages_Status_NextAttemptAt", table: "OutboxMessages", columns: ["Status", "NextAttemptAt"]);
        migrationBuilder.CreateIndex(name: "IX_OutboxMessages_OrderKey_Position", table: "OutboxMessages", columns: ["OrderKey", "Position"]);
        migrationBuilder.CreateIndex(name: "IX_OutboxMessages_DossierId", table: "OutboxMessages", column: "DossierId");
        migrationBuilder.CreateIndex(name: "IX_OutboxMessages_NotificationId", table: "OutboxMessages", column: "NotificationId");

        migrationBuilder.CreateTable(
            name: "PortalAcks",
            columns: table => new
            {
                DossierId = table.Column<string>(maxLength: 64, nullable: false),
                NationalStatusCode = table.Column<int>(nullable: false),
                Position = table.Column<long>(nullable: false),
                AckedAt = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_PortalAcks", x => x.DossierId));

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
                RatedAt = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Ratings", x => x.DossierId);
                table.ForeignKey("FK_Ratings_Dossiers_DossierId", x => x.DossierId, "Dossiers", "Id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex(name: "IX_Ratings_RatedAt", table: "Ratings", column: "RatedAt");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "Ratings");
        migrationBuilder.DropTable(name: "PortalAcks");
        migrationBuilder.DropTable(name: "OutboxMessages");
        migrationBuilder.DropColumn(name: "LookupSecretHash", table: "Dossiers");
        migrationBuilder.DropColumn(name: "ApplicantEmail", table: "Dossiers");
    }
}
