using Microsoft.Data.Sqlite;

/// <summary>
/// Fills a benchmark database fast: copies one template row many times inside SQLite
/// (a recursive counter joined to the row), so 100,000 dossiers take seconds instead of as many
/// HTTP receipts. Columns are read from the table itself, so new columns are copied as they are.
/// </summary>
internal static class TemplateRows
{
    /// <summary>
    /// Inserts <paramref name="count"/> copies of the row of <paramref name="table"/> selected by
    /// <paramref name="key"/> (a condition on <c>t</c> that may use <c>$template</c>), with the
    /// columns in <paramref name="overrides"/> replaced by SQL expressions over <c>n.i</c> (1..count).
    /// </summary>
    public static async Task CopyAsync(SqliteConnection connection, string table, string key, IReadOnlyDictionary<string, string> overrides, string template, int count)
    {
        var columns = new List<string>();
        await using (var info = connection.CreateCommand())
        {
            info.CommandText = $"PRAGMA table_info(\"{table}\")";
            await using var rows = await info.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                columns.Add(rows.GetString(1));
            }
        }

        await using var copy = connection.CreateCommand();
        copy.CommandText = $"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
            INSERT INTO "{table}" ({string.Join(", ", columns.Select(c => $"\"{c}\""))})
            SELECT {string.Join(", ", columns.Select(c => overrides.TryGetValue(c, out var value) ? value : $"t.\"{c}\""))}
            FROM n, "{table}" t WHERE t.{key}
            """;
        copy.Parameters.AddWithValue("$count", count);
        copy.Parameters.AddWithValue("$template", template);
        await copy.ExecuteNonQueryAsync();
    }
}
