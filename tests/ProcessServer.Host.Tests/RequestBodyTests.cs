using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// A request body is read as text the way a stream reader reads it: UTF-8 unless a byte order
/// mark says otherwise, bytes that are not UTF-8 as U+FFFD, however the body arrives.
/// </summary>
public sealed class RequestBodyTests : ServerTest
{
    private const string Comment = "Đã kiểm tra hồ sơ, đủ giấy tờ — chuyển bước tiếp";

    public static TheoryData<string> Encodings => ["utf-8 with BOM", "utf-16LE", "utf-16BE", "utf-32LE"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task A_completion_sent_in_an_encoding_its_byte_order_mark_names_is_read_and_its_Vietnamese_comment_kept(string name)
    {
        var encoding = name switch
        {
            "utf-16LE" => Encoding.Unicode,
            "utf-16BE" => Encoding.BigEndianUnicode,
            "utf-32LE" => Encoding.UTF32,
            _ => new UTF8Encoding(encoderShouldEmitUTF8Identifier: true),
        };
        var json = $$"""{"outcome":"Done","comment":"{{Comment}}"}""";
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes(json)).ToArray();

        var completed = await CompleteWithBodyAsync(new ByteArrayContent(bytes));

        completed["journal"]!.AsArray().Last(e => e!["type"]!.GetValue<string>() == "TaskCompleted")!["comment"]!.GetValue<string>().Should().Be(Comment);
    }

    [Fact]
    public async Task A_body_that_arrives_a_few_bytes_at_a_time_is_read_whole_and_bytes_that_are_not_UTF8_become_replacement_characters()
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"outcome":"Done","comment":"{{Comment}} X"}""");
        bytes[Array.LastIndexOf(bytes, (byte)'X')] = 0xFF;

        var completed = await CompleteWithBodyAsync(new StreamContent(new Trickle(bytes), bufferSize: 3));

        completed["journal"]!.AsArray().Last(e => e!["type"]!.GetValue<string>() == "TaskCompleted")!["comment"]!.GetValue<string>()
            .Should().Be(Comment + " \uFFFD");
    }

    private async Task<JsonObject> CompleteWithBodyAsync(HttpContent content)
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(dossier, "register");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var client = App.ClientFor(Keys.Commune);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task["id"]!.GetValue<string>()}/complete") { Content = content };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]!.GetValue<int>()}\"");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>A stream that gives at most three bytes per read, so the server sees the body in pieces.</summary>
    private sealed class Trickle(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 3));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 3)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 3), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 3)], cancellationToken);
    }
}
