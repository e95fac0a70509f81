using FluentAssertions;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>Waiting for background work (the outbox sender) to show its effect, bounded.</summary>
public static class Waits
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="because"/> after <paramref name="within"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string because, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, because);
            await Task.Delay(20);
        }
    }

    /// <summary>Polls a synchronous condition.</summary>
    public static Task UntilAsync(Func<bool> condition, string because, TimeSpan? within = null) =>
        UntilAsync(() => Task.FromResult(condition()), because, within);
}
