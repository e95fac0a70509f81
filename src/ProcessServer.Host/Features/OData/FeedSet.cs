using System.Linq.Expressions;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using Microsoft.OData.UriParser.Aggregation;

namespace ProcessServer.Host.Features.OData;

/// <summary>The query options of one request, as parsed by ODataLib.</summary>
internal sealed class FeedRequest
{
    public FilterClause? Filter { get; init; }

    public OrderByClause? OrderBy { get; init; }

    public SelectExpandClause? Select { get; init; }

    public ApplyClause? Apply { get; init; }

    public long? Top { get; init; }

    public long? Skip { get; init; }

    public bool Count { get; init; }

    public string? SkipToken { get; init; }

    public int PageSize { get; init; } = FeedPaging.DefaultPageSize;

    /// <summary>Key values for <c>Set(key)</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, object>>? Key { get; init; }
}

/// <summary>One output column of a page: a declared property, or an $apply alias.</summary>
internal sealed record FeedColumn(string Name, FeedKind Kind);

/// <summary>A page of rows, values already in their OData form.</summary>
internal sealed class FeedPage
{
    public required IReadOnlyList<FeedColumn> Columns { get; init; }

    public required IReadOnlyList<object?[]> Rows { get; init; }

    public long? Count { get; init; }

    public string? NextToken { get; init; }

    /// <summary>Per row, the key values (for the entity id in full metadata).</summary>
    public IReadOnlyList<IReadOnlyList<KeyValuePair<string, object?>>>? Keys { get; init; }

    /// <summary>Page size actually used (for Preference-Applied).</summary>
    public int PageSize { get; init; }
}

/// <summary>Paging policy.</summary>
internal static class FeedPaging
{
    public const int DefaultPageSize = 1000;

    public const int MaxPageSize = 5000;
}

/// <summary>
/// The <c>$skiptoken</c> of our next links: the sort values of the last row sent (keyset paging, so rows
/// inserted meanwhile neither duplicate nor skip rows), rows served so far (for <c>$top</c>), the count
/// (computed once per query) and the page size. Opaque to clients: base64url of a small JSON document.
/// </summary>
internal sealed record SkipToken(IReadOnlyList<object?> Values, long Served, long? Count, int PageSize, long Offset)
{
    public string Encode()
    {
        var values = new JsonArray([.. Values.Select(EncodeValue)]);
        var json = new JsonObject { ["v"] = values, ["n"] = Served, ["c"] = Count, ["p"] = PageSize, ["o"] = Offset };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static SkipToken Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var json = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)))!.AsObject();
            var values = json["v"]!.AsArray().Select(DecodeValue).ToList();
            return new SkipToken(values, json["n"]!.GetValue<long>(), json["c"]?.GetValue<long>(), json["p"]!.GetValue<int>(),
                json["o"]?.GetValue<long>() ?? 0);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new FeedQueryException("InvalidSkipToken", "The $skiptoken is not valid. Follow the @odata.nextLink as given.", "$skiptoken");
        }
    }

    private static JsonNode? EncodeValue(object? value) => value switch
    {
        null => null,
        string s => "s" + s,
        int i => "i" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        long l => "l" + l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        double d => "d" + d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "b1" : "b0",
        DateTime t => "t" + t.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"cannot page on values of type {value.GetType().Name}"),
    };

    private static object? DecodeValue(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        var text = node.GetValue<string>();
        var body = text[1..];
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return text[0] switch
        {
            's' => body,
            'i' => int.Parse(body, culture),
            'l' => long.Parse(body, culture),
            'd' => double.Parse(body, culture),
            'b' => body == "1",
            't' => new DateTime(long.Parse(body, culture), DateTimeKind.Utc),
            _ => throw new FormatException("unknown value tag"),
        };
    }
}

/// <summary>What a request runs with: the store, the caller, the clock and the zone.</summary>
internal sealed class FeedContext
{
    public required ProcessServer.Persistence.ProcessServerDbContext Db { get; init; }

    public required Infrastructure.Caller Caller { get; init; }

    public required DateTime Now { get; init; }

    public required TimeZoneInfo Zone { get; init; }

    public required IServiceProvider Services { get; init; }

