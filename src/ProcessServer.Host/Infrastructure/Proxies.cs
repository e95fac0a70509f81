using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Reverse proxies whose X-Forwarded-For/-Proto/-Host/-Prefix headers are believed (configuration
/// section <c>ProcessServer:Proxies</c>). With none configured the headers are ignored: anyone
/// could send them, and they decide the scheme and host of every absolute link the server writes
/// (OData @odata.context and nextLink, the designer's backend URL) and the client address the
/// rate limiter counts by.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Proxies";

    /// <summary>Addresses of the proxies in front of the server, e.g. 10.0.0.5.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of the proxies in CIDR notation, e.g. 10.0.0.0/24.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a row may have added an entry (1: one reverse proxy).</summary>
    public int ForwardLimit { get; set; } = 1;
}

/// <summary>Registers the forwarded-headers middleware at the very front of the pipeline, for configured proxies only.</summary>
public static class Proxies
{
    /// <summary>Reads <see cref="ProxyOptions"/>; throws <see cref="ServerConfigurationException"/> for an address it cannot read.</summary>
    public static IServiceCollection AddProcessServerProxies(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
        if (proxies.KnownProxies.Count == 0 && proxies.KnownNetworks.Count == 0)
        {
            return services;
        }

        var addresses = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        var problems = new List<string>();
        foreach (var (text, i) in proxies.KnownProxies.Select((p, i) => (p, i)))
        {
            if (IPAddress.TryParse(text, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                problems.Add($"- {ProxyOptions.Section}:KnownProxies:{i} '{text}' is not an IP address (e.g. 10.0.0.5).");
            }
        }

        foreach (var (text, i) in proxies.KnownNetworks.Select((p, i) => (p, i)))
        {
            if (System.Net.IPNetwork.TryParse(text, out var network))
            {
                networks.Add(network);
            }
            else
            {
                problems.Add($"- {ProxyOptions.Section}:KnownNetworks:{i} '{text}' is not a network in CIDR notation (e.g. 10.0.0.0/24).");
            }
        }

        if (problems.Count > 0)
        {
            throw new ServerConfigurationException($"ProcessServer refuses to start:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        }

        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix;
            o.ForwardLimit = proxies.ForwardLimit;

            // The framework trusts loopback by default; only what the operator listed is trusted.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            addresses.ForEach(o.KnownProxies.Add);
            networks.ForEach(o.KnownIPNetworks.Add);
        });
        services.AddTransient<IStartupFilter, ForwardedHeadersFirst>();
        return services;
    }

    private sealed class ForwardedHeadersFirst : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseForwardedHeaders();
            next(app);
        };
    }
}
