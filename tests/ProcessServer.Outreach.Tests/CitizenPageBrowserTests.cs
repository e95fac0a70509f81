using System.Net;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Outreach.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Outreach.Tests;

/// <summary>The public look-up page in Debian's headless Chromium, as an applicant uses it.</summary>
public sealed class CitizenPageBrowserTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ServerApp _app;
    private readonly string _baseUrl;

    public CitizenPageBrowserTests()
    {
        _app = new ServerApp(_database.DatabaseFile, new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero)),
            new Dictionary<string, string?> { ["ProcessServer:Deadlines:Enabled"] = "false" });
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
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
    public async Task The_link_of_the_receipts_QR_code_shows_the_dossier_and_takes_one_rating_and_a_wrong_secret_is_told_in_Vietnamese()
    {
        var (running, runningSecret) = await Citizen.ReceiveAsync(_app, "land-first-certificate");
        running = await CompleteAsync(_app, running, "check", "RequestSupplement", Keys.Land);
        var (done, secret) = await Citizen.ReceiveAsync(_app, "birth-registration");
        done = await CompleteAsync(_app, done, "register", "Done", Keys.Commune);
        done = await CompleteAsync(_app, done, "sign", "Done", Keys.Commune);
        done = await CompleteAsync(_app, done, "returnResult", "Done", Keys.Counter);
        var code = done["receiptCode"]!.GetValue<string>();

        var results = await Browser.RunAsync("lookup-page",
        [
            new { @do = "lookup", name = "01-supplement", url = $"{_baseUrl}/tra-cuu", receiptCode = running["receiptCode"]!.GetValue<string>(), secret = runningSecret },
            new { @do = "lookup", name = "02-qr-link-and-rating", url = $"{_baseUrl}/tra-cuu?ma={code}#k={secret}", rate = new { satisfied = "false", comment = "Phải chờ lâu ở quầy" } },
            new { @do = "lookup", name = "03-wrong-secret", url = $"{_baseUrl}/tra-cuu", receiptCode = code, secret = "ZZZZ-ZZZZ" },
        ]);

        var supplement = results[0]!;
        supplement["text"]!.GetValue<string>().Should().Contain("Yêu cầu bổ sung giấy tờ").And.Contain("check: RequestSupplement")
            .And.Contain("Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn");

        var closed = results[1]!;
        closed["text"]!.GetValue<string>().Should().Contain($"Hồ sơ {code}").And.Contain("Đã trả kết quả").And.Contain("Đúng hạn")
            .And.NotContain("Nguyễn Văn An", "the page shows nothing personal");
        closed["rated"]!.GetValue<string>().Should().StartWith("Ông/Bà đã đánh giá: Không hài lòng");
        closed["url"]!.GetValue<string>().Should().NotContain(secret, "the page takes the secret out of the address bar");

        var wrong = results[2]!;
        wrong["error"]!.GetValue<string>().Should().Be("Mã hồ sơ hoặc mã tra cứu không đúng. Xin kiểm tra lại trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.");

        await using var store = _app.OpenStore();
        var rating = store.Ratings.Single();
        (rating.Satisfied, rating.Comment).Should().Be((false, "Phải chờ lâu ở quầy"));
    }
}
