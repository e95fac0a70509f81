using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Persistence;

/// <summary>
/// The store. One model for SQLite and PostgreSQL: no provider-specific SQL, times as UTC
/// <see cref="DateTime"/> (SQLite keeps ISO text that sorts correctly; PostgreSQL uses timestamptz).
/// The schema is created and upgraded only by the migrations in Migrations/ (dotnet ef; one set for
/// both databases, see <see cref="NeutralMigrationsGenerator"/>).
/// </summary>
public sealed class ProcessServerDbContext(DbContextOptions<ProcessServerDbContext> options) : DbContext(options)
{
    public DbSet<WorkflowDefinitionVersion> WorkflowDefinitions => Set<WorkflowDefinitionVersion>();
    public DbSet<Dossier> Dossiers => Set<Dossier>();
    public DbSet<DossierTask> Tasks => Set<DossierTask>();
    public DbSet<JournalEntry> Journal => Set<JournalEntry>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<ReceiptCounter> ReceiptCounters => Set<ReceiptCounter>();
    public DbSet<MigrationPlan> MigrationPlans => Set<MigrationPlan>();
    public DbSet<MigrationResult> MigrationResults => Set<MigrationResult>();
    public DbSet<CalendarVersion> CalendarVersions => Set<CalendarVersion>();
    public DbSet<Deadline> Deadlines => Set<Deadline>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<OrgUnit> Units => Set<OrgUnit>();
    public DbSet<OrgUnitLeader> UnitLeaders => Set<OrgUnitLeader>();
    public DbSet<Person> People => Set<Person>();
    public DbSet<PersonUnit> PersonUnits => Set<PersonUnit>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();
    public DbSet<ImportRun> ImportRuns => Set<ImportRun>();
    public DbSet<ImportLineResult> ImportLineResults => Set<ImportLineResult>();
    public DbSet<ImportedDossier> ImportedDossiers => Set<ImportedDossier>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<PortalAck> PortalAcks => Set<PortalAck>();
    public DbSet<ServiceRating> Ratings => Set<ServiceRating>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite hands DateTime back as Unspecified; every time in the store is UTC, so say so.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<WorkflowDefinitionVersion>(b =>
        {
            b.ToTable("WorkflowDefinitionVersions");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(160);
            b.Property(x => x.DefinitionId).HasMaxLength(128);
            b.Property(x => x.Name).HasMaxLength(400);
            b.Property(x => x.SavedBy).HasMaxLength(128);
            b.HasIndex(x => new { x.DefinitionId, x.Version }).IsUnique();

            // Migration OnePublishedVersion: at most one published and one latest version per procedure.
            b.HasIndex(x => x.DefinitionId, Migrations.OnePublishedVersion.PublishedIndex).IsUnique().HasFilter(Migrations.OnePublishedVersion.PublishedFilter);
            b.HasIndex(x => x.DefinitionId, Migrations.OnePublishedVersion.LatestIndex).IsUnique().HasFilter(Migrations.OnePublishedVersion.LatestFilter);
        });

