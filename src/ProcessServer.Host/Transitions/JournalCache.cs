using Microsoft.Extensions.Caching.Memory;
using ProcessServer.Host.Features.Views;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The serialized journals of dossiers recently changed, so a transition reads, parses and
/// serializes only the entries written since the last one it saw instead of the whole journal.
/// Only what is known to be committed is kept: what was read outside any write transaction, and a
/// change's journal once its commit is durable (journal entries never change once written). So a
/// kept journal is a true prefix of the dossier's journal even when several server processes write
/// to one database; it is taken as the whole journal only while the dossier is still at the version
/// it was kept at (<see cref="KeptJournal.CompleteAtVersion"/>), and what follows it is otherwise
/// read from the store. Bounded by bytes: a dossier untouched for a while, or pushed out, is read
/// again in full.
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

/// <summary>
/// A prefix of a dossier's journal, serialized, with its last sequence number and latest
/// timestamp, and the dossier version it is the whole journal of, when known.
/// </summary>
internal sealed class KeptJournal
{
    private KeptJournal(IReadOnlyList<SerializedEntry> entries, JournalMark mark, long bytes, int? completeAtVersion)
    {
        Entries = entries;
        Mark = mark;
        Bytes = bytes;
        CompleteAtVersion = completeAtVersion;
    }

    public static KeptJournal Empty { get; } = new([], new JournalMark(0, null), 0, null);

    /// <summary>
    /// The dossier version at which these entries are its whole journal, or null when not known
    /// (a prefix read outside the write path). Every journal append bumps the dossier's version in
    /// the same transaction (<see cref="DossierWriter"/>), so while the dossier is still at this
    /// version there is nothing after these entries to read.
    /// </summary>
    public int? CompleteAtVersion { get; }

    /// <summary>Whether these entries are the whole journal of the dossier at <paramref name="version"/>.</summary>
    public bool IsWholeAt(int version) => CompleteAtVersion == version;

    /// <summary>This journal, known to be the whole journal of its dossier at <paramref name="version"/>.</summary>
    public KeptJournal WholeAt(int version) => new(Entries, Mark, Bytes, version);

    public IReadOnlyList<SerializedEntry> Entries { get; }

    public JournalMark Mark { get; }

    public long Bytes { get; }

    /// <summary>A journal of the given entries (serialized, in sequence order); for which version that is the whole journal is not known.</summary>
    public static KeptJournal Of(IReadOnlyList<SerializedEntry> entries)
    {
        if (entries.Count == 0)
        {
            return Empty;
        }

        long bytes = 0;
        DateTime? latest = null;
        foreach (var entry in entries)
        {
            bytes += entry.Json.Length;
            latest = latest is { } l && l >= entry.Timestamp ? l : entry.Timestamp;
        }

        return new KeptJournal(entries, new JournalMark(entries[^1].Sequence, latest), bytes, null);
    }

    /// <summary>This prefix followed by <paramref name="next"/> (entries after it, in sequence order); for which version that is the whole journal is not known.</summary>
    public KeptJournal Extend(IReadOnlyList<SerializedEntry> next)
    {
        if (next.Count == 0)
        {
            return this;
        }

        var entries = new List<SerializedEntry>(Entries.Count + next.Count);
        entries.AddRange(Entries);
        entries.AddRange(next);
        return Of(entries);
    }
}
