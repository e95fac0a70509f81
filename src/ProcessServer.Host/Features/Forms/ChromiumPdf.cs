using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace ProcessServer.Host.Features.Forms;

/// <summary>Printing forms (configuration <c>ProcessServer:Forms</c>).</summary>
public sealed class FormOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Forms";

    /// <summary>Debian's Chromium, which prints the forms to PDF (package <c>chromium</c>).</summary>
    public string ChromiumPath { get; set; } = "/usr/bin/chromium";

    /// <summary>How long one print may take.</summary>
    public TimeSpan PrintTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Prints at the same time (each is a browser process).</summary>
    public int ConcurrentPrints { get; set; } = 2;

    /// <summary>Place name on the forms' date line, e.g. "Bình Sơn" ("Bình Sơn, ngày 03 tháng 03 năm 2025").</summary>
    public string Place { get; set; } = string.Empty;
}

/// <summary>Chromium is not installed where the configuration says.</summary>
public sealed class PdfPrinterMissingException(string message) : Exception(message);

/// <summary>
/// Prints an HTML page to PDF with Debian's headless Chromium (<c>--print-to-pdf</c>): the page's
/// own print CSS (@page size and margins) lays it out, exactly as a clerk printing it from the
/// browser would get. Each print uses a fresh profile folder, so prints do not share state.
/// </summary>
public sealed class ChromiumPdf(IOptionsMonitor<FormOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.CurrentValue.ConcurrentPrints));

    /// <summary>The PDF of a complete HTML document.</summary>
    public async Task<byte[]> PrintAsync(string html, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (!File.Exists(settings.ChromiumPath))
        {
            throw new PdfPrinterMissingException(
                $"PDF printing needs Debian's Chromium at {settings.ChromiumPath} (apt-get install chromium), or ProcessServer:Forms:ChromiumPath set to where it is. The HTML form prints from any browser meanwhile.");
        }

        await _slots.WaitAsync(cancellationToken);
        var folder = Path.Combine(Path.GetTempPath(), "processserver-print-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var page = Path.Combine(folder, "form.html");
            var pdf = Path.Combine(folder, "form.pdf");
            await File.WriteAllTextAsync(page, html, cancellationToken);
            var start = new ProcessStartInfo(settings.ChromiumPath)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-extensions",
                         "--no-first-run", "--no-pdf-header-footer", $"--user-data-dir={Path.Combine(folder, "profile")}",
                         $"--print-to-pdf={pdf}", new Uri(page).AbsoluteUri,
                     })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new PdfPrinterMissingException($"{settings.ChromiumPath} could not be started.");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.PrintTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"Chromium did not print the form within {settings.PrintTimeout}.");
            }

            await Task.WhenAll(output, errors);
            if (!File.Exists(pdf))
            {
                throw new InvalidOperationException($"Chromium exited with {process.ExitCode} without a PDF: {await errors}");
            }

            return await File.ReadAllBytesAsync(pdf, cancellationToken);
        }
        finally
        {
            _slots.Release();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A profile file still held by a dying browser; the temporary folder is cleaned by the system.
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
