using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>
/// A stand-in SMS/Zalo gateway: a real Kestrel server on a loopback port that records each send
/// request and can fail the next ones (503) or fail everything until told otherwise.
/// </summary>
public sealed class StandInGateway : IAsyncDisposable
{
    public const string ApiKey = "gateway-test-key";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(JsonObject Body, int Status, string? Authorization)> _requests = new();
    private int _failNext;

    private StandInGateway(WebApplication app) => _app = app;

    public string Url { get; private set; } = string.Empty;

    /// <summary>Every request: body, status answered, Authorization header.</summary>
    public IReadOnlyList<(JsonObject Body, int Status, string? Authorization)> Requests => _requests.ToArray();

    /// <summary>Bodies of the requests answered 200.</summary>
    public IReadOnlyList<JsonObject> Delivered => Requests.Where(r => r.Status == 200).Select(r => r.Body).ToList();

    /// <summary>Fail every request with 503 while true.</summary>
    public bool Down { get; set; }

    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    public static async Task<StandInGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var gateway = new StandInGateway(app);
        app.MapPost("/send", async (HttpContext http) =>
        {
            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            var status = gateway.Down || Interlocked.Decrement(ref gateway._failNext) >= 0 ? 503 : 200;
            gateway._requests.Enqueue((body, status, http.Request.Headers.Authorization.ToString()));
            return Results.Json(new { ok = status == 200 }, statusCode: status);
        });
        await app.StartAsync();
        gateway.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/send";
        return gateway;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
