using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>
/// A real SMTP server (npm smtp-server, run with node) on a loopback port; collects the messages it
/// accepts. Can refuse the first recipients with a temporary 451 reply.
/// </summary>
public sealed class LocalSmtpServer : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonObject> _mails = new();
    private readonly ConcurrentQueue<string> _refused = new();

    private LocalSmtpServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Messages accepted: {from, to, subject, text, messageId}.</summary>
    public IReadOnlyList<JsonObject> Mails => _mails.ToArray();

    /// <summary>Recipients refused with 451.</summary>
    public IReadOnlyList<string> Refused => _refused.ToArray();

    public static async Task<LocalSmtpServer> StartAsync(int failFirst = 0)
    {
        NodeTools.Require("smtp-server");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = NodeTools.Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("smtp.mjs");
        start.ArgumentList.Add($"{{\"failFirst\":{failFirst}}}");
        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started; install Node.js.");
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalSmtpServer? server = null;
        var early = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("the SMTP server ended"));
                return;
            }

            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(int.Parse(e.Data["LISTENING ".Length..], CultureInfo.InvariantCulture));
            }
            else if (server is null)
            {
                early.Enqueue(e.Data);
            }
            else
            {
                server.Read(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        server = new LocalSmtpServer(process, port);
        while (early.TryDequeue(out var line))
        {
            server.Read(line);
        }

        return server;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void Read(string line)
    {
        if (line.StartsWith("MAIL ", StringComparison.Ordinal))
        {
            _mails.Enqueue(JsonNode.Parse(line["MAIL ".Length..])!.AsObject());
        }
        else if (line.StartsWith("REFUSED ", StringComparison.Ordinal))
        {
            _refused.Enqueue(line["REFUSED ".Length..]);
        }
    }
}
