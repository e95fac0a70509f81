using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests;

/// <summary>
/// EF Core's check for a context used by two operations at once costs an execution-context copy per
/// query and per row read, so the shipped server leaves it off; the test servers turn it on, so a
/// concurrent use of a context still fails the tests that exercise it.
/// </summary>
public sealed class StoreSettingsTests : ServerTest
{
    [Fact]
    public void EF_thread_safety_checks_are_off_by_default_and_on_when_the_setting_asks_for_them()
    {
        ChecksEnabled(new StoreOptions { ConnectionString = "Data Source=unused.db" }).Should().BeFalse();
        ChecksEnabled(new StoreOptions { ConnectionString = "Data Source=unused.db", ThreadSafetyChecks = true }).Should().BeTrue();
    }

    [Fact]
    public void The_test_servers_contexts_check_for_concurrent_use()
    {
        using var scope = App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();

        db.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()!.ThreadSafetyChecksEnabled.Should().BeTrue();
    }

    private static bool ChecksEnabled(StoreOptions options) =>
        StoreRegistration.Configure(new DbContextOptionsBuilder<ProcessServerDbContext>(), options).Options
            .FindExtension<CoreOptionsExtension>()!.ThreadSafetyChecksEnabled;
}
