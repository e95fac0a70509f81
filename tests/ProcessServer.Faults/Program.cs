using System.Globalization;
using ProcessServer.Faults;
using ProcessServer.Faults.Scenarios;

// The fault program: the scenarios of ProcessServer.Faults.Tests with bigger numbers. Each starts the
// real server as its own process (dotnet ProcessServer.Host.dll) on a loopback port with a fresh
// SQLite file, prints its figures and exits with 1 when it found a loss, a duplicate, a cross-unit
// access, a 5xx or another failure.
//   dotnet run -c Release --project tests/ProcessServer.Faults -- kill [cycles=55] [seed]
//   dotnet run -c Release --project tests/ProcessServer.Faults -- completions [rounds=20] [seed]   (over HTTP, then through the handler in process)
//   dotnet run -c Release --project tests/ProcessServer.Faults -- publishes [rounds=10] [seed]
//   dotnet run -c Release --project tests/ProcessServer.Faults -- definitions [mutations=20000] [seed] [max string=40000000] [max activities=10000] [first mutant=0]
//   dotnet run -c Release --project tests/ProcessServer.Faults -- requests [requests=20000] [seed]
//   dotnet run -c Release --project tests/ProcessServer.Faults -- access [seed]
//   dotnet run -c Release --project tests/ProcessServer.Faults -- all [seed]
var mode = args.Length > 0 ? args[0] : "all";
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
var log = FaultLog.Console;
FaultHost.KeepFailedRuns = true;
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");

var reports = new List<FaultReport>();
switch (mode)
{
    case "kill":
        reports.Add(await KillUnderLoad.RunAsync(new KillUnderLoad.Options(Arg(1, 55), Arg(2, FaultSeeds.Kill)), log));
        break;
    case "completions":
        reports.Add(await ConcurrentCompletions.RunAsync(new ConcurrentCompletions.Options([2, 8, 32], Arg(1, 20), Arg(2, FaultSeeds.Completions)), log));
        reports.Add(await ConcurrentCompletions.RunAsync(new ConcurrentCompletions.Options([2, 8, 32], Arg(1, 20), Arg(2, FaultSeeds.Completions), InProcess: true), log));
        break;
    case "publishes":
        reports.Add(await ConcurrentPublishes.RunAsync(new ConcurrentPublishes.Options([2, 8, 16], Arg(1, 12), Arg(2, FaultSeeds.Publishes)), log));
        break;
    case "definitions":
        reports.Add(await DefinitionFuzz.RunAsync(new DefinitionFuzz.Options(Arg(1, 20_000), Arg(2, FaultSeeds.Definitions), Arg(3, 40_000_000), Arg(4, 10_000), Arg(5, 0)), log));
        break;
    case "requests":
        reports.Add(await RequestFuzz.RunAsync(new RequestFuzz.Options(Arg(1, 20_000), Arg(2, FaultSeeds.Requests)), log));
        break;
    case "access":
        reports.Add(await AccessMatrix.RunAsync(new AccessMatrix.Options(Arg(1, FaultSeeds.Access)), log));
        break;
    case "all":
        // Every scenario with the fault program's numbers, each with its own seed unless one is given.
        var seed = Arg(1, 0);
        int Seed(int fixedSeed) => seed == 0 ? fixedSeed : seed;
        reports.Add(await KillUnderLoad.RunAsync(new KillUnderLoad.Options(55, Seed(FaultSeeds.Kill)), log));
        reports.Add(await ConcurrentCompletions.RunAsync(new ConcurrentCompletions.Options([2, 8, 32], 20, Seed(FaultSeeds.Completions)), log));
        reports.Add(await ConcurrentCompletions.RunAsync(new ConcurrentCompletions.Options([2, 8, 32], 20, Seed(FaultSeeds.Completions), InProcess: true), log));
        reports.Add(await ConcurrentPublishes.RunAsync(new ConcurrentPublishes.Options([2, 8, 16], 12, Seed(FaultSeeds.Publishes)), log));
        reports.Add(await DefinitionFuzz.RunAsync(new DefinitionFuzz.Options(20_000, Seed(FaultSeeds.Definitions), 40_000_000, 10_000), log));
        reports.Add(await RequestFuzz.RunAsync(new RequestFuzz.Options(20_000, Seed(FaultSeeds.Requests)), log));
        reports.Add(await AccessMatrix.RunAsync(new AccessMatrix.Options(Seed(FaultSeeds.Access)), log));
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{mode}'; see the top of tests/ProcessServer.Faults/Program.cs");
        return 2;
}

Console.WriteLine();
foreach (var report in reports)
{
    Console.WriteLine(report.Summary());
}

return reports.All(r => r.Clean) ? 0 : 1;