    public required IQueryCollection Query { get; init; }

    /// <summary>Period given as function parameters (PeriodReportFor(From=…,To=…)).</summary>
    public (DateOnly From, DateOnly To)? Period { get; init; }

    /// <summary>Units a unit-bound reporter may see; null for everyone else.</summary>
    public IReadOnlyList<string>? Units => Caller.IsAdministrator || Caller.Units.Count == 0 ? null : [.. Caller.Units];
}

/// <summary>"Now" for expressions of the current request (a query parameter EF reads on each execution).</summary>
internal static class FeedClock
{
    private static readonly AsyncLocal<DateTime> Current = new();

    public static DateTime Now
    {
        get => Current.Value;
        set => Current.Value = value;
    }
}

/// <summary>An entity set of the feed: its EDM type and how to query it.</summary>
internal abstract class FeedSet
{
    protected FeedSet(string name, string typeName, IReadOnlyList<FeedProperty> properties, IReadOnlyList<string> keys)
    {
        Name = name;
        Properties = properties;
        Keys = [.. keys.Select(k => properties.Single(p => p.Name == k))];
        EntityType = FeedEdm.EntityType(typeName, properties, keys);
    }

    public string Name { get; }

    public IReadOnlyList<FeedProperty> Properties { get; }

    public IReadOnlyList<FeedProperty> Keys { get; }

    public EdmEntityType EntityType { get; }

    public EdmEntitySet EntitySet { get; set; } = null!;

    public FeedProperty? Find(string name) => Properties.FirstOrDefault(p => p.Name == name);

    public abstract Task<FeedPage> ReadAsync(FeedRequest request, FeedContext context, CancellationToken cancellationToken);

    public abstract Task<long> CountAsync(FeedRequest request, FeedContext context, CancellationToken cancellationToken);

    /// <summary>Converts a stored value to the value written for a property of <paramref name="kind"/>.</summary>
    public static object? ToODataValue(object? value, FeedKind kind, TimeZoneInfo zone) => (value, kind) switch
    {
        (null, _) => null,
        (DateTime t, FeedKind.DateTimeOffset) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)),
        (DateTime t, FeedKind.Date) => LocalDate(t, zone),
        (long l, FeedKind.Int32) => (int)l,
        (int i, FeedKind.Int64) => (long)i,
        _ => value,
    };

    private static Date LocalDate(DateTime utc, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
        return new Date(local.Year, local.Month, local.Day);
    }
}

