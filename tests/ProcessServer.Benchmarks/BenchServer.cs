using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

/// <summary>
/// The real server as its own process on a loopback port, as every benchmark drives it: Release
/// build next to the benchmark (or another build's folder), Development keys, warnings and errors
/// only on the console, its JSON log under the work folder. Ready once /health answers 200.
/// </summary>
internal sealed class BenchServer : IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private BenchServer(Process process, HttpClient http)
    {
        Process = process;
        Http = http;
    }

    /// <summary>The server process.</summary>
    public Process Process { get; }

    /// <summary>A client addressed to the server (no key set unless one was given).</summary>
    public HttpClient Http { get; }

    /// <summary>From process start to the first /health 200.</summary>
    public TimeSpan StartUp { get; private set; }

    /// <summary>The connection string of a SQLite file.</summary>
    public static string Sqlite(string database) => $"Data Source={database}";

    /// <summary>Starts a server and waits until it is ready.</summary>
    /// <param name="work">Folder for its log.</param>
    /// <param name="connectionString">Its store (<see cref="Sqlite"/> for a file; PostgreSQL with <c>--Database:Provider Postgres</c> in <paramref name="settings"/>).</param>
    /// <param name="settings">More command-line settings, as name/value pairs.</param>
    /// <param name="hostFolder">The build to run, when not the one next to the benchmark.</param>
    /// <param name="apiKey">A key every request carries unless it sets its own.</param>
    /// <param name="label">How its console lines are marked.</param>
    public static async Task<BenchServer> StartAsync(string work, string connectionString, IEnumerable<string>? settings = null, string? hostFolder = null,
        string? apiKey = null, string label = "server")
    {
        var folder = hostFolder ?? AppContext.BaseDirectory;
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(folder, "ProcessServer.Host.dll"), "--urls", $"http://127.0.0.1:{port}",
                     "--Database:ConnectionString", connectionString,
                     "--Serilog:WriteTo:1:Args:path", Path.Combine(work, "logs", "bench-.json"),
                 }.Concat(settings ?? []))
        {
            start.ArgumentList.Add(arg);
        }

        // The benchmarks use the development keys, which only a Development server accepts.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        start.Environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Warning";
        if (Environment.GetEnvironmentVariable("PROCESSSERVER_BENCH_SQL") is not null)
        {
            // Every SQL command with its duration, in the server's JSON log under the work folder.
            start.Environment["Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Command"] = "Information";
        }

        var watch = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{label}] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{label}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        var server = new BenchServer(process, http);
        try
        {
            while (watch.Elapsed < StartTimeout)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{label} exited with {process.ExitCode} while starting");
                }

                try
                {
                    if ((await http.GetAsync("/health")).IsSuccessStatusCode)
                    {
                        // Polled often: the deadlines benchmark reports the start-up time.
                        server.StartUp = watch.Elapsed;
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(20);
            }

            throw new TimeoutException($"{label} did not answer /health within {StartTimeout.TotalSeconds:0} s");
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.WaitForExit();
        Process.Dispose();
        Http.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        await Process.WaitForExitAsync();
        Process.Dispose();
        Http.Dispose();
    }

    /// <summary>A loopback port nobody listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
