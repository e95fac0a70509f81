using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Authentication of people and integrations. People sign in at the province's OpenID Connect
/// provider and send its JWT access token (<c>Authorization: Bearer …</c>), validated by
/// Microsoft's JwtBearer handler against the provider's discovery document (signing keys, issuer),
/// the configured audience and lifetime with a small clock skew; its claims (names configurable)
/// become a person: stable id, display name, role and units. API keys stay for integrations,
/// Excel and Power BI. A policy scheme picks the handler by what the request carries.
/// </summary>
public static class PeopleSignIn
{
    /// <summary>The default scheme: forwards to bearer tokens or API keys.</summary>
    public const string Selector = "ApiKeyOrBearer";

    /// <summary>The bearer-token scheme.</summary>
    public const string BearerScheme = JwtBearerDefaults.AuthenticationScheme;

    private const string TransformedClaim = "processserver/units-resolved";

    /// <summary>Registers both schemes, the policies and the problem answers for 401 and 403.</summary>
    public static void AddPeopleSignIn(this WebApplicationBuilder builder, ServerOptions server)
    {
        var oidc = server.OpenIdConnect;
        var authentication = builder.Services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, "API key or bearer token", o => o.ForwardDefaultSelector = context =>
                oidc.Enabled && HasBearerToken(context.Request) ? BearerScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        if (oidc.Enabled)
        {
            authentication.AddJwtBearer(BearerScheme, _ => { });
            builder.Services.AddOptions<JwtBearerOptions>(BearerScheme).Configure<TimeProvider>((o, clock) => Configure(o, oidc, clock));
        }

        builder.Services.AddSingleton<IClaimsTransformation, SuccessorUnits>();
        builder.Services.AddSingleton<IAuthorizationHandler, UnitRequirementHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResults>();
        var unit = new UnitRequirement();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Clerk, p => p.RequireRole(Roles.Clerk, Roles.Leader, Roles.Administrator).AddRequirements(unit))
            .AddPolicy(Policies.Leader, p => p.RequireRole(Roles.Leader, Roles.Administrator).AddRequirements(unit))
            .AddPolicy(Policies.Administrator, p => p.RequireRole(Roles.Administrator))
            .AddPolicy(Policies.Reporter, p => p.RequireRole(Roles.Reporter, Roles.Administrator).AddRequirements(unit))
            .AddPolicy(Policies.AnyRole, p => p.RequireRole(Roles.All).AddRequirements(unit));
    }

    /// <summary>Whether the request carries <c>Authorization: Bearer …</c>.</summary>
    public static bool HasBearerToken(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The refusal a person whose sign-in names no unit gets, or null when the caller may go on.</summary>
    public static string? MissingUnit(Caller caller) => caller.IsPerson && !caller.IsAdministrator && caller.Units.Count == 0
        ? $"Your sign-in ({caller.Name}, {caller.Id}) names no unit you work for, so there is nothing you may see or do. "
            + "Ask the administrator of the identity provider to add your unit codes to your account (the units claim)."
        : null;

    private static void Configure(JwtBearerOptions o, OpenIdConnectOptions oidc, TimeProvider clock)
    {
        o.Authority = oidc.Authority;
        o.Audience = oidc.Audience;
        if (!string.IsNullOrWhiteSpace(oidc.MetadataAddress))
        {
            o.MetadataAddress = oidc.MetadataAddress;
        }

        o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        o.MapInboundClaims = false;
        o.TimeProvider = clock;
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = oidc.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = oidc.ClockSkew,

            // The library validates lifetime against the machine clock; the server's TimeProvider
            // (a fake clock in tests) is the one every other rule of the server uses.
            LifetimeValidator = (notBefore, expires, _, parameters) => ValidateLifetime(notBefore, expires, parameters.ClockSkew, clock),
            NameClaimType = oidc.NameClaim,
            RoleClaimType = oidc.RoleClaim,
        };
        o.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var (person, problem) = ToPerson(context.Principal!, oidc);
                if (problem is not null)
                {
                    context.Fail(problem);
                }
                else
                {
                    context.Principal = person;
                }

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                var reason = Reason(context.AuthenticateFailure, oidc, context.Request);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{reason.Replace("\"", "'", StringComparison.Ordinal)}\"";
                await Problems.Write(context.HttpContext, StatusCodes.Status401Unauthorized, "Sign-in token not accepted", reason);
            },
        };
    }

    private static bool ValidateLifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew, TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry time.");
        }

        if (notBefore is { } from && from.ToUniversalTime() > now + skew)
        {
            throw new SecurityTokenNotYetValidException($"The token is not valid before {from:u}.") { NotBefore = from.ToUniversalTime() };
        }

        if (expires.Value.ToUniversalTime() < now - skew)
        {
            throw new SecurityTokenExpiredException($"The token expired at {expires:u}.") { Expires = expires.Value.ToUniversalTime() };
        }

        return true;
    }

    /// <summary>Maps the provider's claims to a person: id, name, role, units.</summary>
    internal static (ClaimsPrincipal? Person, string? Problem) ToPerson(ClaimsPrincipal token, OpenIdConnectOptions oidc)
    {
        var subject = token.FindFirstValue(oidc.SubjectClaim);
        if (string.IsNullOrWhiteSpace(subject))
        {
            return (null, $"The token has no '{oidc.SubjectClaim}' claim, so the person cannot be told apart from others; "
                + "configure ProcessServer:OpenIdConnect:SubjectClaim to the claim your provider puts the stable user id in.");
        }

        var name = token.FindFirstValue(oidc.NameClaim) ?? token.FindFirstValue(oidc.FallbackNameClaim) ?? subject;
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, subject),
            new(ClaimTypes.Name, name),
            new(Caller.KindClaim, CallerKinds.Person),
        };
        var role = Values(token, oidc.RoleClaim).Select(v => MapRole(v, oidc)).FirstOrDefault(r => r is not null);
        if (role is not null)
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        claims.AddRange(Values(token, oidc.UnitsClaim).Distinct(StringComparer.Ordinal).Select(u => new Claim(Caller.UnitClaim, u)));
        return (new ClaimsPrincipal(new ClaimsIdentity(claims, BearerScheme, ClaimTypes.Name, ClaimTypes.Role)), null);
    }

    /// <summary>A claim's values: several claims of the type, a JSON array, or one value split at spaces and commas.</summary>
    private static IEnumerable<string> Values(ClaimsPrincipal token, string type)
    {
        foreach (var claim in token.FindAll(type))
        {
            var value = claim.Value.Trim();
            if (value.StartsWith('['))
            {
                string[]? array = null;
                try
                {
                    array = JsonSerializer.Deserialize<string[]>(value);
                }
                catch (JsonException)
                {
                    // Not an array after all: read it as plain text below.
                }

                if (array is not null)
                {
                    foreach (var item in array.Where(i => !string.IsNullOrWhiteSpace(i)))
                    {
                        yield return item.Trim();
                    }

                    continue;
                }
            }

            foreach (var part in value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                yield return part;
            }
        }
    }

    private static string? MapRole(string value, OpenIdConnectOptions oidc) =>
        oidc.RoleValues.TryGetValue(value, out var mapped) ? mapped
        : Roles.All.FirstOrDefault(r => string.Equals(r, value, StringComparison.OrdinalIgnoreCase));

    /// <summary>Why a bearer token was refused, in words the person (or their administrator) can act on.</summary>
    private static string Reason(Exception? failure, OpenIdConnectOptions oidc, HttpRequest request) => failure switch
    {
        null => "Send an access token from the province's identity provider as 'Authorization: Bearer <token>', or an API key as X-Api-Key.",
        SecurityTokenExpiredException e => $"The token expired at {e.Expires:yyyy-MM-dd HH:mm:ss} UTC; sign in again to get a new one.",
        SecurityTokenNotYetValidException e => $"The token is not valid before {e.NotBefore:yyyy-MM-dd HH:mm:ss} UTC; check the clocks of the provider and the server.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            $"The token's signature does not match the signing keys of the identity provider {oidc.Authority}: it was issued by another provider or altered. Sign in again.",
        SecurityTokenInvalidAudienceException => $"The token was issued for audience '{Audiences(request)}', not for this server ('{oidc.Audience}'); request a token for ProcessServer.",
        SecurityTokenInvalidIssuerException e => $"The token was issued by '{e.InvalidIssuer}', not by the configured identity provider {oidc.Authority}.",
        SecurityTokenNoExpirationException => "The token has no expiry time; the identity provider must issue tokens that expire.",
        SecurityTokenMalformedException or ArgumentException => "The bearer token is not a well-formed JWT; send the access token exactly as the identity provider issued it.",
        InvalidOperationException when failure.Message.Contains("IDX20803", StringComparison.Ordinal) =>
            $"The server could not read the signing keys of the identity provider {oidc.Authority}; try again later or tell the administrator.",
        AuthenticationFailureException => failure.Message,
        _ => $"The token was not accepted: {failure.Message}",
    };

    /// <summary>The audiences a refused token names (read, not trusted, to explain the refusal).</summary>
    private static string Audiences(HttpRequest request)
    {
        var token = request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        var handler = new JsonWebTokenHandler();
        return handler.CanReadToken(token) ? string.Join(", ", handler.ReadJsonWebToken(token).Audiences) : "unknown";
    }

    /// <summary>A person whose token still names a retired unit works for its successor too.</summary>
    private sealed class SuccessorUnits(UnitDirectory units) : IClaimsTransformation
    {
        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            if (principal.Identity?.IsAuthenticated != true)
            {
                return Task.FromResult(principal);
            }

            // Runs on every request. Most units have no successor, and then the principal is
            // answered as it is: no copy of the identity and its claims, no sets and queries.
            List<string>? successors = null;
            foreach (var claim in principal.Claims)
            {
                if (claim.Type == TransformedClaim)
                {
                    return Task.FromResult(principal);
                }

                if (claim.Type == Caller.UnitClaim && units.SuccessorOf(claim.Value) is { } successor
                    && !principal.HasClaim(Caller.UnitClaim, successor) && successors?.Contains(successor) != true)
                {
                    (successors ??= []).Add(successor);
                }
            }

            if (successors is null)
            {
                return Task.FromResult(principal);
            }

            var identity = new ClaimsIdentity(principal.Identity);
            foreach (var successor in successors)
            {
                identity.AddClaim(new Claim(Caller.UnitClaim, successor));
            }

            identity.AddClaim(new Claim(TransformedClaim, "true"));
            return Task.FromResult(new ClaimsPrincipal(identity));
        }
    }

    /// <summary>People act only for the units their sign-in names (administrators act for all).</summary>
    private sealed class UnitRequirement : IAuthorizationRequirement;

    private sealed class UnitRequirementHandler : AuthorizationHandler<UnitRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, UnitRequirement requirement)
        {
            var missing = context.User.Identity?.IsAuthenticated == true ? MissingUnit(Caller.From(context.User)) : null;
            if (missing is null)
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, missing));
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>403 answers as problem details saying why (no unit, or which roles the operation needs).</summary>
    private sealed class ProblemAuthorizationResults : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (!authorizeResult.Forbidden || context.User.Identity?.IsAuthenticated != true)
            {
                await _default.HandleAsync(next, context, policy, authorizeResult);
                return;
            }

            var caller = Caller.From(context.User);
            var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
            var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).Distinct().ToList();
            var detail = reasons.Count > 0 ? string.Join(" ", reasons)
                : caller.IsPerson
                    ? $"Your role ({(caller.Role.Length == 0 ? "none: the token carries no role ProcessServer knows" : caller.Role)}) does not allow this operation; it needs {string.Join(" or ", needed)}."
                    : "Your API key's role does not allow this operation.";
            await Problems.Write(context, StatusCodes.Status403Forbidden, "Not allowed", detail);
        }
    }
}
