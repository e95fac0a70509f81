using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;

namespace ProcessServer.Faults;

/// <summary>
/// The real server as a separate OS process: <c>dotnet ProcessServer.Host.dll</c> from this build's
/// output, on a loopback port, with its own SQLite file and its own keys. It can be killed with
/// SIGKILL at any moment and started again on the same file and port.
/// </summary>
public sealed class FaultHost : IAsyncDisposable
{
    private const int TailLines = 80;
    private readonly FaultLog _log;
    private readonly Queue<string> _tail = new();
    private Process? _process;

    private FaultHost(string name, string environment, FaultLog log, KeyRing keys)
    {
        _log = log;
        Name = name;
        Environment = environment;
        Keys = keys;
        Folder = Directory.CreateTempSubdirectory($"processserver-fault-{name}-").FullName;
        DatabaseFile = Path.Combine(Folder, "fault.db");
        Port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
    }

    public string Name { get; }

    /// <summary>ASP.NET Core environment the server runs in (Production unless a scenario needs otherwise).</summary>
    public string Environment { get; }

    public KeyRing Keys { get; }

    /// <summary>Content root of the server: its generated appsettings.json, the database and the logs.</summary>
    public string Folder { get; }

    public string DatabaseFile { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>How many times the process was started.</summary>
    public int Starts { get; private set; }

    /// <summary>
    /// Whether a failed scenario's server folder (database and logs) is kept for inspection: always
    /// in the fault program; in tests only with PROCESSSERVER_FAULT_KEEP=1, so CI leaves no databases behind.
    /// </summary>
    public static bool KeepFailedRuns { get; set; } = System.Environment.GetEnvironmentVariable("PROCESSSERVER_FAULT_KEEP") == "1";

    /// <summary>Set when the scenario failed: the folder is kept if <see cref="KeepFailedRuns"/>.</summary>
    public bool KeepFolder { get; set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Prepares a server: the host's own appsettings.json with the shipped units and fresh API keys
    /// (a configuration array cannot be replaced from the command line, only merged by index), plus
    /// <paramref name="configure"/>'s changes, written to the server's content root, where the server
    /// finds no appsettings.{Environment}.json: its keys are only these.
    /// </summary>
    public static FaultHost Create(string name, FaultLog log, string environment = "Production", Action<JsonObject>? configure = null)
    {
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!.AsObject();
        var server = settings["ProcessServer"]!.AsObject();

        // The shipped units (configuration data, kept with the development settings) unless the
        // base settings name some; the development keys are never copied.
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json")))!["ProcessServer"]!;
        var unitList = (server["Units"] ?? shipped["Units"])!.DeepClone().AsArray();
        server["Units"] = unitList;
        var units = unitList.Select(u => u!["Code"]!.GetValue<string>()).ToList();
        var keys = KeyRing.For(units);
        server["ApiKeys"] = keys.ToSettings();
        configure?.Invoke(settings);

        var host = new FaultHost(name, environment, log, keys);
        File.WriteAllText(Path.Combine(host.Folder, "appsettings.json"), settings.ToJsonString());
        return host;
    }

    /// <summary>Starts the process and waits until /health answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Launch();
        await WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken);
    }

    /// <summary>Starts the process without waiting for it to listen.</summary>
    public void Launch()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the server is already running");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "ProcessServer.Host.dll"),
                     "--contentRoot", Folder,
                     "--environment", Environment,
                     "--urls", BaseAddress.ToString().TrimEnd('/'),
                 })
        {
            start.ArgumentList.Add(arg);
        }

        // Nothing of the caller's environment may reconfigure the server under test.
        foreach (var variable in start.Environment.Keys.ToList())
        {
            if (variable.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || variable.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
                || variable.StartsWith("ProcessServer__", StringComparison.OrdinalIgnoreCase) || variable.StartsWith("Database__", StringComparison.OrdinalIgnoreCase)
                || variable.StartsWith("Serilog__", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(variable);
            }
        }

        start.Environment["Database__Provider"] = "Sqlite";
        start.Environment["Database__ConnectionString"] = $"Data Source={DatabaseFile}";
        start.Environment["Serilog__WriteTo__1__Args__path"] = Path.Combine(Folder, "logs", "server-.json");
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        start.Environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Warning";

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Starts++;
    }

    /// <summary>Polls /health until it answers 200; fails fast when the process exits.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with code {_process?.ExitCode} before answering /health:\n{OutputTail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Busy starting.
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"the server did not answer /health within {timeout.TotalSeconds:0} s:\n{OutputTail()}");
    }

    /// <summary>kill -9: SIGKILL, no shutdown hooks, no flushing; waits until the process is gone.</summary>
    public void Kill()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>A client of this server (no default key: requests carry their own).</summary>
    public HttpClient CreateClient(TimeSpan? timeout = null) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,

        // Fuzzed headers may carry any character; send them as UTF-8 instead of refusing them here.
        RequestHeaderEncodingSelector = (_, _) => System.Text.Encoding.UTF8,
    })
    {
        BaseAddress = BaseAddress,
        Timeout = timeout ?? TimeSpan.FromSeconds(60),
    };

    /// <summary>A context on the server's database file, for checks on the stored rows.</summary>
    public ProcessServerDbContext OpenStore()
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, new StoreOptions { Provider = StoreProvider.Sqlite, ConnectionString = $"Data Source={DatabaseFile}" });
        return new ProcessServerDbContext(builder.Options);
    }

    /// <summary>A raw connection on the server's database file.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        connection.Open();
        return connection;
    }

    /// <summary>The last lines the server wrote to its console.</summary>
    public string OutputTail()
    {
        lock (_tail)
        {
            return string.Join('\n', _tail);
        }
    }

    /// <summary>
    /// The last errors the server logged (its JSON log files), each cut to a few thousand characters:
    /// in CI the folder is not kept, so a failed scenario's output must carry the exceptions itself.
    /// </summary>
    public IReadOnlyList<string> LoggedErrors(int count = 5)
    {
        var folder = Path.Combine(Folder, "logs");
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var errors = new List<string>();
        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                while (reader.ReadLine() is { } line)
                {
                    if (line.Contains("\"Level\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"Level\":\"Fatal\"", StringComparison.Ordinal))
                    {
                        errors.Add(line.Length > 4000 ? line[..4000] + " …" : line);
                    }
                }
            }
            catch (IOException)
            {
                // A log the server still holds in a way that cannot be shared: the output tail remains.
            }
        }

        // The OData library logs refused queries as errors too; a 500 is the exception handler's
        // "unhandled exception", so those come first when there are any.
        var unhandled = errors.Where(e => e.Contains("nhandled exception", StringComparison.Ordinal)).ToList();
        var chosen = unhandled.Count > 0 ? unhandled : errors;
        return chosen.Count > count ? chosen[^count..] : chosen;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        SqliteConnection.ClearAllPools();
        if (KeepFolder)
        {
            foreach (var error in LoggedErrors())
            {
                _log.Line($"[{Name}] the server logged: {error}");
            }
        }

        if (KeepFolder && KeepFailedRuns)
        {
            _log.Line($"[{Name}] server folder kept for inspection: {Folder}");
            return;
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
                return;
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
            catch (UnauthorizedAccessException)
            {
                await Task.Delay(200);
            }
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
