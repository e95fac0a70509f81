using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// The real server as an operator starts it: <c>dotnet ProcessServer.Host.dll</c> in its own process,
/// with no environment name (so Production) unless one is given, its content root a folder of the
/// test's choosing (where appsettings*.json are read from), and its SQLite file in that folder.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();

    private HostProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_errors, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Output => Read(_output);

    public string Errors => Read(_errors);

    /// <summary>
    /// Starts the server with <paramref name="contentRoot"/> as working directory and content root.
    /// The shipped appsettings.json is copied there first when the folder has none.
    /// </summary>
    public static HostProcess Start(string contentRoot, string? environment = null, params string[] arguments)
    {
        var bin = AppContext.BaseDirectory;
        if (!File.Exists(Path.Combine(contentRoot, "appsettings.json")))
        {
            File.Copy(Path.Combine(bin, "appsettings.json"), Path.Combine(contentRoot, "appsettings.json"));
        }

        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = contentRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(bin, "ProcessServer.Host.dll"), "--urls", $"http://127.0.0.1:{port}",
                     "--Database:ConnectionString", $"Data Source={Path.Combine(contentRoot, "processserver.db")}",
                     "--Serilog:WriteTo:1:Args:path", Path.Combine(contentRoot, "logs", "processserver-.json"),
                 }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        // The test runner's own environment name must not leak into the server's.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        if (environment is not null)
        {
            start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        }

        return new HostProcess(Process.Start(start)!, port);
    }

    /// <summary>A client on the server's port.</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>Waits for the process to end by itself; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until /health answers; throws with the server's output if it exits or does not come up.</summary>
    public async Task WaitUntilServingAsync()
    {
        using var client = Client();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{Errors}\n{Output}");
            }

            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The server did not answer /health within 90 s:\n{Errors}\n{Output}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
