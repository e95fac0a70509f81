using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Views;

/// <summary>One journal entry as the API writes it, serialized once.</summary>
/// <param name="Sequence">Its sequence number.</param>
/// <param name="Timestamp">When the act happened (UTC).</param>
/// <param name="Json">The entry's JSON, exactly as a <see cref="JournalView"/> is serialized in a dossier view.</param>
public sealed record SerializedEntry(int Sequence, DateTime Timestamp, byte[] Json)
{
    /// <summary>Serializes <paramref name="entry"/> as views write it.</summary>
    public static SerializedEntry Of(JournalEntry entry) =>
        new(entry.Sequence, entry.Timestamp, JsonSerializer.SerializeToUtf8Bytes(DossierViews.ToView(entry), JsonBody.Options));
}

/// <summary>
/// A dossier's journal in a view whose older entries are already serialized. Every transition's
/// answer carries the whole journal (the API's contract), but journal entries never change once
/// written, so the entries serialized for one answer are written as they are into the next instead
/// of being read, parsed and serialized again: the cost of an answer follows what changed, not the
/// journal's length. The bytes are those <see cref="JsonSerializer"/> writes for the entry, so the
/// answer is the same, byte for byte, as one built from the rows.
/// </summary>
public sealed class SerializedJournal(IReadOnlyList<SerializedEntry> earlier, IReadOnlyList<JournalView> later) : IReadOnlyList<JournalView>
{
    /// <summary>The API's JSON options, with this list written as the bytes it holds.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonBody.Options) { Converters = { new Writer() } };

    /// <summary>Entries already serialized, in sequence order.</summary>
    public IReadOnlyList<SerializedEntry> Earlier => earlier;

    /// <summary>Entries after them, in sequence order.</summary>
    public IReadOnlyList<JournalView> Later => later;

    /// <summary>
    /// Where the last serialization of this list put the entries: UTF-8 byte offsets into the
    /// output, from just after the opening bracket to the closing bracket. An answer's idempotency
    /// record keeps the text around them and refers to the entries by sequence number instead of
    /// holding them (<see cref="Transitions.StoredAnswer"/>).
    /// </summary>
    internal (long Start, long End)? Written { get; private set; }

    /// <summary>The sequence number of the last entry, or 0 for an empty journal.</summary>
    internal int LastSequence => later.Count > 0 ? later[^1].Sequence : earlier.Count > 0 ? earlier[^1].Sequence : 0;

    /// <inheritdoc/>
    public int Count => earlier.Count + later.Count;

    /// <inheritdoc/>
    public JournalView this[int index] => index < earlier.Count
        ? JsonSerializer.Deserialize<JournalView>(earlier[index].Json, JsonBody.Options)!
        : later[index - earlier.Count];

    /// <inheritdoc/>
    public IEnumerator<JournalView> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Writes a journal list; a <see cref="SerializedJournal"/>'s earlier entries as their bytes, everything else as the serializer would.</summary>
    private sealed class Writer : JsonConverter<IReadOnlyList<JournalView>>
    {
        public override IReadOnlyList<JournalView>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<List<JournalView>>(ref reader, JsonBody.Options);

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<JournalView> value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            // BytesCommitted + BytesPending is the writer's position from the start of its output.
            var start = writer.BytesCommitted + writer.BytesPending;
            IEnumerable<JournalView> rest = value;
            if (value is SerializedJournal serialized)
            {
                foreach (var entry in serialized.Earlier)
                {
                    writer.WriteRawValue(entry.Json, skipInputValidation: true);
                }

                rest = serialized.Later;
            }

            foreach (var view in rest)
            {
                JsonSerializer.Serialize(writer, view, JsonBody.Options);
            }

            if (value is SerializedJournal written)
            {
                written.Written = (start, writer.BytesCommitted + writer.BytesPending);
            }

            writer.WriteEndArray();
        }
    }
}
