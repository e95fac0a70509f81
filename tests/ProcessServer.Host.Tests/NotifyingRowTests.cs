using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence.Entities;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Issue 14: the rows a state change attaches, changes or adds tell EF of each change as it is made
/// (<see cref="NotifyingRow"/>) instead of being compared with a snapshot; EF must still write
/// exactly what changed, and a copy of a tracked row must not speak for the row.
/// </summary>
public sealed class NotifyingRowTests : ServerTest
{
    [Fact]
    public async Task A_tracked_row_changed_through_a_property_saves_only_that_column_and_its_copy_tells_the_context_nothing()
    {
        var received = await ReceiveAsync(App, "birth-registration");
        var id = received["id"]!.GetValue<string>();

        Dossier tracked;
        await using (var store = App.OpenStore())
        {
            store.Model.GetEntityTypes().Where(t => t.ClrType.IsAssignableTo(typeof(NotifyingRow)))
                .Select(t => (t.ClrType.Name, t.GetChangeTrackingStrategy()))
                .Should().BeEquivalentTo(new[] { nameof(Dossier), nameof(DossierTask), nameof(Deadline), nameof(JournalEntry), nameof(IdempotencyRecord), nameof(OutboxMessage) }
                    .Select(name => (name, ChangeTrackingStrategy.ChangingAndChangedNotifications)));

            tracked = await store.Dossiers.SingleAsync(d => d.Id == id);
            var copy = tracked.Copy();
            copy.Status = "Copied";
            copy.ApplicantPhone = "0911111111";
            store.Entry(tracked).State.Should().Be(EntityState.Unchanged, "a change of the copy is not a change of the tracked row");

            tracked.ApplicantPhone = tracked.ApplicantPhone;
            store.Entry(tracked).State.Should().Be(EntityState.Unchanged, "setting a property to the value it has changes nothing");

            tracked.ApplicantPhone = "0900000000";
            store.Entry(tracked).State.Should().Be(EntityState.Modified);
            store.Entry(tracked).Properties.Where(p => p.IsModified).Select(p => p.Metadata.Name).Should().Equal(nameof(Dossier.ApplicantPhone));
            await store.SaveChangesAsync();
            store.Entry(tracked).State.Should().Be(EntityState.Unchanged);
        }

        // The context is gone: a change of the row goes nowhere (it does not throw), and another
        // context can track the row.
        tracked.FieldCode += "-after";
        await using (var store = App.OpenStore())
        {
            var stored = await store.Dossiers.AsNoTracking().SingleAsync(d => d.Id == id);
            stored.ApplicantPhone.Should().Be("0900000000");
            stored.Status.Should().NotBe("Copied");

            store.Dossiers.Attach(tracked);
            tracked.ApplicantPhone = "0922222222";
            store.Entry(tracked).Properties.Where(p => p.IsModified).Select(p => p.Metadata.Name).Should().Equal(nameof(Dossier.ApplicantPhone));
            await store.SaveChangesAsync();
        }

        await using (var store = App.OpenStore())
        {
            (await store.Dossiers.AsNoTracking().SingleAsync(d => d.Id == id)).ApplicantPhone.Should().Be("0922222222");
        }
    }
}
