using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.OpenApi;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Apology;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.CitizenLookup;
using ProcessServer.Host.Features.CompleteTask;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Features.Forms;
using ProcessServer.Host.Features.ElsaStudio;
using ProcessServer.Host.Features.GetDossier;
using ProcessServer.Host.Features.Inbox;
using ProcessServer.Host.Features.MigrateDossiers;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Host.Features.Procedures;
using ProcessServer.Host.Features.ProcedureVersions;
using ProcessServer.Host.Features.ReceiveDossier;
using ProcessServer.Host.Features.Reports;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using Serilog;

namespace ProcessServer.Host.Infrastructure;

/// <summary>Service registration and the request pipeline, so Program.cs stays a few lines.</summary>
public static class ServerSetup
{
    /// <summary>Registers logging, store, engine, security and OpenAPI.</summary>
    public static WebApplicationBuilder AddProcessServer(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var logger = new LoggerConfiguration().ReadFrom.Configuration(configuration).CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

        StartupChecks.Run(configuration, builder.Environment);
        builder.Services.Configure<ServerOptions>(configuration.GetSection(ServerOptions.Section));

        var store = configuration.GetSection("Database").Get<StoreOptions>() ?? new StoreOptions();
        builder.Services.AddProcessServerStore(store);
        builder.AddDeadlines(store);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => new WorkflowCompiler());
        builder.Services.AddSingleton(_ => new WorkflowInterpreter());
        builder.Services.AddSingleton<WorkflowCache>();
        builder.Services.AddSingleton<UnitDirectory>();
        builder.Services.AddSingleton<VietnamTime>();
        builder.Services.AddScoped<DefinitionLifecycle>();
        builder.Services.Configure<TimeOptions>(configuration.GetSection($"{ServerOptions.Section}:Time"));
        builder.Services.AddSingleton<CalendarStore>();
        builder.Services.AddScoped<DossierMigrationService>();
        builder.Services.AddScoped<DossierTransitions>();
        builder.Services.AddScoped<ReceiveDossierHandler>();
        builder.Services.AddScoped<CompleteTaskHandler>();
        builder.Services.AddScoped<ApologyHandler>();
        builder.Services.AddScoped<MigrateDossierHandler>();
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MigrationRunner>());
        builder.AddReporting();
        builder.AddElsaStudio();
        builder.AddOutbox();
        builder.AddCitizenLookup();
        builder.AddForms();

        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Clerk, p => p.RequireRole(Roles.Clerk, Roles.Administrator))
            .AddPolicy(Policies.Administrator, p => p.RequireRole(Roles.Administrator))
            .AddPolicy(Policies.Reporter, p => p.RequireRole(Roles.Reporter, Roles.Administrator))
            .AddPolicy(Policies.AnyRole, p => p.RequireRole(Roles.All));

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.Configure<LimitOptions>(configuration.GetSection(LimitOptions.Section));
        builder.Services.AddSingleton<FieldLimits>();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.Encoder = JsonBody.Options.Encoder;
        });
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ProcessServer clerk API";
            document.Info.Description = "Receive dossiers, work inboxes and complete tasks. Authenticate with the X-Api-Key header.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-Api-Key",
                Description = "API key from the server configuration (ProcessServer:ApiKeys).",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>Builds the pipeline and maps every feature's endpoints.</summary>
    public static WebApplication UseProcessServer(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestLogging>();
        app.UseBodyLimits();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "ProcessServer v1");
            o.RoutePrefix = "swagger";
        });
        app.MapGet("/", () => Results.Redirect("/swagger")).ExcludeFromDescription();
        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).WithTags("Server").AllowAnonymous();

        ReceiveDossierEndpoint.Map(app);
        GetDossierEndpoint.Map(app);
        InboxEndpoint.Map(app);
        CompleteTaskEndpoint.Map(app);
        ProceduresEndpoint.Map(app);
        ProcedureVersionEndpoints.Map(app);
        MigrateDossiersEndpoints.Map(app);
        app.MapElsaStudio();
        CalendarEndpoints.Map(app);
        ApologyEndpoint.Map(app);
        app.MapReporting();
        DeadlineEndpoints.Map(app);
        OutboxEndpoints.Map(app);
        CitizenLookupEndpoints.Map(app);
        FormEndpoints.Map(app);
        return app;
    }

    /// <summary>Creates or upgrades the schema and loads the sample procedures.</summary>
    public static async Task PrepareStoreAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        using var scope = app.Services.CreateScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<ProcessServerDbContext>();
        await StoreRegistration.MigrateAsync(db, cancellationToken);
        await services.GetRequiredService<CalendarStore>().EnsureSeededAsync(db, cancellationToken);

        var options = app.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var folder = Path.IsPathRooted(options.WorkflowsPath)
            ? options.WorkflowsPath
            : Path.Combine(AppContext.BaseDirectory, options.WorkflowsPath);
        await SampleProcedures.LoadAsync(db, services.GetRequiredService<WorkflowCompiler>(), folder,
            services.GetRequiredService<TimeProvider>(), app.Logger, cancellationToken);
    }
}
