using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>
/// OpenTelemetry as an operator sets it up: the real server process with <c>OpenTelemetry:Endpoint</c>
/// pointing at an OTLP/HTTP receiver on loopback, which must get the request spans and the metrics.
/// </summary>
public sealed class TelemetryTests : IDisposable
{
    private readonly TempDatabase _work = new();

    [Fact]
    public async Task With_an_OTLP_endpoint_configured_the_receiver_gets_a_span_per_request_and_the_request_metrics()
    {
        using var receiver = new OtlpReceiver();
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"), Path.Combine(_work.Folder, "appsettings.Development.json"));
        using (var server = HostProcess.Start(_work.Folder, "Development",
                   "--OpenTelemetry:Endpoint", receiver.Root, "--OpenTelemetry:ExportDelayMilliseconds", "200", "--OpenTelemetry:ServiceName", "processserver-test"))
        {
            await server.WaitUntilServingAsync();
            using var reporter = server.Client(Keys.Reporter);
            (await reporter.GetAsync("/odata/v1/Units")).StatusCode.Should().Be(HttpStatusCode.OK);
            (await reporter.GetAsync("/api/dossiers/NO-SUCH-DOSSIER")).StatusCode.Should().NotBe(HttpStatusCode.OK);
            using var counter = server.Client(Keys.Counter);
            await ClerkApi.ReceiveAsync(counter, "birth-registration");

            // Protobuf keeps strings as UTF-8 bytes: the span's url.path and the resource's service name.
            var traces = await receiver.WaitForAsync("/v1/traces", "/odata/v1/Units");
            Contains(traces, "processserver-test").Should().BeTrue("the resource names the configured service");
            Contains(traces, "http.request.method").Should().BeTrue();
            (await receiver.WaitForAsync("/v1/metrics", "http.server.request.duration")).Should().NotBeEmpty();

            // Database calls as spans of their own (EF Core instrumentation) and the server's own metrics.
            (await receiver.WaitForAsync("/v1/traces", "OpenTelemetry.Instrumentation.EntityFrameworkCore")).Should().NotBeEmpty();
            var metrics = await receiver.WaitForAsync("/v1/metrics", "processserver.transitions");
            Contains(metrics, "processserver.transition.duration").Should().BeTrue();
            Contains(metrics, "processserver.write_gate.wait").Should().BeTrue();
            (await receiver.WaitForAsync("/v1/metrics", "processserver.outbox.backlog")).Should().NotBeEmpty();
        }

        receiver.Requests.Should().OnlyContain(r => r.ContentType == "application/x-protobuf");
    }

    [Fact]
    public async Task Without_an_endpoint_nothing_is_exported()
    {
        using var receiver = new OtlpReceiver();
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"), Path.Combine(_work.Folder, "appsettings.Development.json"));
        using (var server = HostProcess.Start(_work.Folder, "Development"))
        {
            await server.WaitUntilServingAsync();
            using var reporter = server.Client(Keys.Reporter);
            (await reporter.GetAsync("/odata/v1/Units")).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        receiver.Requests.Should().BeEmpty();
    }

    public void Dispose() => _work.Dispose();

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>A minimal OTLP/HTTP receiver: accepts every export with 200 and keeps the bodies.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public OtlpReceiver()
        {
            var port = FreePort();
            Root = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Root);
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Root { get; }

        public ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> Requests { get; } = new();

        private event Action? Received;

        public async Task<byte[]> WaitForAsync(string path, string text)
        {
            var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Check()
            {
                if (Requests.Any(r => r.Path == path && Contains(r.Body, text)))
                {
                    arrived.TrySetResult();
                }
            }

            Received += Check;
            try
            {
                Check();
                await arrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            finally
            {
                Received -= Check;
            }

            return Requests.First(r => r.Path == path && Contains(r.Body, text)).Body;
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Requests.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
                Received?.Invoke();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }
    }
}
