using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Routing;

namespace ProcessServer.Faults;

/// <summary>A route: an HTTP method and a path template such as <c>/api/tasks/{taskId}/complete</c>.</summary>
/// <param name="Method">GET, POST, PUT, DELETE.</param>
/// <param name="Template">Path template without route constraints.</param>
/// <param name="Source">Where the route was found (OpenAPI, route table, OData service document).</param>
public sealed record Route(string Method, string Template, string Source)
{
    public override string ToString() => $"{Method} {Template}";
}

/// <summary>
/// Every route the server answers, generated rather than listed by hand: the paths and operations
/// of its OpenAPI document, its route table (which holds <c>/elsa/api</c>, undocumented in OpenAPI),
/// and the OData feed's resources from its service document and $metadata.
/// </summary>
public static partial class RouteCatalog
{
    /// <summary>The OpenAPI document's operations.</summary>
    public static List<Route> FromOpenApi(JsonObject document) =>
        [.. document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(op => op.Key is "get" or "post" or "put" or "delete" or "patch")
            .Select(op => new Route(op.Key.ToUpperInvariant(), path.Key, "OpenAPI")))];

    /// <summary>
    /// The server's own route table: the host is built in this process with the fault server's
    /// settings (nothing is started and no request is served) and its endpoints are read.
    /// </summary>
    public static async Task<List<Route>> FromRouteTableAsync(FaultHost host)
    {
        await using var server = InProcessServer.Build(host);
        return [.. ((IEndpointRouteBuilder)server.App).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => new Route(method, Normalize(endpoint.RoutePattern.RawText ?? string.Empty), "route table")))
            .Distinct()];
    }

    /// <summary>The feed's resources: service document, $metadata, each set, its count, keys and functions.</summary>
    public static List<Route> FromOData(JsonObject serviceDocument, XDocument metadata)
    {
        var routes = new List<Route> { new("GET", "/odata/v1/", "OData"), new("GET", "/odata/v1/$metadata", "OData") };
        foreach (var set in serviceDocument["value"]!.AsArray().Select(s => s!["url"]!.GetValue<string>()))
        {
            routes.Add(new("GET", $"/odata/v1/{set}", "OData"));
            routes.Add(new("GET", $"/odata/v1/{set}/$count", "OData"));
        }

        foreach (var function in metadata.Descendants().Where(e => e.Name.LocalName == "FunctionImport"))
        {
            var name = function.Attribute("Name")!.Value;
            var parameters = metadata.Descendants().Where(e => e.Name.LocalName == "Function" && e.Attribute("Name")?.Value == name)
                .SelectMany(f => f.Elements().Where(p => p.Name.LocalName == "Parameter").Select(p => p.Attribute("Name")!.Value));
            routes.Add(new("GET", $"/odata/v1/{name}({string.Join(",", parameters.Select(p => $"{p}={{{p}}}"))})", "OData"));
        }

        return routes;
    }

    /// <summary><c>/a/{version:int}/{**path}</c> → <c>/a/{version}/{**path}</c>; a leading slash, no trailing one.</summary>
    public static string Normalize(string template)
    {
        var text = Constraint().Replace(template, m => "{" + m.Groups[1].Value + "}");
        text = text.StartsWith('/') ? text : "/" + text;
        return text.Length > 1 ? text.TrimEnd('/') : text;
    }

    [GeneratedRegex(@"\{([^{}:=?]+)(?::[^{}]+)?\??\}")]
    private static partial Regex Constraint();
}
