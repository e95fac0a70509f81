using System.Text;
using FluentAssertions;
using ProcessServer.Host.Features.Views;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Journal entries are stored with their view's JSON (<see cref="JournalEntry.ViewJson"/>), and
/// answers write those bytes as they are. So the journal view's JSON is a stored
/// format: this pins it for an entry with every field set. And instants that views show from a
/// row are shown as PostgreSQL keeps them, so an answer built in memory matches the view read back.
/// </summary>
public sealed class JournalViewFormatTests
{
    // If this test fails, the journal view's JSON changed. Entries already stored carry the old
    // JSON, and answers would show them unlike the dossier view: add a migration that sets the
    // Journal table's ViewJson to NULL (entries without it are rendered from their columns), then
    // update the expected text here.
    private const string Expected =
        """{"sequence":7,"timestamp":"2026-03-02T01:02:03.456789Z","type":"TaskCompleted","activityId":"sign","activityName":"Ký duyệt","taskId":"t-1","unitCode":"UBND-XA","actor":"dev-commune-key","outcome":"Done","comment":"đã ký \"bản chính\" <b> & \\","startedAt":"2026-03-01T08:00:00Z","completedAt":"2026-03-02T01:02:03.456789Z","data":{"fee":12000,"note":"a"},"actorId":"sub-1","actorName":"Nguyễn Văn A","actedForUnit":"UBND-XA","recordedAt":"2026-03-02T01:02:04Z","recordedBy":"dev-commune-key","entryMode":"BackDated"}""";

    [Fact]
    public void An_entry_with_every_field_is_written_in_the_stored_format()
    {
        var entry = new JournalEntry
        {
            DossierId = "d-1",
            Sequence = 7,
            Timestamp = new DateTime(2026, 3, 2, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567891),
            Type = "TaskCompleted",
            DefinitionVersionId = "birth-registration:v1",
            ActivityId = "sign",
            ActivityType = "ProcessServer.Step",
            ActivityName = "Ký duyệt",
            TaskId = "t-1",
            UnitCode = "UBND-XA",
            Actor = "dev-commune-key",
            Outcome = "Done",
            Comment = "đã ký \"bản chính\" <b> & \\",
            StartedAt = new DateTime(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc),
            CompletedAt = new DateTime(2026, 3, 2, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567891),
            DataJson = """{"fee":12000,"note":"a"}""",
            ActorId = "sub-1",
            ActorName = "Nguyễn Văn A",
            ActedForUnit = "UBND-XA",
            RecordedAt = new DateTime(2026, 3, 2, 1, 2, 4, DateTimeKind.Utc),
            RecordedBy = "dev-commune-key",
            EntryMode = EntryModes.BackDated,
        };

        Encoding.UTF8.GetString(SerializedEntry.Render(entry)).Should().Be(Expected);
    }

    [Fact]
    public void A_dossier_rows_instants_are_shown_to_the_microsecond_as_postgresql_keeps_them()
    {
        // A transition's answer is built from the row in memory (ticks of 100 ns); the dossier view
        // on PostgreSQL from the row read back (microseconds). Both must show the same instant.
        var instant = new DateTime(2026, 3, 2, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567891);
        var dossier = new Dossier
        {
            Id = "d-1", ReceiptCode = "HCC-1", ProcedureCode = "birth-registration", DefinitionVersionId = "v", Channel = "direct", ReceivingUnit = "HCC",
            ApplicantName = "A", ApplicantIdNumber = "0", Status = "Returned", NationalStatusCode = 10, StateJson = new ProcessServer.Engine.Execution.DossierState().ToJson(),
            ReceivedAt = instant, ResultReadyAt = instant, ReturnedAt = instant, StoppedAt = instant,
        };

        var view = DossierViews.Build(dossier, "Đăng ký khai sinh", [], instant);

        var shown = new DateTime(2026, 3, 2, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567890);
        (view.ReceivedAt, view.ResultReadyAt, view.ReturnedAt, view.StoppedAt).Should().Be((shown, shown, shown, shown));
    }

    [Fact]
    public void An_entry_with_a_stored_view_is_written_as_those_bytes_not_rendered_again()
    {
        var entry = new JournalEntry { DossierId = "d-1", Sequence = 3, Type = "TaskCompleted", DefinitionVersionId = "v", Actor = "a", ViewJson = Encoding.UTF8.GetBytes("""{"sequence":3,"kept":true}""") };

        Encoding.UTF8.GetString(SerializedEntry.Of(entry).Json).Should().Be("""{"sequence":3,"kept":true}""");
    }
}
