using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>
/// Runs node/browser.mjs: playwright-core driving Debian's headless Chromium. Screenshots go to
/// TestResults/outreach-screenshots/&lt;scenario&gt;/ in the test project (kept for a look after a run).
/// </summary>
public static class Browser
{
    /// <summary>Debian's Chromium, or PROCESSSERVER_CHROMIUM.</summary>
    public static string Chromium => Environment.GetEnvironmentVariable("PROCESSSERVER_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";

    /// <summary>Where a scenario's screenshots go.</summary>
    public static string ShotsFolder(string scenario) => Path.Combine(NodeTools.ProjectFolder, "TestResults", "outreach-screenshots", scenario);

    /// <summary>Runs the steps; returns one result per step.</summary>
    public static async Task<JsonArray> RunAsync(string scenario, IEnumerable<object> steps)
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"Chromium not found at {Chromium}. Install Debian's package (apt-get install -y chromium; the test project's build does this as root) or set PROCESSSERVER_CHROMIUM.");
        }

        NodeTools.Require("playwright-core");
        NodeTools.Require("jsqr");
        var shots = ShotsFolder(scenario);
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true);
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = NodeTools.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("browser.mjs");
        start.ArgumentList.Add(JsonSerializer.Serialize(new { chromium = Chromium, shots, steps }));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started; install Node.js.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Browser scenario '{scenario}' did not finish within 5 minutes.\n{await stdout}\n{await stderr}");
        }

        var text = await stdout;
        var line = text.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"Browser scenario '{scenario}' failed (exit {process.ExitCode}); screenshots in {shots}.\n{text}\n{await stderr}");
        }

        return JsonNode.Parse(line["RESULT ".Length..])!.AsArray();
    }
}