        modelBuilder.Entity<Dossier>(b =>
        {
            b.ToTable("Dossiers");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.ReceiptCode).HasMaxLength(64);
            b.Property(x => x.ProcedureCode).HasMaxLength(128);
            b.Property(x => x.DefinitionVersionId).HasMaxLength(160);
            b.Property(x => x.FieldCode).HasMaxLength(64);
            b.Property(x => x.ReceivingUnit).HasMaxLength(64);
            b.Property(x => x.Channel).HasMaxLength(16);
            b.Property(x => x.ApplicantName).HasMaxLength(200);
            b.Property(x => x.ApplicantIdNumber).HasMaxLength(32);
            b.Property(x => x.ApplicantPhone).HasMaxLength(32);
            b.Property(x => x.Status).HasMaxLength(32);
            b.Property(x => x.Version).IsConcurrencyToken();
            b.HasIndex(x => x.ReceiptCode).IsUnique();
            b.HasIndex(x => new { x.ProcedureCode, x.DefinitionVersion });
            b.HasIndex(x => new { x.ReceivingUnit, x.ReceivedAt });
            b.HasOne<WorkflowDefinitionVersion>().WithMany().HasForeignKey(x => x.DefinitionVersionId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<DossierTask>(b =>
        {
            b.ToTable("Tasks");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.ActivityId).HasMaxLength(128);
            b.Property(x => x.ActivityType).HasMaxLength(128);
            b.Property(x => x.Kind).HasMaxLength(32);
            b.Property(x => x.Title).HasMaxLength(400);
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.Role).HasMaxLength(64);
            b.Property(x => x.Status).HasMaxLength(32);
            b.Property(x => x.Outcome).HasMaxLength(64);
            b.Property(x => x.CompletedBy).HasMaxLength(128);
            b.Property(x => x.Comment).HasMaxLength(4000);
            b.Property(x => x.TimeLimitDays).HasPrecision(9, 3);
            b.HasIndex(x => new { x.UnitCode, x.Status, x.CreatedAt });
            b.HasIndex(x => x.DossierId);
            b.HasOne<Dossier>().WithMany().HasForeignKey(x => x.DossierId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<JournalEntry>(b =>
        {
            b.ToTable("Journal");
            b.HasKey(x => new { x.DossierId, x.Sequence });
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.Type).HasMaxLength(64);
            b.Property(x => x.DefinitionVersionId).HasMaxLength(160);
            b.Property(x => x.ActivityId).HasMaxLength(128);
            b.Property(x => x.ActivityType).HasMaxLength(128);
            b.Property(x => x.ActivityName).HasMaxLength(400);
            b.Property(x => x.TaskId).HasMaxLength(64);
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.Actor).HasMaxLength(128);
            b.Property(x => x.Outcome).HasMaxLength(64);
            b.Property(x => x.Comment).HasMaxLength(4000);
            b.HasIndex(x => x.Timestamp);
            b.HasOne<Dossier>().WithMany().HasForeignKey(x => x.DossierId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<IdempotencyRecord>(b =>
        {
            b.ToTable("IdempotencyRecords");
            b.HasKey(x => new { x.Scope, x.Key });
            b.Property(x => x.Scope).HasMaxLength(128);
            b.Property(x => x.Key).HasMaxLength(128);
            b.Property(x => x.RequestFingerprint).HasMaxLength(128);
            b.Property(x => x.ETag).HasMaxLength(64);
            b.Property(x => x.Location).HasMaxLength(400);
        });

        ConfigureMigrations(modelBuilder);
        ConfigureTime(modelBuilder);
        ConfigureReporting(modelBuilder);
        ConfigurePeople(modelBuilder);
        ConfigureOffPath(modelBuilder);
        ConfigureOutreach(modelBuilder);

        modelBuilder.Entity<ReceiptCounter>(b =>
        {
            b.ToTable("ReceiptCounters");
            b.HasKey(x => new { x.UnitCode, x.Day });
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.Day).HasMaxLength(8);
            b.Property(x => x.LastNumber).IsConcurrencyToken();
        });

        // The rows a state change attaches, changes or adds tell EF of each change (NotifyingRow), so
        // it keeps and compares no snapshot of them. Not a column or an index: no migration.
        foreach (var row in modelBuilder.Model.GetEntityTypes().Where(t => typeof(NotifyingRow).IsAssignableFrom(t.ClrType)))
        {
            row.SetChangeTrackingStrategy(ChangeTrackingStrategy.ChangingAndChangedNotifications);
        }
    }

    private static void ConfigureTime(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Dossier>(b =>
        {
            b.Property(x => x.Verdict).HasMaxLength(16);
            b.HasIndex(x => new { x.Status, x.DueAt });
        });
        modelBuilder.Entity<DossierTask>(b => b.Property(x => x.Verdict).HasMaxLength(16));

        modelBuilder.Entity<CalendarVersion>(b =>
        {
            b.ToTable("CalendarVersions");
            b.HasKey(x => x.Version);
            b.Property(x => x.Version).ValueGeneratedNever();
            b.Property(x => x.CreatedBy).HasMaxLength(128);
            b.Property(x => x.Comment).HasMaxLength(2000);
        });

        modelBuilder.Entity<Deadline>(b =>
        {
            b.ToTable("Deadlines");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.TaskId).HasMaxLength(64);
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.Kind).HasMaxLength(16);
            b.Property(x => x.Status).HasMaxLength(16).IsConcurrencyToken();
            b.HasIndex(x => new { x.Status, x.FireAt });
            b.HasIndex(x => x.DossierId);
        });

        modelBuilder.Entity<Notification>(b =>
        {
            b.ToTable("Notifications");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.DeadlineId).HasMaxLength(64);
            b.Property(x => x.Kind).HasMaxLength(16);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.TaskId).HasMaxLength(64);
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.Title).HasMaxLength(400);
            b.HasIndex(x => x.DeadlineId).IsUnique();
            b.HasIndex(x => new { x.UnitCode, x.CreatedAt });
            b.HasIndex(x => x.TaskId);
        });
    }

    /// <summary>Covering indexes of the period report's range queries (migration ReportingIndexes).</summary>
    private static void ConfigureReporting(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Dossier>(b =>
        {
            b.HasIndex(x => new { x.ReceivedAt, x.ReceivingUnit, x.FieldCode, x.Channel }).HasDatabaseName("IX_Dossiers_Report_Received");
            b.HasIndex(x => new { x.ResultReadyAt, x.ReceivedAt, x.ReceivingUnit, x.FieldCode, x.Verdict }).HasDatabaseName("IX_Dossiers_Report_Resolved");
            b.HasIndex(x => new { x.StoppedAt, x.ReceivedAt, x.ReceivingUnit, x.FieldCode, x.StopKind, x.Channel }).HasDatabaseName("IX_Dossiers_Report_Stopped");
            b.HasIndex(x => new { x.ResultReadyAt, x.StoppedAt, x.ReceivedAt, x.ReceivingUnit, x.FieldCode, x.AppointmentAt }).HasDatabaseName("IX_Dossiers_Report_Running");
        });

    /// <summary>Units as dated data, people, who holds a task, who did each act (migration People).</summary>
    private static void ConfigurePeople(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<DossierTask>(b =>
        {
            b.Property(x => x.CompletedById).HasMaxLength(200);
            b.Property(x => x.AssigneeId).HasMaxLength(200);
            b.Property(x => x.AssigneeName).HasMaxLength(200);
            b.Property(x => x.AssignedVia).HasMaxLength(16);
            b.Property(x => x.Priority).HasMaxLength(16);

            // "Mine": an officer's open tasks; "the unit's queue": open tasks nobody holds, oldest first.
            b.HasIndex(x => new { x.AssigneeId, x.Status, x.CreatedAt }).HasDatabaseName("IX_Tasks_Assignee");
            b.HasIndex(x => new { x.UnitCode, x.AssigneeId, x.Status, x.QueuedSince }).HasDatabaseName("IX_Tasks_Queue");
        });

        modelBuilder.Entity<JournalEntry>(b =>
        {
            b.Property(x => x.ActorId).HasMaxLength(200);
            b.Property(x => x.ActorName).HasMaxLength(200);
            b.Property(x => x.ActedForUnit).HasMaxLength(64);
        });

        modelBuilder.Entity<MigrationPlan>(b =>
        {
            b.Property(x => x.CreatedById).HasMaxLength(200);
            b.Property(x => x.ExecutedById).HasMaxLength(200);
        });

        modelBuilder.Entity<OrgUnit>(b =>
        {
            b.ToTable("Units");
            b.HasKey(x => x.Code);
            b.Property(x => x.Code).HasMaxLength(64);
            b.Property(x => x.Name).HasMaxLength(400);
            b.Property(x => x.Level).HasMaxLength(32);
            b.Property(x => x.ParentCode).HasMaxLength(64);
            b.Property(x => x.SuccessorCode).HasMaxLength(64);
            b.HasIndex(x => x.ParentCode);
        });

        modelBuilder.Entity<OrgUnitLeader>(b =>
        {
            b.ToTable("UnitLeaders");
            b.HasKey(x => new { x.UnitCode, x.PersonId });
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.PersonId).HasMaxLength(200);
            b.HasIndex(x => x.PersonId);
            b.HasOne<OrgUnit>().WithMany().HasForeignKey(x => x.UnitCode).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Person>(b =>
        {
            b.ToTable("People");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(200);
            b.Property(x => x.Name).HasMaxLength(200);
            b.Property(x => x.Kind).HasMaxLength(16);
            b.Property(x => x.Role).HasMaxLength(32);
        });

        modelBuilder.Entity<PersonUnit>(b =>
        {
            b.ToTable("PersonUnits");
            b.HasKey(x => new { x.PersonId, x.UnitCode });
            b.Property(x => x.PersonId).HasMaxLength(200);
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.HasIndex(x => x.UnitCode);
            b.HasOne<Person>().WithMany().HasForeignKey(x => x.PersonId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditEntry>(b =>
        {
            b.ToTable("Audit");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.Action).HasMaxLength(64);
            b.Property(x => x.Subject).HasMaxLength(400);
            b.Property(x => x.ActorId).HasMaxLength(200);
            b.Property(x => x.ActorName).HasMaxLength(200);
            b.Property(x => x.ActedForUnit).HasMaxLength(64);
            b.HasIndex(x => x.At);
            b.HasIndex(x => new { x.Action, x.At });
        });
    }

    /// <summary>Stop kinds, late entries and history imports (migration OffPathLateEntryImport).</summary>
    private static void ConfigureOffPath(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Dossier>(b => b.Property(x => x.StopKind).HasMaxLength(32));
        modelBuilder.Entity<JournalEntry>(b =>
        {
            b.Property(x => x.RecordedBy).HasMaxLength(128);
            b.Property(x => x.EntryMode).HasMaxLength(16);
            b.HasIndex(x => new { x.EntryMode, x.Timestamp }).HasDatabaseName("IX_Journal_EntryMode_Timestamp");
        });

        modelBuilder.Entity<ImportRun>(b =>
        {
            b.ToTable("ImportRuns");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.FileName).HasMaxLength(400);
            b.Property(x => x.FilePath).HasMaxLength(1000);
            b.Property(x => x.Status).HasMaxLength(32);
            b.Property(x => x.CreatedBy).HasMaxLength(128);
            b.Property(x => x.Error).HasMaxLength(4000);
        });

        modelBuilder.Entity<ImportLineResult>(b =>
        {
            b.ToTable("ImportLineResults");
            b.HasKey(x => new { x.RunId, x.LineNumber });
            b.Property(x => x.RunId).HasMaxLength(64);
            b.Property(x => x.SourceRef).HasMaxLength(128);
            b.Property(x => x.Outcome).HasMaxLength(32);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.ReceiptCode).HasMaxLength(64);
            b.Property(x => x.Detail).HasMaxLength(4000);
            b.HasIndex(x => new { x.RunId, x.Outcome, x.LineNumber });
            b.HasOne<ImportRun>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ImportedDossier>(b =>
        {
            b.ToTable("ImportedDossiers");
            b.HasKey(x => x.SourceRef);
            b.Property(x => x.SourceRef).HasMaxLength(128);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.Digest).HasMaxLength(64);
            b.Property(x => x.RunId).HasMaxLength(64);
            b.HasOne<Dossier>().WithMany().HasForeignKey(x => x.DossierId).OnDelete(DeleteBehavior.Restrict);
        });
    }

    /// <summary>The outbox, portal acknowledgements, ratings and the look-up secret (migration Outreach).</summary>
    private static void ConfigureOutreach(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Dossier>(b =>
        {
            b.Property(x => x.ApplicantEmail).HasMaxLength(200);
            b.Property(x => x.LookupSecretHash).HasMaxLength(64);
        });

        modelBuilder.Entity<OutboxMessage>(b =>
        {
            b.ToTable("OutboxMessages");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.Channel).HasMaxLength(16);
            b.Property(x => x.Kind).HasMaxLength(32);
            b.Property(x => x.OrderKey).HasMaxLength(128);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.NotificationId).HasMaxLength(64);
            b.Property(x => x.Recipient).HasMaxLength(200);
            b.Property(x => x.Subject).HasMaxLength(400);
            b.Property(x => x.Status).HasMaxLength(16);
            b.Property(x => x.ClaimedBy).HasMaxLength(64);
            b.Property(x => x.LastError).HasMaxLength(2000);
            b.Property(x => x.ReplayedBy).HasMaxLength(128);
            b.HasIndex(x => new { x.Status, x.NextAttemptAt });
            b.HasIndex(x => new { x.OrderKey, x.Position });
            b.HasIndex(x => x.DossierId);
            b.HasIndex(x => x.NotificationId);
        });

        modelBuilder.Entity<PortalAck>(b =>
        {
            b.ToTable("PortalAcks");
            b.HasKey(x => x.DossierId);
            b.Property(x => x.DossierId).HasMaxLength(64);
        });

        modelBuilder.Entity<ServiceRating>(b =>
        {
            b.ToTable("Ratings");
            b.HasKey(x => x.DossierId);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.ReceiptCode).HasMaxLength(64);
            b.Property(x => x.UnitCode).HasMaxLength(64);
            b.Property(x => x.FieldCode).HasMaxLength(64);
            b.Property(x => x.ProcedureCode).HasMaxLength(128);
            b.Property(x => x.Comment).HasMaxLength(2000);
            b.HasIndex(x => x.RatedAt);
            b.HasOne<Dossier>().WithMany().HasForeignKey(x => x.DossierId).OnDelete(DeleteBehavior.Restrict);
        });
    }

    private static void ConfigureMigrations(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<MigrationPlan>(b =>
        {
            b.ToTable("MigrationPlans");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.ProcedureCode).HasMaxLength(128);
            b.Property(x => x.SourceVersionsJson).HasMaxLength(2000);
            b.Property(x => x.TargetVersionId).HasMaxLength(160);
            b.Property(x => x.TimePolicy).HasMaxLength(32);
            b.Property(x => x.Status).HasMaxLength(32);
            b.Property(x => x.CreatedBy).HasMaxLength(128);
            b.Property(x => x.ExecutedBy).HasMaxLength(128);
            b.HasIndex(x => x.ProcedureCode);
        });

        modelBuilder.Entity<MigrationResult>(b =>
        {
            b.ToTable("MigrationResults");
            b.HasKey(x => new { x.PlanId, x.DossierId });
            b.Property(x => x.PlanId).HasMaxLength(64);
            b.Property(x => x.DossierId).HasMaxLength(64);
            b.Property(x => x.Outcome).HasMaxLength(32);
            b.Property(x => x.Reason).HasMaxLength(4000);
            b.HasOne<MigrationPlan>().WithMany().HasForeignKey(x => x.PlanId).OnDelete(DeleteBehavior.Cascade);
        });
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
