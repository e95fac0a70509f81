using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Outreach.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Outreach.Tests;

/// <summary>
/// Synchronisation to the national portal through the outbox, against a stand-in portal on a
/// loopback port: what is sent, in which order, what happens when the portal fails, and the
/// dead-letter list.
/// </summary>
public sealed class PortalSyncTests : OutreachTest
{
    [Fact]
    public async Task Every_change_of_national_status_reaches_the_portal_once_in_order_with_the_mapped_fields()
    {
        var dossier = await ReceiveAsync(App, "land-first-certificate");
        var code = dossier["receiptCode"]!.GetValue<string>();
        var expected = new List<int> { National(dossier) };
        async Task Step(string activity, string outcome, string key)
        {
            dossier = await CompleteAsync(App, dossier, activity, outcome, key);
            if (National(dossier) != expected[^1])
            {
                expected.Add(National(dossier));
            }
        }

        await Step("check", "RequestSupplement", Keys.Land);
        await Step("check", "SupplementReceived", Keys.Land);
        await Step("check", "Done", Keys.Land);
        await Step("taxNotice", "Done", Keys.Tax);
        await Step("communeConfirm", "Done", Keys.Commune);
        await Step("payment", "Paid", Keys.Counter);
        await Step("prepare", "Done", Keys.Land);
        await Step("sign", "Done", Keys.Commune);
        await Step("updateRecords", "Done", Keys.Land);
        await Step("returnResult", "Done", Keys.Counter);
        expected.Should().StartWith([2, 5]).And.EndWith([6, 4, 9, 10]);

        await Portal.WaitForAsync(a => a.Count(r => r.ReceiptCode == code) == expected.Count + 2, because: "the receipt record, a progress record per change and the result records after 9 and 10");
        var sent = Portal.Accepted.Where(r => r.ReceiptCode == code).ToList();
        sent.Select(r => $"{r.Service}:{r.NationalStatus}").Should().Equal(
            new[] { "DongBoHoSoMC:2" }
                .Concat(expected.Skip(1).SelectMany(s => s is 9 or 10 ? new[] { $"CapNhatTienDoHoSoMC:{s}", $"DongBoHoSoMC:{s}" } : [$"CapNhatTienDoHoSoMC:{s}"])));
        sent.Select(r => r.MessageId).Should().OnlyHaveUniqueItems("nothing is sent twice");

        var receipt = sent[0];
        receipt.Body["madonvi"]!.GetValue<string>().Should().Be("000.00.00.H55");
        receipt.Body["isUpdating"]!.GetValue<string>().Should().Be("False");
        receipt.Body["session"]!.GetValue<string>().Should().StartWith("session-", "the sender logged in with the configured account");
        var record = receipt.Record;
        record["MaTTHC"]!.GetValue<string>().Should().Be("1.012781", "the national procedure code comes from the definition");
        record["KenhThucHien"]!.GetValue<string>().Should().Be("1", "direct receipt is channel 1");
        record["NgayTiepNhan"]!.GetValue<string>().Should().Be("20250303080000", "instants are yyyyMMddHHmmss in Asia/Ho_Chi_Minh");
        record["NgayHenTra"]!.GetValue<string>().Should().MatchRegex(@"^2025\d{10}$");
        record["ChuHoSo"]!.GetValue<string>().Should().Be("Nguyễn Văn An");
        record["MaLinhVuc"]!.GetValue<string>().Should().Be("land");
        record["TenLinhVuc"]!.GetValue<string>().Should().Be("Đất đai");
        record["DonViXuLy"]!.GetValue<string>().Should().Be("Trung tâm Phục vụ hành chính công xã Bình Sơn");

        var supplement = sent[1].Record;
        supplement["TrangThai"]!.GetValue<string>().Should().Be("5");
        supplement["NguoiXuLy"]!.GetValue<string>().Should().Be("land-registry-binhson");
        supplement["PhongBanXuLy"]!.GetValue<string>().Should().Be("Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn");
        supplement["NoiDungXuLy"]!.GetValue<string>().Should().Be("check: RequestSupplement", "the clerk's comment");

        var returned = sent[^1];
        returned.Body["isUpdating"]!.GetValue<string>().Should().Be("True");
        returned.Record["NgayTra"]!.GetValue<string>().Should().MatchRegex(@"^2025\d{10}$");
        returned.Record["NgayKetThucXuLy"]!.GetValue<string>().Should().MatchRegex(@"^2025\d{10}$");

        using var admin = App.ClientFor(Keys.Admin);
        await Waits.UntilAsync(async () => (await Reconciliation(admin)).Count == 0, "every acknowledged status is the current one");
    }

