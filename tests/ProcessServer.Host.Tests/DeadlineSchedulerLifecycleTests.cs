using System.Diagnostics;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Many servers in one process, each with its Quartz scheduler, start and stop cleanly one after another.</summary>
public sealed class DeadlineSchedulerLifecycleTests
{
    [Fact]
    public async Task Servers_created_and_disposed_in_quick_succession_stop_their_scheduler_within_seconds()
    {
        for (var i = 0; i < 10; i++)
        {
            using var database = new TempDatabase();
            var clock = new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
            var app = new ServerApp(database.DatabaseFile, clock);
            await ReceiveAsync(app, "land-first-certificate");
            clock.Advance(TimeSpan.FromDays(4));
            await Task.Delay(i % 5 * 50);

            var stopping = Stopwatch.StartNew();
            await app.DisposeAsync();
            stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), $"server {i} stops without waiting out a stuck sweep");
        }
    }
}
