using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// How an answer's body is kept in its idempotency record. A replay must return the first body
/// byte for byte (limit statuses in it are judged at the first answer's instant, and the dossier
/// may have changed since), so the body cannot be rebuilt from today's dossier.
/// <para>
/// A dossier view's journal, the one part of it that grows with every step, is not stored: journal
/// entries never change once written, so the record keeps the text around the journal and the
/// journal's last sequence number, and a replay writes the dossier's entries up to that number back
/// in (<see cref="AnswerBody"/>). The record then stays a few kilobytes however long the journal,
/// and no completion compresses or writes its whole journal again.
/// </para>
/// Earlier records are read as they were written: Brotli-compressed bodies (marker <c>br:</c>) and,
/// before those, the body itself.
/// </summary>
internal static class StoredAnswer
{
    // A JSON body always starts with '{' or '[', so neither marker can be mistaken for one.
    private const string Compressed = "br:";
    private const string Referenced = "jr:";

    /// <summary>The stored form of a first answer: its frame (the view without its journal) and a reference to its journal.</summary>
    /// <param name="body">The answer's body.</param>
    public static string Pack(AnswerBody body)
    {
        // jr:{last sequence}:{entry count}:{bytes before the entries}:{dossier id}|{the frame, compressed, in base64}
        // Written once per transition, into the one string the record keeps: the compressed frame
        // goes from a pooled buffer straight into it as base64, with no string of its own.
        var header = string.Create(CultureInfo.InvariantCulture, $"{Referenced}{body.LastSequence}:{body.Entries.Count}:{body.JournalAt}:{body.DossierId}|");
        var frame = body.Frame;
        var packed = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(frame.Length));
        try
        {
            // Quality 1, one of Brotli's two fast settings, still several times smaller than the
            // text (views repeat the same names and units). The window is Brotli's default: a
            // one-shot encoder sizes its buffers to the input, and a frame is a few kilobytes.
            if (!BrotliEncoder.TryCompress(frame, packed, out var written, quality: 1, window: 22))
            {
                throw new InvalidOperationException("Brotli could not compress into a buffer of its own maximum size.");
            }

            return string.Create(header.Length + ((written + 2) / 3 * 4), (Header: header, Packed: packed, Written: written), static (text, state) =>
            {
                state.Header.CopyTo(text);
                Convert.TryToBase64Chars(state.Packed.AsSpan(0, state.Written), text[state.Header.Length..], out _);
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packed);
        }
    }

    private static byte[] Decompress(string base64)
    {
        using var brotli = new BrotliStream(new MemoryStream(Convert.FromBase64String(base64)), CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        brotli.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The body as first answered.</summary>
    /// <param name="stored">The record's stored body.</param>
    /// <param name="entries">Reads a dossier's journal entries up to a sequence number, each as the UTF-8 JSON a view writes, in sequence order.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<string> UnpackAsync(string stored, Func<string, int, CancellationToken, Task<IReadOnlyList<byte[]>>> entries,
        CancellationToken cancellationToken)
    {
        if (stored.StartsWith(Referenced, StringComparison.Ordinal))
        {
            var bar = stored.IndexOf('|', StringComparison.Ordinal);
            var header = stored[Referenced.Length..bar].Split(':', 4);
            var (last, count, split, dossierId) = (Number(header[0]), Number(header[1]), Number(header[2]), header[3]);
            var journal = await entries(dossierId, last, cancellationToken);
            if (journal.Count != count)
            {
                // Journal entries are never removed; a different count means the store was edited by hand.
                throw new InvalidOperationException(
                    $"The stored answer refers to {count} journal entries of dossier {dossierId} up to sequence {last}, but the store holds {journal.Count}.");
            }

            var rest = Decompress(stored[(bar + 1)..]);
            var body = new ArrayBufferWriter<byte>(rest.Length + journal.Sum(e => e.Length + 1));
            body.Write(rest.AsSpan(0, split));
            for (var i = 0; i < journal.Count; i++)
            {
                if (i > 0)
                {
                    body.Write(","u8);
                }

                body.Write(journal[i]);
            }

            body.Write(rest.AsSpan(split));
            return Encoding.UTF8.GetString(body.WrittenSpan);
        }

        return stored.StartsWith(Compressed, StringComparison.Ordinal)
            ? Encoding.UTF8.GetString(Decompress(stored[Compressed.Length..]))
            : stored;
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
