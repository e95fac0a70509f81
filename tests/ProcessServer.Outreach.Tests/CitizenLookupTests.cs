using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Outreach.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Outreach.Tests;

/// <summary>The citizens' look-up and rating through real HTTP.</summary>
public sealed class CitizenLookupTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private ServerApp _app;

    public CitizenLookupTests() => _app = Server(permits: 1000);

    public void Dispose()
    {
        _app.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task The_applicant_sees_the_status_in_words_who_holds_the_dossier_the_appointment_and_the_supplement_asked_for_and_nothing_personal()
    {
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "land-first-certificate");
        secret.Should().MatchRegex("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$");

        var view = await Citizen.LookupAsync(_app, dossier, secret);
        view["status"]!["code"]!.GetValue<int>().Should().Be(2);
        view["status"]!["text"]!.GetValue<string>().Should().Be("Được tiếp nhận");
        view["receivedAt"]!.GetValue<string>().Should().Be("08:00 ngày 03/03/2025");
        view["appointmentAt"]!.GetValue<string>().Should().EndWith("/2025");
        var holder = view["heldBy"]!.AsArray().Should().ContainSingle().Subject!;
        holder["agency"]!.GetValue<string>().Should().Be("Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn");
        view["summary"]!.GetValue<string>().Should().StartWith("Hồ sơ đang được giải quyết tại: Chi nhánh Văn phòng Đăng ký đất đai");
        var text = view.ToJsonString();
        text.Should().NotContain("Nguyễn Văn An").And.NotContain("051090001234").And.NotContain("0905123456", "nothing personal is shown");

        dossier = await CompleteAsync(_app, dossier, "check", "RequestSupplement", Keys.Land);
        view = await Citizen.LookupAsync(_app, dossier, secret);
        view["status"]!["text"]!.GetValue<string>().Should().Be("Yêu cầu bổ sung giấy tờ");
        view["supplement"]!["request"]!.GetValue<string>().Should().Be("check: RequestSupplement", "the handler's words on what is missing");
        view["supplement"]!["agency"]!.GetValue<string>().Should().Be("Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn");
        view["summary"]!.GetValue<string>().Should().StartWith("Hồ sơ cần bổ sung, hoàn thiện.");
        view["rating"]!["canRate"]!.GetValue<bool>().Should().BeFalse();

        var lowerCase = await Citizen.LookupRawAsync(_app, dossier["receiptCode"]!.GetValue<string>().ToLowerInvariant(), secret.Replace("-", " ", StringComparison.Ordinal).ToLowerInvariant());
        lowerCase.StatusCode.Should().Be(HttpStatusCode.OK, "codes are read whatever the case and separators the applicant types");
    }

    [Fact]
    public async Task A_wrong_secret_and_a_wrong_receipt_code_get_the_same_answer()
    {
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "birth-registration");
        var code = dossier["receiptCode"]!.GetValue<string>();
        var wrongSecret = await Citizen.LookupRawAsync(_app, code, secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A'));
        var wrongCode = await Citizen.LookupRawAsync(_app, code[..^1] + (code[^1] == '9' ? '8' : '9'), secret);
        var idNumber = await Citizen.LookupRawAsync(_app, code, "051090001234");

        foreach (var response in new[] { wrongSecret, wrongCode, idNumber })
        {
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        static string WithoutTrace(string body)
        {
            var json = JsonNode.Parse(body)!.AsObject();
            json.Remove("traceId");
            return json.ToJsonString();
        }

        var bodies = new[] { wrongSecret, wrongCode, idNumber }.Select(r => WithoutTrace(r.Content.ReadAsStringAsync().Result)).ToList();
        bodies.Distinct().Should().ContainSingle("the answer does not tell whether the code or the secret was wrong");
        JsonNode.Parse(bodies[0])!["detail"]!.GetValue<string>().Should().StartWith("Mã hồ sơ hoặc mã tra cứu không đúng");

        using var client = _app.ClientFor(null);
        var missing = await client.PostAsync("/api/public/lookup", new StringContent("{\"receiptCode\":\"\"}", System.Text.Encoding.UTF8, "application/json"));
        missing.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await missing.Content.ReadAsStringAsync()).Should().Contain("receiptCode").And.Contain("secret");
    }

    [Fact]
    public async Task A_closed_dossier_shows_its_result_and_is_rated_once_after_the_result_was_returned()
    {
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "birth-registration");
        dossier = await CompleteAsync(_app, dossier, "register", "Done", Keys.Commune);
        dossier = await CompleteAsync(_app, dossier, "sign", "Done", Keys.Commune);

        var ready = await Citizen.LookupAsync(_app, dossier, secret);
        ready["status"]!["text"]!.GetValue<string>().Should().Be("Đã xử lý xong");
        ready["result"]!["where"]!.GetValue<string>().Should().Be("Mời Ông/Bà nhận kết quả tại Trung tâm Phục vụ hành chính công xã Bình Sơn.");
        ready["result"]!["verdict"]!.GetValue<string>().Should().Be("Đúng hạn", "a same-day procedure finished on its day");
        var early = await Citizen.RateAsync(_app, dossier, secret, satisfied: true);
        early.StatusCode.Should().Be(HttpStatusCode.Conflict, "rating comes after the result is returned");
        (await early.Content.ReadAsStringAsync()).Should().Contain("sau khi đã nhận kết quả");

        dossier = await CompleteAsync(_app, dossier, "returnResult", "Done", Keys.Counter);
        var closed = await Citizen.LookupAsync(_app, dossier, secret);
        closed["status"]!["text"]!.GetValue<string>().Should().Be("Đã trả kết quả");
        closed["heldBy"]!.AsArray().Should().BeEmpty();
        closed["result"]!["returnedAt"]!.GetValue<string>().Should().Be("08:00 ngày 03/03/2025");
        closed["rating"]!["canRate"]!.GetValue<bool>().Should().BeTrue();

        var wrong = await Citizen.RateAsync(_app, dossier, "AAAA-AAAA", satisfied: false);
        wrong.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var rated = await Citizen.RateAsync(_app, dossier, secret, satisfied: false, comment: "Phải đi lại hai lần");
        rated.StatusCode.Should().Be(HttpStatusCode.Created, await rated.Content.ReadAsStringAsync());
        var again = await Citizen.RateAsync(_app, dossier, secret, satisfied: true);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.Content.ReadAsStringAsync()).Should().Contain("chỉ được đánh giá một lần");

        var after = await Citizen.LookupAsync(_app, dossier, secret);
        after["rating"]!["canRate"]!.GetValue<bool>().Should().BeFalse();
        after["rating"]!["satisfied"]!.GetValue<bool>().Should().BeFalse();
        await using var store = _app.OpenStore();
        var row = store.Ratings.Single();
        (row.Satisfied, row.Comment, row.UnitCode, row.FieldCode).Should().Be((false, "Phải đi lại hai lần", "HCC-BINHSON", "civil-status"));
    }

    [Fact]
    public async Task Ratings_are_in_the_OData_feed_and_counted_in_the_period_report_of_the_month_they_were_given()
    {
        async Task<(JsonObject Dossier, string Secret)> ReturnedAsync()
        {
            var (dossier, secret) = await Citizen.ReceiveAsync(_app, "birth-registration");
            dossier = await CompleteAsync(_app, dossier, "register", "Done", Keys.Commune);
            dossier = await CompleteAsync(_app, dossier, "sign", "Done", Keys.Commune);
            return (await CompleteAsync(_app, dossier, "returnResult", "Done", Keys.Counter), secret);
        }

        var (first, firstSecret) = await ReturnedAsync();
        var (second, secondSecret) = await ReturnedAsync();
        var (third, thirdSecret) = await ReturnedAsync();
        (await Citizen.RateAsync(_app, first, firstSecret, satisfied: true)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await Citizen.RateAsync(_app, second, secondSecret, satisfied: false, comment: "Phải chờ lâu")).StatusCode.Should().Be(HttpStatusCode.Created);
        _clock.Advance(TimeSpan.FromDays(30)); // 2 April 2025, local
        (await Citizen.RateAsync(_app, third, thirdSecret, satisfied: true)).StatusCode.Should().Be(HttpStatusCode.Created);

        using var reporter = _app.ClientFor(Keys.Reporter);
        var feed = JsonNode.Parse(await reporter.GetStringAsync("/odata/v1/Ratings?$filter=Satisfied eq false&$count=true"))!;
        feed["@odata.count"]!.GetValue<int>().Should().Be(1);
        var row = feed["value"]!.AsArray().Single()!;
        (row["ReceiptCode"]!.GetValue<string>(), row["UnitCode"]!.GetValue<string>(), row["FieldCode"]!.GetValue<string>(), row["Comment"]!.GetValue<string>())
            .Should().Be((second["receiptCode"]!.GetValue<string>(), "HCC-BINHSON", "civil-status", "Phải chờ lâu"));
        row["RatedDate"]!.GetValue<string>().Should().Be("2025-03-03");
        JsonNode.Parse(await reporter.GetStringAsync("/odata/v1/Ratings/$count?$filter=RatedDate ge 2025-04-01"))!.GetValue<int>().Should().Be(1);

        var march = JsonNode.Parse(await reporter.GetStringAsync("/odata/v1/PeriodReport?from=2025-03-01&to=2025-03-31"))!["value"]!.AsArray()
            .Single(r => r!["Id"]!.GetValue<string>() == "HCC-BINHSON/civil-status")!;
        (march["Resolved"]!.GetValue<int>(), march["Rated"]!.GetValue<int>(), march["Satisfied"]!.GetValue<int>(), march["NotSatisfied"]!.GetValue<int>(), march["SatisfactionRate"]!.GetValue<double>())
            .Should().Be((3, 2, 1, 1, 50.0), "two of the three dossiers resolved in March were rated in March");
        var april = JsonNode.Parse(await reporter.GetStringAsync("/odata/v1/PeriodReport?from=2025-04-01&to=2025-04-30"))!["value"]!.AsArray()
            .Single(r => r!["Id"]!.GetValue<string>() == "HCC-BINHSON/civil-status")!;
        (april["Received"]!.GetValue<int>(), april["Rated"]!.GetValue<int>(), april["Satisfied"]!.GetValue<int>(), april["SatisfactionRate"]!.GetValue<double>())
            .Should().Be((0, 1, 1, 100.0), "a rating given in April counts in April, though the dossier closed in March");

        var csv = await reporter.GetStringAsync("/api/reports/period.csv?from=2025-03-01&to=2025-03-31");
        var lines = csv.TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines[0].Split(',');
        var total = lines[^1].Split(',');
        total[Array.IndexOf(header, "Rated")].Should().Be("2");
        total[Array.IndexOf(header, "NotSatisfied")].Should().Be("1");
    }

    [Fact]
    public async Task A_stopped_dossier_shows_it_stopped_and_cannot_be_rated()
    {
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "land-first-certificate");
        dossier = await CompleteAsync(_app, dossier, "check", "Reject", Keys.Land);
        var view = await Citizen.LookupAsync(_app, dossier, secret);
        view["status"]!["text"]!.GetValue<string>().Should().Be("Dừng xử lý");
        view["stoppedAt"]!.GetValue<string>().Should().Be("08:00 ngày 03/03/2025");
        view["summary"]!.GetValue<string>().Should().Be("Hồ sơ đã dừng xử lý.");
        (await Citizen.RateAsync(_app, dossier, secret, satisfied: true)).StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Look_ups_are_rate_limited_per_client_with_a_Vietnamese_answer_and_a_retry_time()
    {
        _app.Dispose();
        _app = Server(permits: 3);
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "birth-registration");
        for (var i = 0; i < 3; i++)
        {
            (await Citizen.LookupRawAsync(_app, dossier["receiptCode"]!.GetValue<string>(), i == 1 ? secret : "WRONG-0000")).StatusCode
                .Should().NotBe(HttpStatusCode.TooManyRequests);
        }

        var limited = await Citizen.LookupRawAsync(_app, dossier["receiptCode"]!.GetValue<string>(), secret);
        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "the fourth try within the window is refused, right secret or not");
        limited.Headers.RetryAfter.Should().NotBeNull();
        (await limited.Content.ReadAsStringAsync()).Should().Contain("Quá nhiều lần tra cứu");
        (await Citizen.RateAsync(_app, dossier, secret, true)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "rating shares the limit");
        using var clerk = _app.ClientFor(Keys.Counter);
        (await clerk.GetAsync($"/api/dossiers/{dossier["id"]}")).StatusCode.Should().Be(HttpStatusCode.OK, "the clerk API is not limited by citizens' look-ups");
    }

    [Fact]
    public async Task Only_a_hash_of_the_secret_is_stored_and_a_replayed_receipt_does_not_hand_it_out_again()
    {
        var (dossier, secret) = await Citizen.ReceiveAsync(_app, "birth-registration", idempotencyKey: "receipt-1");
        using (var counter = _app.ClientFor(Keys.Counter))
        {
            using var replay = new HttpRequestMessage(HttpMethod.Post, "/api/dossiers")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new
                {
                    procedureCode = "birth-registration",
                    applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234", phone = "0905123456" },
                    channel = "direct",
                    receivingUnit = "HCC-BINHSON",
                }),
            };
            replay.Headers.Add("Idempotency-Key", "receipt-1");
            var again = await counter.SendAsync(replay);
            again.StatusCode.Should().Be(HttpStatusCode.Created);
            again.Headers.Contains("Idempotent-Replayed").Should().BeTrue();
            again.Headers.Contains("Lookup-Secret").Should().BeFalse("the secret is not stored, so a replay cannot repeat it");
        }

        _app.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = string.Concat(Directory.GetFiles(_database.Folder, "processserver.db*").Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        bytes.Should().NotContain(secret).And.NotContain(secret.Replace("-", string.Empty, StringComparison.Ordinal), "only the hash of the secret is in the database");
        _app = Server(permits: 1000);
        (await Citizen.LookupAsync(_app, dossier, secret))["status"]!["code"]!.GetValue<int>().Should().Be(2);
    }

    private ServerApp Server(int permits) => new(_database.DatabaseFile, _clock, new Dictionary<string, string?>
    {
        ["ProcessServer:Lookup:PermitLimit"] = permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["ProcessServer:Deadlines:Enabled"] = "false",
    });
}
