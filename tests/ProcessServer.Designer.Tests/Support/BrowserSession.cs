using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ProcessServer.Designer.Tests.Support;

/// <summary>
/// One server and one headless Chromium shared by the tests of a class (each WebAssembly start costs
/// seconds on a 2-core machine): browser/designer.mjs in session mode runs one scenario per request,
/// each in a fresh browser context, with the same screenshots and checks as <see cref="Browser.RunAsync"/>.
/// </summary>
public sealed class BrowserSession : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(6);
    private Process? _node;
    private bool _disposed;

    public StudioServer Server { get; } = new();

    public Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("PROCESSSERVER_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {chromium}. Install Debian's package (apt-get install -y chromium; the test project's build does this as root) or set PROCESSSERVER_CHROMIUM.");
        }

        var driver = Path.Combine(Browser.ProjectFolder, "browser");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = driver,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(Path.Combine(driver, "designer.mjs"));
        start.ArgumentList.Add("--session");
        start.Environment["PROCESSSERVER_CHROMIUM"] = chromium;
        _node = Process.Start(start) ?? throw new InvalidOperationException("node could not be started; install Node.js.");
        _node.ErrorDataReceived += (_, _) => { };
        _node.BeginErrorReadLine();
        return Task.CompletedTask;
    }

    /// <summary>Runs a scenario and returns its result; throws with the browser's output when it fails.</summary>
    public async Task<JsonObject> RunAsync(string scenario, ITestOutputHelper output, object arguments)
    {
        var shots = Browser.ShotsFolder(scenario);
        var json = JsonSerializer.SerializeToNode(arguments)!.AsObject();
        json["baseUrl"] = Server.BaseUrl;
        json["shots"] = shots;
        json["apiKey"] ??= Keys.Admin;

        // xunit runs the tests of one class one after another, so one scenario runs at a time.
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true);
        }

        var node = _node ?? throw new InvalidOperationException("The browser session is not started.");
        var watch = Stopwatch.StartNew();
        await node.StandardInput.WriteLineAsync(new JsonObject { ["scenario"] = scenario, ["args"] = json }.ToJsonString());
        await node.StandardInput.FlushAsync();

        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(ScenarioTimeout);
        while (true)
        {
            string? line;
            try
            {
                line = await node.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Browser scenario '{scenario}' did not finish within {ScenarioTimeout}; screenshots in {shots}.\n{string.Join('\n', lines)}");
            }

            if (line is null || line == "END")
            {
                break;
            }

            lines.Add(line);
        }

        output.WriteLine($"Browser scenario '{scenario}' took {watch.Elapsed.TotalSeconds:0.0} s; screenshots in {shots}");
        var resultLine = lines.LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"Browser scenario '{scenario}' failed; screenshots in {shots}.\n{string.Join('\n', lines)}");
        return Browser.ReadResult(scenario, resultLine, output);
    }

    public async Task DisposeAsync()
    {
        if (_node is { HasExited: false } node)
        {
            try
            {
                // Closing stdin ends the session: the browser closes and node exits.
                node.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await node.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // Dispose below ends it.
            }
        }

        Dispose();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_node is { } node)
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            node.Dispose();
        }

        Server.Dispose();
    }
}
