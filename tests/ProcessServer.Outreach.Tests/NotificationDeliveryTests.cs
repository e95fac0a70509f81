using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Outreach.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Outreach.Tests;

/// <summary>
/// Messages that reach people: applicants' and officers' e-mails through a real SMTP server on a
/// loopback port (npm smtp-server) and SMS through a stand-in HTTP gateway, with the outbox's
/// retries and dead-letter list.
/// </summary>
public sealed class NotificationDeliveryTests : IAsyncLifetime, IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private LocalSmtpServer _smtp = null!;
    private StandInGateway _gateway = null!;
    private ServerApp _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await LocalSmtpServer.StartAsync(failFirst: 2);
        _gateway = await StandInGateway.StartAsync();
        _app = new ServerApp(_database.DatabaseFile, _clock, new Dictionary<string, string?>
        {
            ["ProcessServer:Notifications:Email:Host"] = "127.0.0.1",
            ["ProcessServer:Notifications:Email:Port"] = _smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ProcessServer:Notifications:Email:Security"] = "None",
            ["ProcessServer:Notifications:Email:From"] = "motcua@binhson.example.vn",
            ["ProcessServer:Notifications:Gateway:Url"] = _gateway.Url,
            ["ProcessServer:Notifications:Gateway:ApiKey"] = StandInGateway.ApiKey,
            ["ProcessServer:Notifications:Gateway:Channel"] = "zalo",
            ["ProcessServer:Lookup:PublicUrl"] = "https://dichvucong.binhson.example.vn/tra-cuu",
            ["ProcessServer:Notifications:Units:VPDKDD-BINHSON:Officers:0:Name"] = "Lê Văn Địa",
            ["ProcessServer:Notifications:Units:VPDKDD-BINHSON:Officers:0:Email"] = "dia.lv@binhson.example.vn",
            ["ProcessServer:Notifications:Units:VPDKDD-BINHSON:Officers:0:Phone"] = "0905111222",
            ["ProcessServer:Notifications:Units:VPDKDD-BINHSON:Leaders:0:Name"] = "Phạm Thị Trưởng",
            ["ProcessServer:Notifications:Units:VPDKDD-BINHSON:Leaders:0:Email"] = "truong.pt@binhson.example.vn",
            ["ProcessServer:Deadlines:Enabled"] = "false",
            ["ProcessServer:Outbox:MaxAttempts"] = "5",
            ["ProcessServer:Outbox:FirstRetryDelay"] = "00:00:00.050",
            ["ProcessServer:Outbox:MaxRetryDelay"] = "00:00:00.200",
            ["ProcessServer:Outbox:PollInterval"] = "00:00:00.100",
        });
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        _smtp.Dispose();
        await _gateway.DisposeAsync();
        _database.Dispose();
    }

    public void Dispose()
    {
        // Disposed in DisposeAsync; xUnit calls both.
    }

    [Fact]
    public async Task The_applicant_is_told_in_Vietnamese_of_receipt_supplement_request_apology_and_result_by_email_and_by_a_gateway_that_fails_then_recovers()
    {
        _gateway.FailNext(3);
        var dossier = await ReceiveWithContactsAsync();
        var code = dossier["receiptCode"]!.GetValue<string>();
        dossier = await CompleteAsync(_app, dossier, "register", "RequestSupplement", Keys.Commune);
        dossier = await CompleteAsync(_app, dossier, "register", "SupplementReceived", Keys.Commune);
        using (var commune = _app.ClientFor(Keys.Commune))
        {
            using var apology = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{dossier["id"]}/apology")
            {
                Content = JsonContent.Create(new { newDueAt = "2025-03-05T09:00:00Z", reason = "cần xác minh thêm thông tin khai sinh" }),
            };
            apology.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]}\"");
            apology.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            var response = await commune.SendAsync(apology);
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            dossier = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        }

        dossier = await CompleteAsync(_app, dossier, "register", "Done", Keys.Commune);
        await CompleteAsync(_app, dossier, "sign", "Done", Keys.Commune);

        await Waits.UntilAsync(() => _smtp.Mails.Count == 4 && _gateway.Delivered.Count == 4, "four e-mails and four Zalo messages reach the applicant");
        _smtp.Mails.Select(m => m["subject"]!.GetValue<string>()).Should().Equal(
            $"Tiếp nhận hồ sơ {code}",
            $"Yêu cầu bổ sung hồ sơ {code}",
            $"Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
            $"Đã có kết quả hồ sơ {code}");
        _smtp.Mails.Should().OnlyContain(m => m["to"]!.GetValue<string>() == "binh.tt@example.vn" && m["from"]!.GetValue<string>().Contains("motcua@binhson.example.vn"));
        var receipt = _smtp.Mails[0]["text"]!.GetValue<string>();
        receipt.Should().Contain("Kính gửi Ông/Bà Trần Thị Bình").And.Contain("Ngày hẹn trả kết quả: 17:00 ngày 03/03/2025")
            .And.Contain("https://dichvucong.binhson.example.vn/tra-cuu");
        _smtp.Mails[1]["text"]!.GetValue<string>().Should().Contain("register: RequestSupplement", "the clerk's reason is quoted");
        _smtp.Mails[2]["text"]!.GetValue<string>().Should().Contain("cần xác minh thêm thông tin khai sinh").And.Contain("16:00 ngày 05/03/2025");
        _smtp.Refused.Should().HaveCount(2, "the SMTP server refused the first tries with 451 and the mails were sent again");

        _gateway.Requests.Count(r => r.Status == 503).Should().Be(3, "the gateway failed three times, then recovered");
        _gateway.Delivered.Select(b => b["kind"]!.GetValue<string>()).Should().Equal("Receipt", "SupplementRequested", "Apology", "ResultReady");
        _gateway.Delivered.Should().OnlyContain(b => b["to"]!.GetValue<string>() == "0905000111" && b["channel"]!.GetValue<string>() == "zalo");
        _gateway.Delivered[0]["text"]!.GetValue<string>().Should().Contain(code).And.Contain("17:00 ngày 03/03/2025");
        _gateway.Requests.Should().OnlyContain(r => r.Authorization == $"Bearer {StandInGateway.ApiKey}");
        _gateway.Requests.GroupBy(r => r.Body["messageId"]!.GetValue<string>())
            .Should().OnlyContain(g => g.Select(r => r.Body["text"]!.GetValue<string>()).Distinct().Count() == 1, "a retried message has the same text");
    }

    [Fact]
    public async Task Officers_are_told_of_a_warning_and_officers_and_leaders_of_an_overdue_step_and_the_notification_is_marked_delivered()
    {
        var dossier = await ReceiveAsync(_app, "land-first-certificate");
        var task = OpenTask(dossier, "check");
        var warnAt = task["warnAt"]!.GetValue<DateTime>();
        var dueAt = task["dueAt"]!.GetValue<DateTime>();

        _clock.Set(warnAt);
        await SweepAsync();
        IReadOnlyList<JsonObject> Zalo() => _gateway.Delivered.Where(b => b["kind"]!.GetValue<string>() != "Receipt").ToList();
        await Waits.UntilAsync(() => _smtp.Mails.Count == 1 && Zalo().Count == 1, "the officer gets the warning by e-mail and Zalo");

        // The stand-ins record a message before the sender has marked it sent; moving the clock
        // past the claim's lease before that would hand the message to the next round again.
        await SentOnlyAsync();
        _clock.Set(dueAt.AddMinutes(1));
        await SweepAsync();
        await Waits.UntilAsync(() => _smtp.Mails.Count == 3 && Zalo().Count == 2, "the officer and the leader get the overdue event; the leader has no phone");

        _smtp.Mails[0]["subject"]!.GetValue<string>().Should().Be($"Sắp đến hạn: {task["title"]} – hồ sơ {dossier["receiptCode"]}");
        Zalo().Select(z => (z["kind"]!.GetValue<string>(), z["to"]!.GetValue<string>())).Should().Equal(("Warning", "0905111222"), ("Overdue", "0905111222"));
        _smtp.Mails[0]["to"]!.GetValue<string>().Should().Be("dia.lv@binhson.example.vn");
        _smtp.Mails.Skip(1).Select(m => m["to"]!.GetValue<string>()).Should().BeEquivalentTo("dia.lv@binhson.example.vn", "truong.pt@binhson.example.vn");
        _smtp.Mails.Skip(1).Should().OnlyContain(m => m["subject"]!.GetValue<string>().StartsWith("Quá hạn:", StringComparison.Ordinal));
        _smtp.Mails[2]["text"]!.GetValue<string>().Should().Contain(dossier["receiptCode"]!.GetValue<string>());

        using var leader = _app.ClientFor(Keys.Land);
        await Waits.UntilAsync(async () =>
        {
            var feed = JsonNode.Parse(await leader.GetStringAsync("/api/notifications?unit=VPDKDD-BINHSON"))!["items"]!.AsArray();
            return feed.Count == 2 && feed.All(n => n!["deliveredAt"] is not null);
        }, "each notification is marked delivered once all its messages are");
    }

    [Fact]
    public async Task A_gateway_that_stays_down_dead_letters_the_SMS_while_the_email_goes_and_a_replay_delivers_it_after_recovery()
    {
        _gateway.Down = true;
        await ReceiveWithContactsAsync();
        using var admin = _app.ClientFor(Keys.Admin);
        JsonObject? dead = null;
        await Waits.UntilAsync(async () =>
        {
            var items = JsonNode.Parse(await admin.GetStringAsync("/api/outbox?status=Dead&channel=Sms"))!["items"]!.AsArray();
            dead = items.Count == 1 ? items[0]!.AsObject() : null;
            return dead is not null;
        }, "after five tries the SMS is in the dead-letter list shared with the portal");
        dead!["attempts"]!.GetValue<int>().Should().Be(5);
        dead["lastError"]!.GetValue<string>().Should().Contain("HTTP 503");
        await Waits.UntilAsync(() => _smtp.Mails.Count == 1, "the e-mail does not wait for the SMS");

        _gateway.Down = false;
        (await admin.PostAsync($"/api/outbox/{dead["id"]}/replay", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        await Waits.UntilAsync(() => _gateway.Delivered.Count == 1, "the replayed SMS is delivered");
        await SentOnlyAsync();
        var sent = JsonNode.Parse(await admin.GetStringAsync($"/api/outbox?channel=Sms&status=Sent"))!["items"]!.AsArray().Single()!;
        sent["replayedBy"]!.GetValue<string>().Should().Be("admin");
    }

    private async Task<JsonObject> ReceiveWithContactsAsync()
    {
        using var counter = _app.ClientFor(Keys.Counter);
        var response = await counter.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = new { name = "Trần Thị Bình", idNumber = "051190004321", phone = "0905000111", email = "binh.tt@example.vn" },
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Waits until no e-mail or SMS message is still pending (the sender has recorded every delivery).</summary>
    private async Task SentOnlyAsync()
    {
        using var admin = _app.ClientFor(Keys.Admin);
        await Waits.UntilAsync(async () =>
        {
            foreach (var channel in new[] { "Email", "Sms" })
            {
                var pending = JsonNode.Parse(await admin.GetStringAsync($"/api/outbox?status=Pending&channel={channel}"))!["items"]!.AsArray();
                if (pending.Count > 0)
                {
                    return false;
                }
            }

            return true;
        }, "the sender records each delivery as sent");
    }

    private async Task SweepAsync()
    {
        using var scope = _app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<DeadlineSweeper>().SweepAsync();
    }
}
