using System.Buffers;
using System.IO.Compression;
using System.Text;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// How an answer's body is kept in its idempotency record. A replay must return the first body
/// byte for byte (limit statuses in it are judged at the first answer's instant, and the dossier
/// may have changed since), so the body cannot be rebuilt later; it is stored Brotli-compressed
/// instead, which shrinks a dossier view to a fraction (journals repeat the same names and units
/// on every entry) for a few microseconds of CPU. Records written before this, and any body that
/// does not start with the marker, are the body itself.
/// </summary>
internal static class StoredAnswer
{
    // A JSON body always starts with '{' or '[', so the marker cannot be mistaken for one.
    private const string Marker = "br:";

    /// <summary>The stored form of <paramref name="body"/>.</summary>
    public static string Pack(string body)
    {
        // Pooled buffers: a long journal's view is tens of kilobytes, written once per transition.
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(body));
        var packed = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(bytes.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(body, bytes);
            // Quality 1, small window: the fastest setting, still several times smaller than the text.
            return BrotliEncoder.TryCompress(bytes.AsSpan(0, length), packed, out var written, quality: 1, window: 22)
                ? Marker + Convert.ToBase64String(packed, 0, written)
                : body;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<byte>.Shared.Return(packed);
        }
    }

    /// <summary>The body as first answered.</summary>
    public static string Unpack(string stored)
    {
        if (!stored.StartsWith(Marker, StringComparison.Ordinal))
        {
            return stored;
        }

        var packed = Convert.FromBase64String(stored[Marker.Length..]);
        using var brotli = new BrotliStream(new MemoryStream(packed), CompressionMode.Decompress);
        using var reader = new StreamReader(brotli, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
