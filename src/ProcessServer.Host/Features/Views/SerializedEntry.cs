using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Views;

/// <summary>
/// One journal entry as the API writes it, serialized once. Every transition's answer carries the
/// whole journal (the API's contract), but entries never change once written, so the bytes written
/// for one answer are written as they are into the next, and are stored with the entry
/// (<see cref="JournalEntry.ViewJson"/>) for the first answer after a restart: the cost of an
/// answer follows what changed, not the journal's length.
/// </summary>
/// <param name="Sequence">Its sequence number.</param>
/// <param name="Timestamp">When the act happened (UTC).</param>
/// <param name="Json">The entry's JSON, exactly as a <see cref="JournalView"/> is serialized in a dossier view.</param>
public sealed record SerializedEntry(int Sequence, DateTime Timestamp, byte[] Json)
{
    /// <summary>The entry as views write it: its stored bytes when it has them, else rendered from its columns.</summary>
    public static SerializedEntry Of(JournalEntry entry) => new(entry.Sequence, entry.Timestamp, entry.ViewJson ?? Render(entry));

    /// <summary>Renders <paramref name="entry"/> from its columns as views write it (what <see cref="JournalEntry.ViewJson"/> stores).</summary>
    public static byte[] Render(JournalEntry entry) => JsonSerializer.SerializeToUtf8Bytes(DossierViews.ToView(entry), JsonBody.Options);
}

/// <summary>
/// An empty journal that records where it was written. A transition's answer is the dossier view
/// with this in place of its journal (the frame), and the entries' bytes, kept from earlier answers
/// or serialized once, are written at that place (<see cref="Transitions.AnswerBody"/>); the
/// idempotency record keeps the frame and refers to the entries by sequence number
/// (<see cref="Transitions.StoredAnswer"/>).
/// </summary>
public sealed class JournalSlot : IReadOnlyList<JournalView>
{
    /// <summary>The API's JSON options, with a <see cref="JournalSlot"/> noting where it is written; every other journal is written as the serializer would.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonBody.Options) { Converters = { new Writer() } };

    /// <summary>
    /// Where the last serialization put this journal: the UTF-8 byte offset into the output just
    /// after the array's opening bracket, where its entries go.
    /// </summary>
    internal long? Offset { get; private set; }

    /// <inheritdoc/>
    public int Count => 0;

    /// <inheritdoc/>
    public JournalView this[int index] => throw new ArgumentOutOfRangeException(nameof(index), "A journal slot holds no entries.");

    /// <inheritdoc/>
    public IEnumerator<JournalView> GetEnumerator() => Enumerable.Empty<JournalView>().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Writer : JsonConverter<IReadOnlyList<JournalView>>
    {
        public override IReadOnlyList<JournalView>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<List<JournalView>>(ref reader, JsonBody.Options);

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<JournalView> value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            if (value is JournalSlot slot)
            {
                // BytesCommitted + BytesPending is the writer's position from the start of its output.
                slot.Offset = writer.BytesCommitted + writer.BytesPending;
            }
            else
            {
                foreach (var view in value)
                {
                    JsonSerializer.Serialize(writer, view, JsonBody.Options);
                }
            }

            writer.WriteEndArray();
        }
    }
}
