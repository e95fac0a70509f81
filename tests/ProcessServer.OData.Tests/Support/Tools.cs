using System.Diagnostics;

namespace ProcessServer.OData.Tests.Support;

/// <summary>
/// The outside tools the tests use, installed by the test run itself on a fresh machine: the Node
/// packages of client/ (npm ci) and xmllint (Debian libxml2-utils, installed with apt-get as root when missing).
/// </summary>
public static class Tools
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _npmReady;
    private static bool _xmllintReady;

    /// <summary>The client/ folder in the source tree.</summary>
    public static string ClientFolder { get; } = FindClientFolder();

    public static async Task EnsureNodeClientAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (!_npmReady && !File.Exists(Path.Combine(ClientFolder, "node_modules", "ts-odatajs", "package.json")))
            {
                var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], ClientFolder);
                if (code != 0)
                {
                    throw new InvalidOperationException("npm ci failed in " + ClientFolder + ":\n" + output);
                }
            }

            _npmReady = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task EnsureXmllintAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (!_xmllintReady && (await RunAsync("sh", ["-c", "command -v xmllint"], ClientFolder)).Code != 0)
            {
                var (code, output) = await RunAsync("sh", ["-c", "apt-get install -y libxml2-utils || (apt-get update && apt-get install -y libxml2-utils)"], ClientFolder);
                if (code != 0)
                {
                    throw new InvalidOperationException("xmllint is missing and apt-get could not install libxml2-utils:\n" + output);
                }
            }

            _xmllintReady = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, string folder)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindClientFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "ProcessServer.OData.Tests", "client");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/ProcessServer.OData.Tests/client not found above " + AppContext.BaseDirectory);
    }
}
