using System.IO.Compression;
using System.Text;
using FluentAssertions;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Tests;

/// <summary>Idempotency records written by earlier versions of the server still replay their first answer.</summary>
public sealed class StoredAnswerTests
{
    private const string Body = """{"id":"d1","applicant":{"name":"Nguyễn Văn Đức"},"journal":[],"version":2}""";

    private static Task<IReadOnlyList<byte[]>> NoJournal(string dossierId, int lastSequence, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("an older record holds its whole body and reads no journal");

    [Fact]
    public async Task A_record_holding_the_body_as_text_replays_it_unchanged()
    {
        (await StoredAnswer.UnpackAsync(Body, NoJournal, CancellationToken.None)).Should().Be(Body);
    }

    [Fact]
    public async Task A_record_holding_the_whole_body_compressed_replays_it_unchanged()
    {
        var bytes = Encoding.UTF8.GetBytes(Body);
        var packed = new byte[BrotliEncoder.GetMaxCompressedLength(bytes.Length)];
        BrotliEncoder.TryCompress(bytes, packed, out var written, quality: 1, window: 22).Should().BeTrue();

        (await StoredAnswer.UnpackAsync("br:" + Convert.ToBase64String(packed, 0, written), NoJournal, CancellationToken.None)).Should().Be(Body);
    }

    [Fact]
    public async Task A_record_referring_to_the_journal_replays_the_entries_up_to_its_sequence_between_the_text_around_them()
    {
        var entries = new[] { """{"sequence":1,"comment":"Đã nhận"}""", """{"sequence":2,"comment":"ký"}""" };
        var body = $$"""{"id":"d1","applicant":{"name":"Nguyễn Văn Đức"},"journal":[{{string.Join(',', entries)}}],"version":2}""";
        const string frame = """{"id":"d1","applicant":{"name":"Nguyễn Văn Đức"},"journal":[],"version":2}""";
        var journalAt = Encoding.UTF8.GetByteCount(frame[..(frame.IndexOf("\"journal\":[", StringComparison.Ordinal) + "\"journal\":[".Length)]);
        var answer = new AnswerBody("d1", Encoding.UTF8.GetBytes(frame), journalAt,
            entries.Select((e, i) => new SerializedEntry(i + 1, DateTime.UnixEpoch, Encoding.UTF8.GetBytes(e))).ToList());
        var asked = new List<(string, int)>();

        var stored = StoredAnswer.Pack(answer);
        var replayed = await StoredAnswer.UnpackAsync(stored, (id, last, _) =>
        {
            asked.Add((id, last));
            return Task.FromResult<IReadOnlyList<byte[]>>(entries.Select(Encoding.UTF8.GetBytes).ToList());
        }, CancellationToken.None);

        Encoding.UTF8.GetString(answer.ToArray()).Should().Be(body);
        answer.Length.Should().Be(Encoding.UTF8.GetByteCount(body));
        replayed.Should().Be(body);
        asked.Should().Equal(("d1", 2));
        stored.Should().NotContain("Đã nhận");
    }
}
