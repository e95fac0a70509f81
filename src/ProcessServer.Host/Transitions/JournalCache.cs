using Microsoft.Extensions.Caching.Memory;
using ProcessServer.Host.Features.Views;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The serialized journals of dossiers recently changed, so a transition reads, parses and
/// serializes only the entries written since the last one it saw instead of the whole journal.
/// Only what was read outside any write transaction is kept (it is committed, and journal entries
/// never change once written), so a kept journal is a true prefix of the dossier's journal even
/// when several server processes write to one database; what follows it is always read from the
/// store. Bounded by bytes: a dossier untouched for a while, or pushed out, is read again in full.
/// </summary>
public sealed class JournalCache : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024 });

    /// <summary>The part of <paramref name="dossierId"/>'s journal kept, or an empty one.</summary>
    internal KeptJournal Find(string dossierId) => _cache.TryGetValue(dossierId, out KeptJournal? kept) ? kept! : KeptJournal.Empty;

    /// <summary>Keeps <paramref name="journal"/> as what is known of <paramref name="dossierId"/>'s journal.</summary>
    internal void Keep(string dossierId, KeptJournal journal) =>
        _cache.Set(dossierId, journal, new MemoryCacheEntryOptions { Size = journal.Bytes + 256, SlidingExpiration = TimeSpan.FromMinutes(10) });

    /// <inheritdoc/>
    public void Dispose() => _cache.Dispose();
}

/// <summary>A prefix of a dossier's journal, serialized, with its last sequence number and latest timestamp.</summary>
internal sealed class KeptJournal
{
    private KeptJournal(IReadOnlyList<SerializedEntry> entries, JournalMark mark, long bytes)
    {
        Entries = entries;
        Mark = mark;
        Bytes = bytes;
    }

    public static KeptJournal Empty { get; } = new([], new JournalMark(0, null), 0);

    public IReadOnlyList<SerializedEntry> Entries { get; }

    public JournalMark Mark { get; }

    public long Bytes { get; }

    /// <summary>This prefix followed by <paramref name="next"/> (entries after it, in sequence order).</summary>
    public KeptJournal Extend(IReadOnlyList<JournalEntry> next)
    {
        if (next.Count == 0)
        {
            return this;
        }

        var entries = new List<SerializedEntry>(Entries.Count + next.Count);
        entries.AddRange(Entries);
        var bytes = Bytes;
        var latest = Mark.LastTimestamp;
        foreach (var entry in next)
        {
            var serialized = SerializedEntry.Of(entry);
            entries.Add(serialized);
            bytes += serialized.Json.Length;
            latest = latest is { } l && l >= entry.Timestamp ? l : entry.Timestamp;
        }

        return new KeptJournal(entries, new JournalMark(entries[^1].Sequence, latest), bytes);
    }
}
