using Microsoft.AspNetCore.Cors.Infrastructure;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// Registers and maps the Elsa Studio designer: the prebuilt WebAssembly bundle and our host pages
/// under <c>/designer</c>, and the backend contract the Studio speaks under <c>/elsa/api</c>.
/// </summary>
public static class ElsaStudioSetup
{
    /// <summary>Route prefix of the Studio backend contract.</summary>
    public const string ApiPrefix = "/elsa/api";

    /// <summary>Route prefix of the designer pages and bundle.</summary>
    public const string DesignerPrefix = "/designer";

    /// <summary>CORS policy of the Studio backend (for Studio instances hosted on another origin).</summary>
    public const string CorsPolicy = "ElsaStudio";

    /// <summary>Configuration key listing the origins allowed to call <c>/elsa/api</c> from a browser.</summary>
    public const string CorsOriginsKey = "ProcessServer:Cors:AllowedOrigins";

    /// <summary>Registers the designer's services.</summary>
    public static WebApplicationBuilder AddElsaStudio(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DesignerFiles>();
        builder.Services.AddSingleton<StudioActivityDescriptors>();
        builder.Services.AddScoped<StudioDefinitions>();
        builder.Services.AddScoped<StudioInstances>();

        // Only the origins an operator lists may call /elsa/api from a browser (a Studio hosted
        // elsewhere); by default none, so only the designer served here (same origin) can.
        // CONTRACT §2.1: a wildcard in Access-Control-Allow-Headers does not cover Authorization, so
        // every header is listed; the two x-elsa-workflow-* headers must be exposed for "Run".
        var origins = builder.Configuration.GetSection(CorsOriginsKey).Get<string[]>() ?? [];
        builder.Services.AddCors(o => o.AddPolicy(CorsPolicy, p => p
            .WithOrigins(origins)
            .WithMethods("GET", "POST", "DELETE", "PUT")
            .WithHeaders("Authorization", "Content-Type", "X-Tenant-Id", "X-Api-Key")
            .WithExposedHeaders(StudioHeaders.InstanceId, StudioHeaders.CannotStart, "Content-Disposition")));

        // Preflight requests carry no credentials, so CORS must answer them before authentication
        // and authorization run; a startup filter puts it at the front of the pipeline.
        builder.Services.AddTransient<IStartupFilter, StudioCorsStartupFilter>();
        return builder;
    }

    /// <summary>Maps <c>/elsa/api</c> (Administrators only) and <c>/designer</c> (static, anonymous).</summary>
    public static WebApplication MapElsaStudio(this WebApplication app)
    {
        var api = app.MapGroup(ApiPrefix)
            .RequireAuthorization(Policies.Administrator)
            .ExcludeFromDescription();
        StudioDescriptorEndpoints.Map(api);
        StudioDefinitionEndpoints.Map(api);
        StudioInstanceEndpoints.Map(api);

        DesignerFiles.Map(app);
        return app;
    }

    private sealed class StudioCorsStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseWhen(
                context => context.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase),
                branch => branch.UseCors(CorsPolicy));
            next(app);
        };
    }
}

/// <summary>Response headers the Studio reads.</summary>
public static class StudioHeaders
{
    /// <summary>Id of the workflow instance an execute call started.</summary>
    public const string InstanceId = "x-elsa-workflow-instance-id";

    /// <summary>"true" when the workflow cannot be started; the Studio then says so.</summary>
    public const string CannotStart = "x-elsa-workflow-cannot-start";
}

/// <summary>Options for the designer (configuration section <c>ProcessServer:Designer</c>).</summary>
public sealed class DesignerOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Designer";

    /// <summary>
    /// The designer folder (with package.json, pages/ and node_modules/). When empty it is searched
    /// for upwards from the content root and from the application folder.
    /// </summary>
    public string? Path { get; set; }
}