    [Fact]
    public async Task A_portal_that_fails_and_answers_slowly_gets_every_message_of_every_dossier_in_order_and_never_two_different_contents()
    {
        Portal.FailNext(7);
        Portal.Delay = TimeSpan.FromMilliseconds(30);
        var dossiers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            var d = await ReceiveAsync(App, "birth-registration");
            d = await CompleteAsync(App, d, "register", "Done", Keys.Commune);
            d = await CompleteAsync(App, d, "sign", "Done", Keys.Commune);
            return await CompleteAsync(App, d, "returnResult", "Done", Keys.Counter);
        }));

        var codes = dossiers.Select(d => d["receiptCode"]!.GetValue<string>()).ToList();
        await Portal.WaitForAsync(a => codes.All(c => a.Count(r => r.ReceiptCode == c) == 6), within: TimeSpan.FromSeconds(60));
        foreach (var code in codes)
        {
            Portal.StatusesOf(code).Should().Equal(["2", "4", "9", "9", "10", "10"], $"dossier {code}'s messages arrive in the order of its changes");
        }

        Portal.Requests.Count(r => r.Status == 500).Should().Be(7, "the failures happened and were retried");
        foreach (var repeats in Portal.Requests.GroupBy(r => r.MessageId))
        {
            repeats.Select(r => r.Content).Distinct().Should().ContainSingle($"message {repeats.Key} was sent {repeats.Count()} times, always with the same content");
        }

        Portal.Accepted.Select(r => r.MessageId).Should().OnlyHaveUniqueItems("each message is accepted once");
    }

    [Fact]
    public async Task A_message_the_portal_keeps_refusing_is_dead_lettered_holds_back_its_dossier_only_and_is_delivered_after_an_administrators_replay()
    {
        var stuck = await ReceiveAsync(App, "birth-registration");
        var stuckCode = stuck["receiptCode"]!.GetValue<string>();
        await Portal.WaitForAsync(a => a.Any(r => r.ReceiptCode == stuckCode));
        Portal.FailDossier = stuckCode;
        stuck = await CompleteAsync(App, stuck, "register", "Done", Keys.Commune);
        stuck = await CompleteAsync(App, stuck, "sign", "Done", Keys.Commune);
        var other = await ReceiveAsync(App, "birth-registration");
        var otherCode = other["receiptCode"]!.GetValue<string>();
        await CompleteAsync(App, other, "register", "Done", Keys.Commune);

        using var admin = App.ClientFor(Keys.Admin);
        JsonObject? dead = null;
        await Waits.UntilAsync(async () =>
        {
            var page = JsonNode.Parse(await admin.GetStringAsync("/api/outbox?status=Dead&channel=Portal"))!["items"]!.AsArray();
            dead = page.Count > 0 ? page[0]!.AsObject() : null;
            return dead is not null;
        }, "the message the portal keeps failing moves to the dead-letter list");
        dead!["attempts"]!.GetValue<int>().Should().Be(4, "ProcessServer:Outbox:MaxAttempts is 4 in these tests");
        dead["lastError"]!.GetValue<string>().Should().Contain("HTTP 500");
        dead["dossierId"]!.GetValue<string>().Should().Be(stuck["id"]!.GetValue<string>());
        Portal.Requests.Count(r => r.ReceiptCode == stuckCode && r.Status == 500).Should().Be(4);

        await Portal.WaitForAsync(a => a.Count(r => r.ReceiptCode == otherCode) == 2, because: "other dossiers are not held back");
        Portal.StatusesOf(stuckCode).Should().Equal(["2"], "the later statuses of the stuck dossier wait behind the dead message, so the portal never sees them out of order");
        var reconciliation = await Reconciliation(admin);
        var item = reconciliation.Should().ContainSingle(i => i!["receiptCode"]!.GetValue<string>() == stuckCode).Subject!;
        item["currentStatus"]!.GetValue<int>().Should().Be(9);
        item["acknowledgedStatus"]!.GetValue<int>().Should().Be(2);
        item["deadMessages"]!.GetValue<int>().Should().Be(1);
        item["pendingMessages"]!.GetValue<int>().Should().Be(2, "the progress and result records of status 9 wait behind it");

        Portal.FailDossier = null;
        var replay = await admin.PostAsync($"/api/outbox/{dead["id"]}/replay", null);
        replay.StatusCode.Should().Be(HttpStatusCode.OK, await replay.Content.ReadAsStringAsync());
        await Portal.WaitForAsync(a => a.Count(r => r.ReceiptCode == stuckCode) == 4);
        Portal.StatusesOf(stuckCode).Should().Equal(["2", "4", "9", "9"]);
        await Waits.UntilAsync(async () => (await Reconciliation(admin)).Count == 0, "after the replay the portal has every dossier's current status");

        var again = await admin.PostAsync($"/api/outbox/{dead["id"]}/replay", null);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict, "a delivered message is not in the dead-letter list");
        (await admin.PostAsync("/api/outbox/no-such-message/replay", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        using var clerk = App.ClientFor(Keys.Counter);
        (await clerk.GetAsync("/api/outbox?status=Dead")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Content_the_portal_refuses_with_400_goes_to_the_dead_letter_list_at_the_first_try()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var code = dossier["receiptCode"]!.GetValue<string>();
        await Portal.WaitForAsync(a => a.Any(r => r.ReceiptCode == code));
        Portal.FailDossier = code;
        Portal.FailDossierWith = 400;
        await CompleteAsync(App, dossier, "register", "Done", Keys.Commune);

        using var admin = App.ClientFor(Keys.Admin);
        await Waits.UntilAsync(async () => JsonNode.Parse(await admin.GetStringAsync("/api/outbox?status=Dead"))!["items"]!.AsArray().Count == 1, "a refused payload is dead-lettered");
        Portal.Requests.Count(r => r.ReceiptCode == code && r.Status == 400).Should().Be(1, "retrying a payload the portal refuses cannot help");
    }

    [Fact]
    public async Task A_message_being_sent_when_the_server_stops_is_sent_again_with_the_same_content_after_the_restart()
    {
        Portal.Delay = TimeSpan.FromSeconds(20);
        var dossier = await ReceiveAsync(App, "birth-registration");
        var code = dossier["receiptCode"]!.GetValue<string>();
        await Waits.UntilAsync(() => Portal.Arrived > 0, "the sender is in the middle of the call");

        Restart();
        Portal.Delay = TimeSpan.Zero;
        using var admin = App.ClientFor(Keys.Admin);
        (await admin.GetAsync("/health")).EnsureSuccessStatusCode();
        await Portal.WaitForAsync(a => a.Any(r => r.ReceiptCode == code), because: "the message interrupted by the stop is sent by the new server");
        Portal.Requests.Where(r => r.ReceiptCode == code).Select(r => r.Content).Distinct().Should().ContainSingle("the first, interrupted call and the repeat carry the same content");
        Portal.Accepted.Count(r => r.ReceiptCode == code).Should().Be(1);
    }

    private static async Task<List<JsonNode?>> Reconciliation(HttpClient admin) =>
        JsonNode.Parse(await admin.GetStringAsync("/api/portal/reconciliation"))!["items"]!.AsArray().ToList();
}
