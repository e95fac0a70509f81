using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace ProcessServer.Host.Tests.Support;

/// <summary>An account at the test identity provider.</summary>
/// <param name="UserName">What the person types.</param>
/// <param name="Password">Their password.</param>
/// <param name="Subject">The stable id the provider issues (the "sub" claim).</param>
/// <param name="Name">Display name.</param>
/// <param name="Role">Value of the "role" claim, or null for none.</param>
/// <param name="Units">Values of the "units" claim.</param>
public sealed record Account(string UserName, string Password, string Subject, string Name, string? Role, params string[] Units);

/// <summary>
/// A real OpenID Connect provider for the tests: OpenIddict's server on Kestrel on a loopback port,
/// with its discovery document, its signing keys (JWKS) and a token endpoint that issues signed JWT
/// access tokens through the resource-owner password grant. Tests get tokens by posting that grant
/// over HTTP, as a province's provider would issue them; nothing is minted by hand. Its clock is the
/// test's clock, so an expired token is a matter of moving the clock.
/// </summary>
public sealed class IdentityProvider : IAsyncDisposable
{
    /// <summary>The audience ProcessServer accepts (the scope "processserver" asks for it).</summary>
    public const string Audience = "processserver";

    /// <summary>Another API's audience (the scope "payments" asks for it).</summary>
    public const string OtherAudience = "payments";

    /// <summary>How long access tokens live.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(30);

    private readonly WebApplication _app;
    private readonly Dictionary<string, Account> _accounts = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new();

    private IdentityProvider(WebApplication app, string authority)
    {
        _app = app;
        Authority = authority;
    }

    /// <summary>The issuer URL (discovery document under /.well-known/openid-configuration).</summary>
    public string Authority { get; }

    /// <summary>Starts a provider on a free loopback port.</summary>
    /// <param name="clock">The provider's clock (the test's, shared with the server).</param>
    /// <param name="issuer">Claim this issuer instead of its own address (a rogue provider impersonating another).</param>
    public static async Task<IdentityProvider> StartAsync(TimeProvider clock, string? issuer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddRouting();
        IdentityProvider? self = null;
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            if (issuer is not null)
            {
                o.SetIssuer(new Uri(issuer));
            }

            o.SetTokenEndpointUris("connect/token");
            o.AllowPasswordFlow();
            o.AcceptAnonymousClients();
            o.RegisterScopes(Audience, OtherAudience);
            o.SetAccessTokenLifetime(TokenLifetime);
            o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();

            // A plain signed JWT, as the provinces' providers issue for APIs.
            o.DisableAccessTokenEncryption();

            // No client or token database: the test provider checks its accounts itself.
            o.EnableDegradedMode();
            o.AddEventHandler<OpenIddict.Server.OpenIddictServerEvents.ValidateTokenRequestContext>(b => b.UseInlineHandler(_ => default));
            o.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            o.Configure(options => options.TimeProvider = clock);
        });

        var app = builder.Build();
        app.MapPost("/connect/token", (HttpContext http) => self!.Issue(http));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new IdentityProvider(app, address.TrimEnd('/') + "/");
        return self;
    }

    /// <summary>Adds an account.</summary>
    public Account Add(Account account)
    {
        _accounts[account.UserName] = account;
        return account;
    }

    /// <summary>Signs the person in with the password grant and returns the access token.</summary>
    /// <param name="account">Who signs in.</param>
    /// <param name="scope">The API the token is for; <see cref="Audience"/> by default.</param>
    public async Task<string> TokenAsync(Account account, string scope = Audience)
    {
        var response = await _http.PostAsync(new Uri(new Uri(Authority), "connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.Password,
            ["username"] = account.UserName,
            ["password"] = account.Password,
            ["scope"] = scope,
        }));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    /// <summary>A client for the server sending the account's access token.</summary>
    public async Task<HttpClient> ClientAsync(ServerApp server, Account account, string scope = Audience)
    {
        var client = server.ClientFor(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TokenAsync(account, scope));
        return client;
    }

    /// <summary>Settings that point the server at this provider.</summary>
    public Dictionary<string, string?> ServerSettings() => new()
    {
        ["ProcessServer:OpenIdConnect:Authority"] = Authority,
        ["ProcessServer:OpenIdConnect:Audience"] = Audience,
        ["ProcessServer:OpenIdConnect:RequireHttpsMetadata"] = "false",
    };

    private IResult Issue(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest()!;
        if (!request.IsPasswordGrantType() || request.Username is null || !_accounts.TryGetValue(request.Username, out var account)
            || account.Password != request.Password)
        {
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme],
                properties: new Microsoft.AspNetCore.Authentication.AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The user name or password is wrong.",
                }));
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, account.Subject);
        identity.SetClaim(Claims.Name, account.Name);
        identity.SetClaim(Claims.PreferredUsername, account.UserName);
        if (account.Role is not null)
        {
            identity.SetClaim(Claims.Role, account.Role);
        }

        identity.SetClaims("units", [.. account.Units]);
        identity.SetScopes(request.GetScopes());
        identity.SetResources(request.GetScopes());
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
