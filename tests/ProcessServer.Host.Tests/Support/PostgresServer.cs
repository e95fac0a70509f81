using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// A throw-away PostgreSQL cluster on a loopback port for the tests that prove the same model runs
/// on PostgreSQL, and for the PostgreSQL benchmark (linked into it). Debian's server packages are
/// installed when missing (the CI machine is fresh and runs as root); the cluster lives in a
/// temporary folder and is removed afterwards.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _folder;
    private readonly string _bin;

    /// <summary>A cluster for tests: fsync off, since what they check does not depend on surviving a power cut.</summary>
    public PostgresServer()
        : this(durable: false)
    {
    }

    private PostgresServer(bool durable)
    {
        _bin = FindBinaries() ?? Install();
        _folder = Path.Combine(Path.GetTempPath(), "processserver-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Port = FreePort();
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            Run("chown", $"postgres:postgres {_folder}");
        }

        RunAsOwner(asRoot, Path.Combine(_bin, "initdb"), $"-D {_folder}/data -U postgres -A trust -E UTF8 --no-instructions");
        // Room for three server processes with a connection pool and a Quartz scheduler each.
        RunAsOwner(asRoot, Path.Combine(_bin, "pg_ctl"),
            $"-D {_folder}/data -l {_folder}/server.log -w -t 60 -o \"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 {(durable ? "" : "-c fsync=off ")}-c max_connections=400\" start");
        AsRoot = asRoot;
    }

    public int Port { get; }

    /// <summary>The server's major version (the folder of its binaries).</summary>
    public string Version => Path.GetFileName(Path.GetDirectoryName(_bin)!);

    private bool AsRoot { get; }

    /// <summary>A cluster with fsync on, so a commit is as durable as on a real server (the benchmark measures what that costs).</summary>
    public static PostgresServer Durable() => new(durable: true);

    /// <summary>A connection string to a fresh database (EF Core's Migrate creates it).</summary>
    public string NewDatabase() => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=ps_{Guid.NewGuid():N};Pooling=true;Include Error Detail=true";

    public void Dispose()
    {
        try
        {
            RunAsOwner(AsRoot, Path.Combine(_bin, "pg_ctl"), $"-D {_folder}/data -m immediate stop");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
            : null;

    private static string Install()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("PostgreSQL server binaries are missing; install them with: sudo apt-get install -y postgresql");
        }

        Run("apt-get", "update -q");
        Run("apt-get", "install -y -q postgresql");
        return FindBinaries() ?? throw new InvalidOperationException("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql");
    }

    private static void RunAsOwner(bool asRoot, string program, string arguments)
    {
        // initdb and the server refuse to run as root.
        if (asRoot)
        {
            Run("runuser", $"-u postgres -- {program} {arguments}");
        }
        else
        {
            Run(program, arguments);
        }
    }

    private static void Run(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} failed ({(process.HasExited ? process.ExitCode : -1)}): {error.Result}{output.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
