using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>
/// The README's curl walk-through, run as written with bash, curl and node against the server on a
/// real loopback port. If the README and the API drift apart, this fails.
/// </summary>
public sealed partial class ReadmeWalkthroughTests : ServerTest
{
    [Fact]
    public async Task The_README_walk_through_runs_all_three_procedures_to_the_returned_result()
    {
        var port = FreePort();
        App.UseKestrel(port);
        App.StartServer();

        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"));
        // The walk-through and the versions example that continues it, up to the API reference.
        var section = readme[readme.IndexOf("## Walk-through", StringComparison.Ordinal)..readme.IndexOf("## What the API answers", StringComparison.Ordinal)];
        var script = "set -u\n" + string.Join("\n", BashBlock().Matches(section).Select(m => m.Groups[1].Value));
        script.Should().Contain("BASE=http://localhost:5080");
        script = script.Replace("BASE=http://localhost:5080", $"BASE=http://127.0.0.1:{port}", StringComparison.Ordinal);

        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var output = bash.StandardOutput.ReadToEndAsync();
        var errors = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();

        (await errors).Should().BeEmpty();
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Count(l => l == "Returned (national code 10), waiting at: []").Should().Be(3, await output);
        lines.Should().Contain("AwaitingPayment (national code 6), waiting at: [payment@HCC-BINHSON]");
        lines.Should().Contain(l => l.StartsWith("HCC-BINHSON-250303-0001 Received on land-first-certificate v1", StringComparison.Ordinal));
        lines.Should().Contain(l => l.Contains("taxNotice by tax-quangngai: Done", StringComparison.Ordinal));

        // One officer: claim, then complete.
        lines.Should().Contain("1 in the queue");
        lines.Should().Contain("held by land-registry-binhson at Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn");
        lines.Should().Contain("priority High");
        lines.Should().Contain(l => l.StartsWith("[\"", StringComparison.Ordinal) && l.EndsWith("(High)\"]", StringComparison.Ordinal));
        lines.Should().ContainInOrder(
            "TaskCreated by counter-binhson for HCC-BINHSON",
            "TaskClaimed by land-registry-binhson for VPDKDD-BINHSON",
            "TaskPrioritySet by land-registry-binhson for VPDKDD-BINHSON",
            "TaskCompleted by land-registry-binhson for VPDKDD-BINHSON");

        // Versions, pinning and migration.
        lines.Should().Contain("version 2 published: true");
        lines.Should().Contain("in flight: v1");
        lines.Should().Contain("new: v2, check limit 4 days");
        lines.Should().Contain(l => l.EndsWith("blocked: active activity 'communeConfirm' (Confirm current use, origin, disputes and planning; post publicly) has no mapping and does not exist in v2; map it to a v2 activity", StringComparison.Ordinal));
        lines.Should().Contain(l => l.EndsWith("migrates: task communeConfirm → communeReview, task taxNotice → taxNotice", StringComparison.Ordinal));
        lines.Should().Contain("run: Running");
        lines.Should().Contain("migrated 2, blocked 0, already migrated 0", "the land dossier of the walk-through and the one the officer claimed are both on v1; " + await output);
        lines.Should().Contain(l => l.StartsWith("[\"admin: moved from version 1 to version 2", StringComparison.Ordinal));
        lines.Should().Contain("InProgress (national code 4), waiting at: [taxNotice@THUE-QUANGNGAI]");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ProcessServer.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ProcessServer.sln not found above the test folder");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
