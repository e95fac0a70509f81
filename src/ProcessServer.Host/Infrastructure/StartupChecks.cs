using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace ProcessServer.Host.Infrastructure;

/// <summary>The server's configuration is not safe or not usable; the message lists every problem and its fix.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);

/// <summary>
/// Checks made before anything starts. Outside Development the server refuses development keys,
/// empty keys and keys shorter than <see cref="MinimumKeyLength"/> characters: the development keys
/// are printed in the README, and configuration arrays merge by index, so an operator who overlays
/// fewer keys than appsettings.Development.json holds would otherwise keep the rest working.
/// </summary>
public static partial class StartupChecks
{
    /// <summary>Shortest key accepted outside Development (32 characters of base64 carry 192 bits).</summary>
    public const int MinimumKeyLength = 32;

    private const string Fix = "Generate one with `openssl rand -base64 32` and set it in appsettings.Production.json or the environment variable";

    /// <summary>Throws <see cref="ServerConfigurationException"/> when the configuration must not be served.</summary>
    public static void Run(IConfiguration configuration, IHostEnvironment environment)
    {
        var options = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var problems = new List<string>();
        var unitCodes = options.Units.Select(u => u.Code).ToHashSet(StringComparer.Ordinal);
        var production = !environment.IsDevelopment();
        if (production && options.ApiKeys.Count == 0)
        {
            problems.Add("No API keys are configured (ProcessServer:ApiKeys), so nobody could use the server. Add an Administrator key and the clerks' keys "
                + "as in appsettings.samples/appsettings.Units-and-keys.json (copied to appsettings.Production.json next to the server).");
        }

        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var entry = $"ProcessServer:ApiKeys:{i} (\"{key.Name}\", {SourceOf(configuration, $"{ServerOptions.Section}:ApiKeys:{i}:Key")})";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                problems.Add($"{entry} has no Name; the name is the actor written to the journal.");
            }

            if (string.IsNullOrWhiteSpace(key.Key))
            {
                problems.Add($"{entry} has an empty Key. {Fix} {EnvironmentName(i)}.");
            }
            else if (production && DevelopmentKey().IsMatch(key.Key.Trim()))
            {
                problems.Add($"{entry} is the development key '{key.Key.Trim()}', which is published in the README and only valid in Development. "
                    + $"{Fix} {EnvironmentName(i)}; remove development keys and units by not copying appsettings.Development.json.");
            }
            else if (production && key.Key.Trim().Length < MinimumKeyLength)
            {
                problems.Add($"{entry} has a key of {key.Key.Trim().Length} characters; outside Development a key needs at least {MinimumKeyLength}. {Fix} {EnvironmentName(i)}.");
            }

            if (!Roles.All.Contains(key.Role))
            {
                problems.Add($"{entry} has role '{key.Role}'; use one of {string.Join(", ", Roles.All)}.");
            }

            problems.AddRange(key.Units.Where(u => !unitCodes.Contains(u))
                .Select(u => $"{entry} names unit '{u}', which is not in ProcessServer:Units."));
        }

        problems.AddRange(options.ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k.Key)).GroupBy(k => k.Key.Trim(), StringComparer.Ordinal).Where(g => g.Count() > 1)
            .Select(g => $"API keys {string.Join(", ", g.Select(k => $"\"{k.Name}\""))} share the same secret; give each holder a key of their own."));

        var oidc = options.OpenIdConnect;
        if (oidc.Enabled && string.IsNullOrWhiteSpace(oidc.Audience))
        {
            problems.Add("ProcessServer:OpenIdConnect:Authority is set but Audience is not; tokens must be issued for this server. "
                + "Set ProcessServer:OpenIdConnect:Audience to the API's audience (resource or client id) at the provider.");
        }

        problems.AddRange(oidc.RoleValues.Where(r => !Roles.All.Contains(r.Value))
            .Select(r => $"ProcessServer:OpenIdConnect:RoleValues maps '{r.Key}' to '{r.Value}'; use one of {string.Join(", ", Roles.All)}."));

        if (problems.Count > 0)
        {
            throw new ServerConfigurationException(
                $"ProcessServer refuses to start (environment {environment.EnvironmentName}):{Environment.NewLine}"
                + string.Join(Environment.NewLine, problems.Select(p => "- " + p))
                + $"{Environment.NewLine}See \"Running in production\" in README.md.");
        }
    }

    private static string EnvironmentName(int index) => $"ProcessServer__ApiKeys__{index}__Key";

    /// <summary>Which configuration source set <paramref name="key"/>: a file name, the environment or the command line.</summary>
    private static string SourceOf(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return "configured";
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(key, out _))
            {
                continue;
            }

            return provider switch
            {
                FileConfigurationProvider file => $"from {file.Source.Path}",
                EnvironmentVariablesConfigurationProvider => "from an environment variable",
                CommandLineConfigurationProvider => "from the command line",
                _ => $"from {provider}",
            };
        }

        return "Key not set";
    }

    [GeneratedRegex("^dev-.*-key$", RegexOptions.IgnoreCase)]
    private static partial Regex DevelopmentKey();
}
