using ProcessServer.Host.Features.Notifications;
using ProcessServer.Host.Features.PortalSync;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.Outbox;

/// <summary>Registers the outbox, its sender and channels (portal, e-mail, SMS/Zalo).</summary>
public static class OutboxSetup
{
    /// <summary>Options, staging, transports and the background sender.</summary>
    public static WebApplicationBuilder AddOutbox(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<OutboxOptions>(builder.Configuration.GetSection(OutboxOptions.Section));
        services.Configure<PortalOptions>(builder.Configuration.GetSection(PortalOptions.Section));
        services.Configure<NotificationOptions>(builder.Configuration.GetSection(NotificationOptions.Section));
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxStaging>();
        services.AddHttpClient(PortalTransport.ClientName);
        services.AddHttpClient(GatewayTransport.ClientName);
        services.AddSingleton<IOutboxTransport, PortalTransport>();
        services.AddSingleton<IOutboxTransport, SmtpTransport>();
        services.AddSingleton<IOutboxTransport, GatewayTransport>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(s => s.GetRequiredService<OutboxDispatcher>());

        var problems = PortalPayloads.Problems(builder.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions());
        if (problems.Count > 0)
        {
            throw new ServerConfigurationException(string.Join(Environment.NewLine, problems));
        }

        return builder;
    }
}
