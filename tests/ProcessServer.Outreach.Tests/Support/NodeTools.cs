namespace ProcessServer.Outreach.Tests.Support;

/// <summary>Where the node scripts and their packages are (installed by the test project's build).</summary>
public static class NodeTools
{
    /// <summary>The test project folder.</summary>
    public static string ProjectFolder { get; } = FindProjectFolder();

    /// <summary>node/ with the scripts and node_modules.</summary>
    public static string Folder => Path.Combine(ProjectFolder, "node");

    /// <summary>Fails with the fix when a package is missing.</summary>
    public static void Require(string package)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", package)))
        {
            throw new InvalidOperationException($"The npm package {package} is not installed in {Folder}; run 'npm ci' there (the test project's build does this).");
        }
    }

    private static string FindProjectFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ProcessServer.Outreach.Tests.csproj")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"ProcessServer.Outreach.Tests.csproj not found above {AppContext.BaseDirectory}");
    }
}
