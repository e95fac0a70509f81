using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ProcessServer.Designer.Tests.Support;

/// <summary>
/// Runs a scenario of browser/designer.mjs: playwright-core driving Debian's headless Chromium
/// against the real Elsa Studio bundle served by the test's server. Screenshots of every stage go to
/// TestResults/designer-screenshots/&lt;scenario&gt;/ in the test project (kept, so a failed run can be
/// looked at; the CI uploads TestResults).
/// </summary>
public static class Browser
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(8);

    /// <summary>The test project folder (holds browser/ and TestResults/).</summary>
    public static string ProjectFolder { get; } = FindProjectFolder();

    /// <summary>Where the screenshots of a scenario go.</summary>
    public static string ShotsFolder(string scenario) => Path.Combine(ProjectFolder, "TestResults", "designer-screenshots", scenario);

    /// <summary>Runs a scenario and returns its result object; throws with the browser's output when it fails.</summary>
    public static async Task<JsonObject> RunAsync(string scenario, StudioServer server, ITestOutputHelper output, object arguments)
    {
        var chromium = Environment.GetEnvironmentVariable("PROCESSSERVER_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {chromium}. Install Debian's package (apt-get install -y chromium; the test project's build does this as root) or set PROCESSSERVER_CHROMIUM.");
        }

        var driver = Path.Combine(ProjectFolder, "browser");
        if (!Directory.Exists(Path.Combine(driver, "node_modules", "playwright-core")))
        {
            throw new InvalidOperationException($"playwright-core is not installed in {driver}; run 'npm ci' there (the test project's build does this).");
        }

        var shots = ShotsFolder(scenario);
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true);
        }

        var json = JsonSerializer.SerializeToNode(arguments)!.AsObject();
        json["baseUrl"] = server.BaseUrl;
        json["chromium"] = chromium;
        json["shots"] = shots;
        json["apiKey"] ??= Keys.Admin;

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = driver,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(driver, "designer.mjs"));
        start.ArgumentList.Add(scenario);
        start.ArgumentList.Add(json.ToJsonString());

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started; install Node.js.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScenarioTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Browser scenario '{scenario}' did not finish within {ScenarioTimeout}; screenshots in {shots}.\n{await stdout}\n{await stderr}");
        }

        var text = await stdout;
        var errors = await stderr;
        output.WriteLine($"Browser scenario '{scenario}' took {watch.Elapsed.TotalSeconds:0.0} s; screenshots in {shots}");
        var line = text.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"Browser scenario '{scenario}' failed (exit {process.ExitCode}); screenshots in {shots}.\n{text}\n{errors}");
        }

        return ReadResult(scenario, line, output);
    }

    /// <summary>
    /// The scenario's result from its <c>RESULT</c> line, with its stage timings written to the
    /// test output; fails when the page's Content-Security-Policy blocked anything.
    /// </summary>
    internal static JsonObject ReadResult(string scenario, string resultLine, ITestOutputHelper output)
    {
        var result = JsonNode.Parse(resultLine["RESULT ".Length..])!.AsObject();
        output.WriteLine($"Stage timings (ms since start): {result["timings"]?.ToJsonString()}");

        // The designer pages carry a Content-Security-Policy; anything it blocks shows up as a
        // console error, and the designer must work without any such refusal.
        var refused = result["log"]?.AsArray().Select(l => l!.GetValue<string>())
            .Where(l => l.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)).ToList() ?? [];
        if (refused.Count > 0)
        {
            throw new InvalidOperationException($"Browser scenario '{scenario}': the Content-Security-Policy blocked something the designer needs:\n{string.Join("\n", refused)}");
        }

        return result;
    }

    private static string FindProjectFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ProcessServer.Designer.Tests.csproj")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"ProcessServer.Designer.Tests.csproj not found above {AppContext.BaseDirectory}");
    }
}
