using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Apology;
using ProcessServer.Host.Features.Audit;
using ProcessServer.Host.Features.Reorganise;
using ProcessServer.Host.Features.HoldTask;
using ProcessServer.Host.Features.Units;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.CitizenLookup;
using ProcessServer.Host.Features.CompleteTask;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Features.ForceCompletion;
using ProcessServer.Host.Features.HistoryImport;
using ProcessServer.Host.Features.LateEntries;
using ProcessServer.Host.Features.RefuseAtCounter;
using ProcessServer.Host.Features.RepairDossier;
using ProcessServer.Host.Features.ReturnForRework;
using ProcessServer.Host.Features.ReturnWithoutResolution;
using ProcessServer.Host.Features.Withdrawal;
using ProcessServer.Host.Features.Forms;
using ProcessServer.Host.Features.ElsaStudio;
using ProcessServer.Host.Features.GetDossier;
using ProcessServer.Host.Features.Inbox;
using ProcessServer.Host.Features.MigrateDossiers;
using ProcessServer.Host.Features.OData;
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
    /// <summary>Configuration key that serves the OpenAPI document and Swagger UI (default: in Development only).</summary>
    public const string OpenApiEnabledKey = "ProcessServer:OpenApi:Enabled";

    /// <summary>Registers logging, store, engine, security and OpenAPI.</summary>
    public static WebApplicationBuilder AddProcessServer(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        // Sinks, levels and enrichers come from the Serilog section of the configuration. Each host
        // gets a logger of its own (tests run several servers in one process); the static one
        // stays the bootstrap logger of Program.cs.
        builder.Services.AddSerilog((services, logger) => logger.ReadFrom.Configuration(configuration).ReadFrom.Services(services),
            preserveStaticLogger: true);

        StartupChecks.Run(configuration, builder.Environment);
        var server = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        builder.Services.Configure<ServerOptions>(configuration.GetSection(ServerOptions.Section));
        builder.AddTelemetry();

        // First in the pipeline (a startup filter), before the designer's CORS filter.
        builder.Services.AddProcessServerProxies(configuration);
        builder.Services.AddProcessServerRateLimits(configuration);

        var store = configuration.GetSection("Database").Get<StoreOptions>() ?? new StoreOptions();
        builder.Services.AddProcessServerStore(store);
        builder.Services.AddProcessServerHealthChecks();
        builder.AddDeadlines(store);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => new WorkflowCompiler());
        builder.Services.AddSingleton(configuration.GetSection(DefinitionOptions.Section).Get<DefinitionOptions>() ?? new DefinitionOptions());
        builder.Services.AddSingleton<DefinitionChecker>();
        builder.Services.AddSingleton(_ => new WorkflowInterpreter());
        builder.Services.AddSingleton<WorkflowCache>();
        builder.Services.AddSingleton<UnitDirectory>();
        builder.Services.AddSingleton<VietnamTime>();
        builder.Services.AddScoped<DefinitionLifecycle>();
        builder.Services.Configure<TimeOptions>(configuration.GetSection($"{ServerOptions.Section}:Time"));
        builder.Services.AddSingleton<CalendarStore>();
        builder.Services.AddScoped<DossierMigrationService>();
        builder.Services.AddScoped<DossierTransitions>();
        builder.Services.AddSingleton<JournalCache>();
        builder.Services.AddSingleton<TaskDossiers>();
        builder.Services.AddSingleton<DossierRows>();
        builder.Services.AddScoped<ReceiveDossierHandler>();
        builder.Services.AddScoped<CompleteTaskHandler>();
        builder.Services.AddScoped<ApologyHandler>();
        builder.Services.AddScoped<MigrateDossierHandler>();
        builder.Services.AddScoped<TaskHoldingHandler>();
        builder.Services.AddScoped<ReorganiseDossierHandler>();
        builder.Services.AddScoped<ReorganisationService>();
        builder.Services.AddScoped<CurrentCaller>();
        builder.Services.AddSingleton<PersonDirectory>();
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.Configure<LateEntryOptions>(configuration.GetSection(LateEntryOptions.Section));
        builder.Services.AddSingleton<LateEntryRules>();
        builder.Services.AddScoped<RefuseAtCounterHandler>();
        builder.Services.AddScoped<RequestWithdrawalHandler>();
        builder.Services.AddScoped<AcceptWithdrawalHandler>();
        builder.Services.AddScoped<ReturnWithoutResolutionHandler>();
        builder.Services.AddScoped<ForceCompletionHandler>();
        builder.Services.AddScoped<ReturnForReworkHandler>();
        builder.Services.AddScoped<RepairHandlers>();
        builder.AddHistoryImport();
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MigrationRunner>());
        builder.AddReporting();
        builder.AddElsaStudio();
        builder.AddOutbox();
        builder.AddCitizenLookup();
        builder.AddForms();

        builder.AddPeopleSignIn(server);

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
            document.Info.Description = "Receive dossiers, work inboxes, hold and complete tasks. Authenticate as a person with the identity provider's "
                + "access token (Authorization: Bearer) or as an integration with the X-Api-Key header.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-Api-Key",
                Description = "API key from the server configuration (ProcessServer:ApiKeys).",
            };
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "Access token of the province's OpenID Connect provider (ProcessServer:OpenIdConnect).",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] });
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>Builds the pipeline and maps every feature's endpoints.</summary>
    public static WebApplication UseProcessServer(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSecurityHeaders();

        // The feed's $batch splits a request into parts before routing, so each part is routed,
        // authenticated and checked like a request of its own.
        app.UseReportingFeedBatching();
        app.UseRouting();
        app.UseProcessServerRequestLogging();
        app.UseBodyLimits();
        app.UseAuthentication();
        app.UseMiddleware<PeopleMiddleware>();

        // After authentication: requests count against their key, or against their address when the key failed.
        // One limiter for all: the global per-key limits and the citizens' look-up policy.
        app.UseRateLimiter();
        app.UseAuthorization();

        // The API description tells a stranger every route; outside Development only when asked for.
        if (app.Configuration.GetValue<bool?>(OpenApiEnabledKey) ?? app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint("/openapi/v1.json", "ProcessServer v1");
                o.RoutePrefix = "swagger";
            });
            app.MapGet("/", () => Results.Redirect("/swagger")).ExcludeFromDescription();
        }

        app.MapProcessServerHealth();
        app.MapTelemetry();

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
        RefuseAtCounterEndpoint.Map(app);
        WithdrawalEndpoints.Map(app);
        ReturnWithoutResolutionEndpoint.Map(app);
        ForceCompletionEndpoint.Map(app);
        ReturnForReworkEndpoint.Map(app);
        RepairEndpoints.Map(app);
        LateEntriesEndpoint.Map(app);
        HistoryImportEndpoints.Map(app);
        app.MapReporting();
        DeadlineEndpoints.Map(app);
        TaskHoldingEndpoints.Map(app);
        NeedsAttentionEndpoint.Map(app);
        UnitEndpoints.Map(app);
        ReorganisationEndpoints.Map(app);
        AuditEndpoint.Map(app);
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
        // Several servers may start together on one PostgreSQL database: migrations and seeds run
        // once, under the store's start-up lock (StoreRegistration.PrepareAsync).
        await StoreRegistration.PrepareAsync(db, async ct =>
        {
            await services.GetRequiredService<CalendarStore>().EnsureSeededAsync(db, ct);

            var options = app.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
            await services.GetRequiredService<UnitDirectory>().SeedAsync(db, options.Units, ct);

            // API keys can hold tasks (the walk-through's clerks, integrations): a leader can assign to them from the start.
            var people = services.GetRequiredService<PersonDirectory>();
            foreach (var key in options.ApiKeys)
            {
                await people.NoteAsync(Caller.Of(key.Name, key.Role, key.Units), ct);
            }

            var folder = Path.IsPathRooted(options.WorkflowsPath)
                ? options.WorkflowsPath
                : Path.Combine(AppContext.BaseDirectory, options.WorkflowsPath);
            await SampleProcedures.LoadAsync(db, services.GetRequiredService<WorkflowCompiler>(), folder,
                services.GetRequiredService<TimeProvider>(), app.Logger, ct);
        }, cancellationToken);
    }
}