/// <summary>An entity set over rows of <typeparamref name="TRow"/>; every option becomes part of one LINQ query.</summary>
internal sealed class FeedSet<TRow>(
    string name,
    string typeName,
    FeedColumns<TRow> columns,
    IReadOnlyList<string> keys,
    Func<FeedContext, CancellationToken, Task<IQueryable<TRow>>> source)
    : FeedSet(name, typeName, columns.Properties, keys)
{
    public override async Task<long> CountAsync(FeedRequest request, FeedContext context, CancellationToken cancellationToken)
    {
        var (query, _) = await FilteredAsync(request, context, cancellationToken);
        return await FeedQueries.CountAsync(query, cancellationToken);
    }

    public override async Task<FeedPage> ReadAsync(FeedRequest request, FeedContext context, CancellationToken cancellationToken)
    {
        var (query, binder) = await FilteredAsync(request, context, cancellationToken);
        if (request.Apply is not null)
        {
            return await FeedApply.ReadAsync(this, query, binder, request, context, cancellationToken);
        }

        var token = request.SkipToken is null ? null : SkipToken.Decode(request.SkipToken);
        long? count = request.Count ? token?.Count ?? await FeedQueries.CountAsync(query, cancellationToken) : null;
        var pageSize = token?.PageSize is > 0 and var p && request.PageSize == FeedPaging.DefaultPageSize ? p : request.PageSize;

        // Sort: the requested order, then the key, each nullable value preceded by its null flag so
        // nulls sort first ascending and last descending on every provider (OData's rule).
        var components = new List<(Expression Expr, bool Descending)>();
        for (var clause = request.OrderBy; clause is not null; clause = clause.ThenBy)
        {
            var bound = binder.Bind(clause.Expression);
            var expression = bound.Instant ?? bound.Expr;
            var descending = clause.Direction == OrderByDirection.Descending;
            if (!expression.Type.IsValueType || FeedBinder.IsNullable(expression.Type))
            {
                components.Add((Expression.NotEqual(expression, Expression.Constant(null, expression.Type)), descending));
            }

            components.Add((expression, descending));
        }

        foreach (var key in Keys)
        {
            components.Add((key.Bind(binder.Row), false));
        }

        var ordered = FeedQueries.Order(query, binder.Row, components);
        if (token is not null)
        {
            if (token.Values.Count != components.Count)
            {
                throw new FeedQueryException("InvalidSkipToken", "The $skiptoken does not belong to this query.", "$skiptoken");
            }

            ordered = ordered.Where(Expression.Lambda<Func<TRow, bool>>(FeedQueries.After(components, token.Values), binder.Row));
        }
        else if (request.Skip is > 0)
        {
            ordered = ordered.Skip((int)Math.Min(request.Skip.Value, int.MaxValue));
        }

        var served = token?.Served ?? 0;
        var limit = (long)pageSize;
        if (request.Top is { } top)
        {
            limit = Math.Min(limit, top - served);
        }

        var output = Selected(request.Select);
        if (limit <= 0)
        {
            return new FeedPage { Columns = output.Select(p => new FeedColumn(p.Name, p.Kind)).ToList(), Rows = [], Count = count, PageSize = pageSize };
        }

        var values = output.Select(p => p.Bind(binder.Row)).Concat(components.Select(c => c.Expr)).ToList();
        var projection = Expression.Lambda<Func<TRow, object?[]>>(
            Expression.NewArrayInit(typeof(object), values.Select(v => Expression.Convert(v, typeof(object)))), binder.Row);
        var rows = await FeedQueries.ListAsync(ordered.Take((int)limit + 1).Select(projection), cancellationToken);

        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            var last = rows[^1];
            var keyValues = last.Skip(output.Count).Select(FeedQueries.Normalize).ToList();
            if (request.Top is null || served + limit < request.Top)
            {
                next = new SkipToken(keyValues, served + limit, count, pageSize, 0).Encode();
            }
        }

        var page = rows.Select(r => output.Select((p, i) => ToODataValue(r[i], p.Kind, context.Zone)).ToArray()).ToList();
        var keys = rows.Select(r => (IReadOnlyList<KeyValuePair<string, object?>>)Keys
            .Select((k, i) => KeyValuePair.Create(k.Name, ToODataValue(r[r.Length - Keys.Count + i], k.Kind, context.Zone))).ToList()).ToList();
        return new FeedPage
        {
            Columns = output.Select(p => new FeedColumn(p.Name, p.Kind)).ToList(),
            Rows = page,
            Keys = keys,
            Count = count,
            NextToken = next,
            PageSize = pageSize,
        };
    }

    private async Task<(IQueryable<TRow> Query, FeedBinder Binder)> FilteredAsync(FeedRequest request, FeedContext context, CancellationToken cancellationToken)
    {
        var query = await source(context, cancellationToken);
        var binder = new FeedBinder(this, Expression.Parameter(typeof(TRow), "x"), context.Zone);
        if (request.Key is { } key)
        {
            foreach (var (name, value) in key)
            {
                var property = Find(name) ?? throw new FeedQueryException("UnknownProperty", $"'{name}' is not a key of {Name}.");
                var predicate = binder.Compare(binder.Property(property.Name), BinaryOperatorKind.Equal, binder.Bind(new ConstantNode(value)));
                query = query.Where(Expression.Lambda<Func<TRow, bool>>(predicate, binder.Row));
            }
        }

        if (request.Filter is { } filter)
        {
            query = query.Where(Expression.Lambda<Func<TRow, bool>>(binder.Predicate(filter.Expression, "$filter"), binder.Row));
        }

        return (query, binder);
    }

    private List<FeedProperty> Selected(SelectExpandClause? select)
    {
        if (select is null || select.AllSelected)
        {
            return [.. Properties];
        }

        var names = new List<string>();
        foreach (var item in select.SelectedItems)
        {
            switch (item)
            {
                case PathSelectItem { SelectedPath.LastSegment: PropertySegment property }:
                    names.Add(property.Property.Name);
                    break;
                case WildcardSelectItem:
                    return [.. Properties];
                default:
                    throw new FeedQueryException("UnsupportedSelect", "Only properties can be selected ($expand is not supported).", "$select");
            }
        }

        return [.. Properties.Where(p => names.Contains(p.Name))];
    }
}

