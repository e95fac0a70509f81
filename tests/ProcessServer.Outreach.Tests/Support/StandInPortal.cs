using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>One request the stand-in portal received, and what it answered.</summary>
/// <param name="At">When it arrived.</param>
/// <param name="MessageId">The X-Message-Id header.</param>
/// <param name="Body">The request body as received.</param>
/// <param name="Status">The HTTP status answered (0 while the answer is delayed or when the caller left).</param>
public sealed record PortalRequest(DateTime At, string? MessageId, JsonObject Body, int Status)
{
    /// <summary>The service called (DongBoHoSoMC, CapNhatTienDoHoSoMC).</summary>
    public string Service => Body["service"]!.GetValue<string>();

    /// <summary>The one record of data.</summary>
    public JsonObject Record => Body["data"]![0]!.AsObject();

    /// <summary>MaHoSo.</summary>
    public string ReceiptCode => Record["MaHoSo"]!.GetValue<string>();

    /// <summary>The national status the record carries.</summary>
    public string NationalStatus => (Record["TrangThaiHoSo"] ?? Record["TrangThai"])!.GetValue<string>();

    /// <summary>The content without the session token, to compare repeats.</summary>
    public string Content
    {
        get
        {
            var copy = Body.DeepClone().AsObject();
            copy.Remove("session");
            return copy.ToJsonString();
        }
    }
}

/// <summary>
/// A stand-in for the national portal's adapter: a real Kestrel server on a loopback port that
/// speaks the session log-in and the integration endpoint, records every request and can be told
/// to fail (5xx), refuse (400), answer slowly, or fail for one dossier only.
/// </summary>
public sealed class StandInPortal : IAsyncDisposable
{
    public const string Username = "tinh-quangngai";
    public const string Password = "portal-test-password";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<PortalRequest> _requests = new();
    private int _sessions;
    private int _failNext;
    private int _arrived;

    private StandInPortal(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The adapter's base address.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>Every integration request so far, in arrival order.</summary>
    public IReadOnlyList<PortalRequest> Requests => _requests.ToArray();

    /// <summary>The requests answered with success.</summary>
    public IReadOnlyList<PortalRequest> Accepted => Requests.Where(r => r.Status == 200).ToList();

    /// <summary>Answer every request with this status (e.g. 503) until set back to null.</summary>
    public int? FailAllWith { get; set; }

    /// <summary>How long to wait before answering.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Answer requests about this receipt code with <see cref="FailDossierWith"/>.</summary>
    public string? FailDossier { get; set; }

    /// <summary>The status for <see cref="FailDossier"/> (500 by default; 400 refuses the content).</summary>
    public int FailDossierWith { get; set; } = 500;

    /// <summary>Integration requests that arrived, answered or not yet.</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    /// <summary>Sessions handed out.</summary>
    public int Sessions => _sessions;

    /// <summary>Fail the next <paramref name="count"/> requests with 500.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    public static async Task<StandInPortal> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var portal = new StandInPortal(app);
        app.MapPost("/api/dvcqg/auth", async (HttpContext http) =>
        {
            var login = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            if (login["username"]?.GetValue<string>() != Username || login["password"]?.GetValue<string>() != Password)
            {
                return Results.Json(new { error_code = "401", message = "sai tài khoản" }, statusCode: 401);
            }

            return Results.Json(new { error_code = 0, session = $"session-{Interlocked.Increment(ref portal._sessions)}" });
        });
        app.MapPost("/api/dvcqg/integration", portal.IntegrateAsync);
        await app.StartAsync();
        portal.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return portal;
    }

    /// <summary>Server settings pointing the outbox at this portal, with quick retries.</summary>
    public Dictionary<string, string?> Settings(int maxAttempts = 4) => new()
    {
        ["ProcessServer:Portal:BaseUrl"] = BaseUrl,
        ["ProcessServer:Portal:Username"] = Username,
        ["ProcessServer:Portal:Password"] = Password,
        ["ProcessServer:Portal:AgencyCode"] = "000.00.00.H55",
        ["ProcessServer:Outbox:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["ProcessServer:Outbox:FirstRetryDelay"] = "00:00:00.050",
        ["ProcessServer:Outbox:MaxRetryDelay"] = "00:00:00.200",
        ["ProcessServer:Outbox:AttemptTimeout"] = "00:00:05",
        ["ProcessServer:Outbox:PollInterval"] = "00:00:00.100",
    };

    /// <summary>Waits until <paramref name="condition"/> holds over the accepted requests; fails after <paramref name="within"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<PortalRequest>, bool> condition, TimeSpan? within = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!condition(Accepted))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The portal did not get what was expected{(because is null ? string.Empty : $" ({because})")}; it accepted:\n"
                    + string.Join("\n", Accepted.Select(r => $"{r.Service} {r.ReceiptCode} {r.NationalStatus}")));
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Per receipt code, the national statuses accepted, in order.</summary>
    public IReadOnlyList<string> StatusesOf(string receiptCode, string? service = null) =>
        Accepted.Where(r => r.ReceiptCode == receiptCode && (service is null || r.Service == service)).Select(r => r.NationalStatus).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task IntegrateAsync(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        Interlocked.Increment(ref _arrived);
        var at = DateTime.UtcNow;
        var messageId = http.Request.Headers["X-Message-Id"].ToString();
        var status = Decide(body);
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The sender gave up or died while waiting: recorded as received, not answered.
                _requests.Enqueue(new PortalRequest(at, messageId, body, 0));
                return;
            }
        }

        _requests.Enqueue(new PortalRequest(at, messageId, body, status));
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(status == 200 ? new { error_code = "00", message = "thành công" } : new { error_code = status.ToString(System.Globalization.CultureInfo.InvariantCulture), message = "lỗi" });
    }

    private int Decide(JsonObject body)
    {
        if (body["session"]?.GetValue<string>() is not { } session || !session.StartsWith("session-", StringComparison.Ordinal))
        {
            return (int)HttpStatusCode.Unauthorized;
        }

        if (FailAllWith is { } all)
        {
            return all;
        }

        if (FailDossier is { } code && body["data"]?[0]?["MaHoSo"]?.GetValue<string>() == code)
        {
            return FailDossierWith;
        }

        var remaining = Volatile.Read(ref _failNext);
        while (remaining > 0)
        {
            if (Interlocked.CompareExchange(ref _failNext, remaining - 1, remaining) == remaining)
            {
                return 500;
            }

            remaining = Volatile.Read(ref _failNext);
        }

        return 200;
    }
}
