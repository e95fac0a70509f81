using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Outreach.Tests.Support;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Outreach.Tests;

/// <summary>
/// The official forms 01–05 printed through Debian's headless Chromium: each as the page a clerk
/// prints from the browser (screenshot, text, QR code read back from the image) and as the PDF the
/// server prints (text, paper size, QR code read back from the PDF's image).
/// </summary>
public sealed class FormTests : IDisposable
{
    private const string PublicUrl = "https://dichvucong.quangngai.example.vn/tra-cuu";

    private readonly TempDatabase _database = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private readonly ServerApp _app;
    private readonly string _baseUrl;

    public FormTests()
    {
        _app = new ServerApp(_database.DatabaseFile, _clock, new Dictionary<string, string?>
        {
            ["ProcessServer:Lookup:PublicUrl"] = PublicUrl,
            ["ProcessServer:Forms:Place"] = "Bình Sơn",
            ["ProcessServer:Deadlines:Enabled"] = "false",
        });
        var port = FreePort();
        _app.UseKestrel(port);
        _app.StartServer();
        _baseUrl = $"http://127.0.0.1:{port}";
    }

    public void Dispose()
    {
        _app.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task Each_form_prints_in_Vietnamese_as_a_page_and_as_a_PDF_with_its_text_and_the_receipt_carries_a_QR_of_the_lookup_link()
    {
        var (land, secret) = await Citizen.ReceiveAsync(_app, "land-first-certificate");
        var code = land["receiptCode"]!.GetValue<string>();
        land = await CompleteAsync(_app, land, "check", "RequestSupplement", Keys.Land);
        land = await CompleteAsync(_app, land, "check", "SupplementReceived", Keys.Land);
        land = await CompleteAsync(_app, land, "check", "Done", Keys.Land);
        land = await ApologizeAsync(land, Keys.Tax, "chờ kết quả xác minh nghĩa vụ tài chính");
        foreach (var (activity, outcome, key) in new[]
                 {
                     ("taxNotice", "Done", Keys.Tax), ("communeConfirm", "Done", Keys.Commune), ("payment", "Paid", Keys.Counter),
                     ("prepare", "Done", Keys.Land), ("sign", "Done", Keys.Commune), ("updateRecords", "Done", Keys.Land), ("returnResult", "Done", Keys.Counter),
                 })
        {
            _clock.Advance(TimeSpan.FromHours(2));
            land = await CompleteAsync(_app, land, activity, outcome, key);
        }

        var (refused, _) = await Citizen.ReceiveAsync(_app, "land-first-certificate");
        refused = await CompleteAsync(_app, refused, "check", "Reject", Keys.Land);

        using var counter = _app.ClientFor(Keys.Counter);
        using var admin = _app.ClientFor(Keys.Admin);
        var form01 = await counter.PostAsJsonAsync($"/api/dossiers/{land["id"]}/forms/01", new { secret });
        form01.StatusCode.Should().Be(HttpStatusCode.OK, await form01.Content.ReadAsStringAsync());
        form01.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        form01.Headers.Contains("Lookup-Secret").Should().BeFalse("printing with the receipt's secret issues no new one");
        var html01 = await form01.Content.ReadAsStringAsync();
        var pdf01 = await counter.PostAsJsonAsync($"/api/dossiers/{land["id"]}/forms/01?format=pdf", new { secret });
        pdf01.Content.Headers.ContentType!.MediaType.Should().Be("application/pdf");

        var forms = new (string Number, string Dossier)[] { ("02", land["id"]!.GetValue<string>()), ("03", refused["id"]!.GetValue<string>()), ("04", land["id"]!.GetValue<string>()), ("05", land["id"]!.GetValue<string>()) };
        var pdfs = new Dictionary<string, byte[]> { ["01"] = await pdf01.Content.ReadAsByteArrayAsync() };
        foreach (var (number, dossier) in forms)
        {
            var pdf = await admin.GetAsync($"/api/dossiers/{dossier}/forms/{number}?format=pdf");
            pdf.StatusCode.Should().Be(HttpStatusCode.OK, await pdf.Content.ReadAsStringAsync());
            pdfs[number] = await pdf.Content.ReadAsByteArrayAsync();
        }

        var qrFile = Path.Combine(_database.Folder, "form-01-pdf-qr.png");
        await File.WriteAllBytesAsync(qrFile, PdfQrImage(pdfs["01"]));
        var steps = new List<object> { new { @do = "page", name = "form-01", url = $"{_baseUrl}/forms/forms.css", html = html01 } };
        steps.AddRange(forms.Select(f => (object)new { @do = "page", name = $"form-{f.Number}", url = $"{_baseUrl}/api/dossiers/{f.Dossier}/forms/{f.Number}", headers = new Dictionary<string, string> { ["X-Api-Key"] = Keys.Admin } }));
        steps.Add(new { @do = "decode", name = "form-01-pdf-qr", file = qrFile });
        var results = (await Browser.RunAsync("forms", steps)).ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!.AsObject());

        var link = $"{PublicUrl}?ma={code}#k={secret}";
        results["form-01"]["qr"]!.GetValue<string>().Should().Be(link, "the QR code on the printed receipt opens the look-up page with the code and the secret");
        results["form-01-pdf-qr"]["qr"]!.GetValue<string>().Should().Be(link, "the PDF carries the same QR code");
        var appointment = _app.Services.GetRequiredService<ProcessServer.Host.Infrastructure.VietnamTime>().ToLocal(land["time"]!["appointmentAt"]!.GetValue<DateTime>());
        var expected = new Dictionary<string, string[]>
        {
            ["form-01"] = ["GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", $"Mã hồ sơ: {code}", secret, "Nguyễn Văn An", "Thời gian nhận hồ sơ: 08 giờ 00 phút, ngày 03/03/2025",
                $"Thời gian trả kết quả giải quyết hồ sơ: {appointment:HH} giờ {appointment:mm} phút, ngày {appointment:dd/MM/yyyy}", "Bình Sơn, ngày 03 tháng 03 năm 2025", "NGƯỜI TIẾP NHẬN HỒ SƠ"],
            ["form-02"] = ["PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", code, "check: RequestSupplement"],
            ["form-03"] = ["PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", refused["receiptCode"]!.GetValue<string>(), "check: Reject"],
            ["form-04"] = ["PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "chờ kết quả xác minh nghĩa vụ tài chính", "hẹn lại thời gian trả kết quả"],
            ["form-05"] = ["PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Tiếp nhận hồ sơ", "Yêu cầu bổ sung", "land-registry-binhson", "Thuế tỉnh Quảng Ngãi",
                "Người nộp hồ sơ (trả kết quả)", "Trước hạn", "Kết quả giải quyết hồ sơ"],
        };
        foreach (var (form, phrases) in expected)
        {
            var pageText = results[form]["text"]!.GetValue<string>();
            var pdfText = PdfText(pdfs[form[^2..]]);
            foreach (var phrase in phrases)
            {
                pageText.Should().Contain(phrase, $"{form} as printed from the browser");
                Squeeze(pdfText).Should().Contain(Squeeze(phrase), $"{form} as PDF");
            }
        }

        PageWidth(pdfs["01"]).Should().BeApproximately(419.5, 2, "the receipt slip is A5");
        foreach (var form in new[] { "02", "03", "04" })
        {
            PageWidth(pdfs[form]).Should().BeApproximately(595.3, 2, $"form {form} is A4");
        }

        PageWidth(pdfs["05"]).Should().BeApproximately(841.9, 2, "the control slip's table is printed on A4 landscape");

        var slip = results["form-05"]["text"]!.GetValue<string>();
        foreach (var step in land["journal"]!.AsArray().Where(e => e!["type"]!.GetValue<string>() == "TaskCompleted"))
        {
            slip.Should().Contain(step!["activityName"]!.GetValue<string>(), "every hand-over is a line of the control slip");
        }

        if (Environment.GetEnvironmentVariable("PROCESSSERVER_UPDATE_DOCS") == "1")
        {
            var docs = Path.Combine(NodeTools.ProjectFolder, "..", "..", "docs");
            File.Copy(results["form-01"]["shot"]!.GetValue<string>(), Path.Combine(docs, "form-01.png"), overwrite: true);
            File.Copy(results["form-05"]["shot"]!.GetValue<string>(), Path.Combine(docs, "form-05.png"), overwrite: true);
        }
    }

    [Fact]
    public async Task Printing_the_receipt_without_its_secret_issues_a_new_one_and_the_old_one_stops_working()
    {
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "birth-registration");
        using var counter = _app.ClientFor(Keys.Counter);
        var reprint = await counter.PostAsync($"/api/dossiers/{dossier["id"]}/forms/01", null);
        reprint.StatusCode.Should().Be(HttpStatusCode.OK);
        var fresh = reprint.Headers.GetValues("Lookup-Secret").Single();
        fresh.Should().NotBe(secret);
        (await reprint.Content.ReadAsStringAsync()).Should().Contain(fresh);
        (await Citizen.LookupRawAsync(_app, dossier["receiptCode"]!.GetValue<string>(), secret)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Citizen.LookupRawAsync(_app, dossier["receiptCode"]!.GetValue<string>(), fresh)).StatusCode.Should().Be(HttpStatusCode.OK);

        var wrong = await counter.PostAsJsonAsync($"/api/dossiers/{dossier["id"]}/forms/01", new { secret });
        wrong.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "the old secret is no longer this dossier's");
        using var land = _app.ClientFor(Keys.Land);
        (await land.PostAsync($"/api/dossiers/{dossier["id"]}/forms/01", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "another unit neither sees nor prints the receipt");
        (await counter.GetAsync($"/api/dossiers/{dossier["id"]}/forms/04")).StatusCode.Should().Be(HttpStatusCode.Conflict, "no apology was issued");
        (await counter.GetAsync($"/api/dossiers/{dossier["id"]}/forms/07")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_application_refused_at_the_counter_prints_form_03_with_its_reason_as_a_PDF()
    {
        using var counter = _app.ClientFor(Keys.Counter);
        var refused = await counter.PostAsJsonAsync("/api/dossiers/refusals", new
        {
            procedureCode = "land-first-certificate",
            applicant = new { name = "Trần Thị Bình", idNumber = "051090009876", phone = "0905000111" },
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
            reason = "Thiếu bản sao giấy tờ về quyền sử dụng đất",
        });
        var body = await refused.Content.ReadAsStringAsync();
        refused.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var dossier = JsonNode.Parse(body)!;

        var pdf = await counter.GetAsync($"/api/dossiers/{dossier["id"]}/forms/03?format=pdf");
        pdf.StatusCode.Should().Be(HttpStatusCode.OK, await pdf.Content.ReadAsStringAsync());
        var text = Squeeze(PdfText(await pdf.Content.ReadAsByteArrayAsync()));
        foreach (var phrase in new[] { "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", dossier["receiptCode"]!.GetValue<string>(), "Trần Thị Bình",
                     "không đủ điều kiện để tiếp nhận", "Thiếu bản sao giấy tờ về quyền sử dụng đất", "Hồ sơ không được tiếp nhận" })
        {
            text.Should().Contain(Squeeze(phrase));
        }

        var slip = await (await counter.GetAsync($"/api/dossiers/{dossier["id"]}/forms/05")).Content.ReadAsStringAsync();
        slip.Should().Contain("Từ chối tiếp nhận hồ sơ").And.Contain("Thiếu bản sao giấy tờ về quyền sử dụng đất");
    }

    private async Task<JsonObject> ApologizeAsync(JsonObject dossier, string key, string reason)
    {
        using var client = _app.ClientFor(key);
        var due = dossier["time"]!["dueAt"]!.GetValue<DateTime>();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{dossier["id"]}/apology")
        {
            Content = JsonContent.Create(new { newDueAt = due.AddDays(5), reason }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]}\"");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private static string PdfText(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        return string.Join("\n", document.GetPages().Select(page => ContentOrderTextExtractor.GetText(page)));
    }

    private static double PageWidth(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        return document.GetPage(1).Width;
    }

    private static byte[] PdfQrImage(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        var image = document.GetPages().SelectMany(p => p.GetImages()).Should().ContainSingle("the receipt has one picture, its QR code").Subject;
        image.TryGetPng(out var png).Should().BeTrue("the QR image can be read back from the PDF");
        return png!;
    }

    private static string Squeeze(string text) => new(text.Normalize(NormalizationForm.FormC).Where(c => !char.IsWhiteSpace(c)).ToArray());

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
