using System.Buffers;
using ProcessServer.Host.Features.Views;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The UTF-8 body of a first answer, kept in pieces: the dossier view's text with an empty journal
/// (the frame, a few kilobytes whatever the journal's length) and the journal's entries, each as
/// the bytes a view writes for it. The entries are the kept journal's own arrays plus the few the
/// change added, so an answer is never copied into one buffer: it is written to the response piece
/// by piece, its frame alone goes into the idempotency record (<see cref="StoredAnswer"/>), and its
/// entries become the kept journal once the change is committed. Only the journal's bytes on the
/// wire still grow with its length, as the API's contract has them.
/// </summary>
internal sealed class AnswerBody
{
    /// <summary>A body whose frame has its journal's (empty) array opening at <paramref name="journalAt"/>.</summary>
    /// <param name="dossierId">The dossier the view describes.</param>
    /// <param name="frame">The view as UTF-8 with an empty journal.</param>
    /// <param name="journalAt">Offset in <paramref name="frame"/> just after the journal's opening bracket.</param>
    /// <param name="entries">The whole journal, in sequence order.</param>
    public AnswerBody(string dossierId, byte[] frame, int journalAt, IReadOnlyList<SerializedEntry> entries)
    {
        DossierId = dossierId;
        Frame = frame;
        JournalAt = journalAt;
        Entries = entries;
        var length = frame.Length + Math.Max(0, entries.Count - 1);
        foreach (var entry in entries)
        {
            length += entry.Json.Length;
        }

        Length = length;
    }

    /// <summary>The dossier the view describes.</summary>
    public string DossierId { get; }

    /// <summary>The view as UTF-8 with an empty journal (valid JSON on its own).</summary>
    public byte[] Frame { get; }

    /// <summary>Offset in <see cref="Frame"/> just after the journal's opening bracket.</summary>
    public int JournalAt { get; }

    /// <summary>The dossier's whole journal as the answer carries it, in sequence order.</summary>
    public IReadOnlyList<SerializedEntry> Entries { get; }

    /// <summary>Sequence number of the last entry (0 for none).</summary>
    public int LastSequence => Entries.Count > 0 ? Entries[^1].Sequence : 0;

    /// <summary>The body's length in bytes.</summary>
    public int Length { get; }

    /// <summary>Writes the body: the frame up to the journal, the entries separated by commas, the rest of the frame.</summary>
    public void WriteTo(IBufferWriter<byte> writer)
    {
        writer.Write(Frame.AsSpan(0, JournalAt));
        for (var i = 0; i < Entries.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(","u8);
            }

            writer.Write(Entries[i].Json);
        }

        writer.Write(Frame.AsSpan(JournalAt));
    }

    /// <summary>The body in one array (for callers that want it whole: its text, tests).</summary>
    public byte[] ToArray()
    {
        var buffer = new ArrayBufferWriter<byte>(Length);
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