/// <summary>Query helpers shared by the sets.</summary>
internal static class FeedQueries
{
    public static async Task<long> CountAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        query is IAsyncEnumerable<T> ? await query.LongCountAsync(cancellationToken) : query.LongCount();

    public static async Task<List<T>> ListAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        query is IAsyncEnumerable<T> ? await query.ToListAsync(cancellationToken) : query.ToList();

    /// <summary>Values read back from the store, in the form the skip token keeps.</summary>
    public static object? Normalize(object? value) => value switch
    {
        DateTime t => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        _ => value,
    };

    public static IQueryable<T> Order<T>(IQueryable<T> query, ParameterExpression row, IReadOnlyList<(Expression Expr, bool Descending)> components)
    {
        var expression = query.Expression;
        for (var i = 0; i < components.Count; i++)
        {
            var (body, descending) = components[i];
            var method = (i == 0, descending) switch
            {
                (true, false) => nameof(Queryable.OrderBy),
                (true, true) => nameof(Queryable.OrderByDescending),
                (false, false) => nameof(Queryable.ThenBy),
                _ => nameof(Queryable.ThenByDescending),
            };
            expression = Expression.Call(typeof(Queryable), method, [typeof(T), body.Type], expression, Expression.Quote(Expression.Lambda(body, row)));
        }

        return query.Provider.CreateQuery<T>(expression);
    }

    /// <summary>The keyset predicate: rows strictly after <paramref name="values"/> in the order of <paramref name="components"/>.</summary>
    public static Expression After(IReadOnlyList<(Expression Expr, bool Descending)> components, IReadOnlyList<object?> values)
    {
        Expression? result = null;
        Expression prefix = Expression.Constant(true);
        for (var i = 0; i < components.Count; i++)
        {
            var (expr, descending) = components[i];
            var value = values[i];
            var after = Beyond(expr, value, descending);
            if (after is not null)
            {
                var term = Expression.AndAlso(prefix, after);
                result = result is null ? term : Expression.OrElse(result, term);
            }

            prefix = Expression.AndAlso(prefix, EqualTo(expr, value));
        }

        return result ?? Expression.Constant(false);
    }

    private static Expression Constant(object value, Type type)
    {
        var underlying = FeedBinder.Underlying(type);
        var converted = underlying == typeof(DateTime) ? value
            : underlying == typeof(string) ? value
            : System.Convert.ChangeType(value, underlying, System.Globalization.CultureInfo.InvariantCulture);
        return FeedBinder.Parameter(converted, type);
    }

    private static Expression EqualTo(Expression expr, object? value) =>
        value is null ? Expression.Equal(expr, Expression.Constant(null, expr.Type)) : Expression.Equal(expr, Constant(value, expr.Type));

    private static Expression? Beyond(Expression expr, object? value, bool descending)
    {
        if (value is null)
        {
            return null;
        }

        if (FeedBinder.Underlying(expr.Type) == typeof(bool))
        {
            var flag = (bool)value;
            return (descending, flag) switch
            {
                (false, false) => Expression.Equal(expr, Expression.Constant(true, expr.Type)),
                (true, true) => Expression.Equal(expr, Expression.Constant(false, expr.Type)),
                _ => null,
            };
        }

        if (expr.Type == typeof(string))
        {
            var compare = Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, expr, FeedBinder.Parameter(value, typeof(string)));
            return descending ? Expression.LessThan(compare, Expression.Constant(0)) : Expression.GreaterThan(compare, Expression.Constant(0));
        }

        var constant = Constant(value, expr.Type);
        return descending ? Expression.LessThan(expr, constant) : Expression.GreaterThan(expr, constant);
    }
}
