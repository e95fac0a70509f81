using System.Collections;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OData.Edm;
using Microsoft.AspNetCore.OData.Extensions;
using Microsoft.AspNetCore.OData.Routing;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.OData.Query;
using Microsoft.AspNetCore.OData.Query.Validator;
using Microsoft.AspNetCore.OData.Query.Wrapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.OData.UriParser;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// Answers a feed request with Microsoft.AspNetCore.OData doing the parsing, validation and binding
/// ($filter, $orderby, $select, $expand, $compute, $apply, lambda operators) and the serialisation;
/// what is ours, on top of it and each for a reason given where it is done: server-driven paging by
/// keyset, the count carried in the skip token, OData's null order on every database, the page size
/// policy with Preference-Applied, <c>$search</c> and unknown options refused.
/// </summary>
internal static class FeedPages
{
    public const int DefaultPageSize = 1000;

    public const int MaxPageSize = 5000;

    private static readonly string[] KnownOptions =
        ["$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$count", "$apply", "$compute", "$skiptoken", "$format"];

    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>
    /// What a query may ask for. MaxNodeCount is raised from the library's 100 because Power BI
    /// slicers send one <c>or</c> term per selected value: 25 values are about 100 nodes already.
    /// </summary>
    private static readonly ODataValidationSettings Validation = new()
    {
        MaxNodeCount = 2000,
        MaxAnyAllExpressionDepth = 2,
        MaxExpansionDepth = 2,
        MaxTop = null,
        AllowedQueryOptions = AllowedQueryOptions.Supported & ~AllowedQueryOptions.Search,
    };

    /// <summary>
    /// The library leaves null propagation off for LINQ to Objects as it does for EF Core, so on the small
    /// in-memory sets (Units, Fields, Procedures, the period report) <c>length(Parent)</c> or
    /// <c>hour(ValidFrom)</c> over a row whose column is null threw (500). Databases propagate nulls by
    /// themselves; in memory the binder must guard every access, as OData's null semantics say.
    /// </summary>
    private static ODataQuerySettings Settings(IQueryable source) => new()
    {
        EnsureStableOrdering = true,
        EnableConstantParameterization = true,
        TimeZone = TimeZoneInfo.Utc,
        HandleNullPropagation = source.Provider is EnumerableQuery ? HandleNullPropagationOption.True : HandleNullPropagationOption.Default,
    };

    /// <summary>A collection (or its /$count) with paging.</summary>
    public static async Task<IActionResult> CollectionAsync<T>(ControllerBase controller, IQueryable<T> source, ODataQueryOptions<T> options)
    {
        var http = controller.HttpContext;
        var cancellationToken = http.RequestAborted;
        Check(http.Request);
        var token = options.RawValues.SkipToken is { } raw ? SkipToken.Decode(raw) : null;
        options.Validate(Validation);
        var settings = Settings(source);
        var feature = http.ODataFeature();
        var countOnly = feature.Path?.LastSegment is CountSegment;
        var (pageSize, preferred) = PageSize(http.Request);
        if (!preferred && token?.PageSize is > 0 and var tokenSize)
        {
            pageSize = tokenSize;
        }

        if (options.Apply is not null)
        {
            return await AppliedAsync(controller, source, options, settings, token, pageSize, preferred, countOnly);
        }

        IQueryable<T> filtered = source;
        if (options.Filter is { } filter)
        {
            filter.Compute = options.Compute;
            filtered = (IQueryable<T>)filter.ApplyTo(source, settings);
        }

        if (countOnly)
        {
            return Count(controller, await CountAsync(filtered, cancellationToken));
        }

        long? count = options.Count?.Value == true ? token?.Count ?? await CountAsync(filtered, cancellationToken) : null;

        // The library binds $orderby (with the key appended for a stable order); we take its key
        // selectors and build the order again with a null flag before each nullable one, so nulls come
        // first ascending and last descending (OData's rule) on PostgreSQL too, whose own default is
        // the opposite; the same components make the keyset predicate of the next page.
        var order = options.GenerateStableOrder();
        order.Compute = options.Compute;
        var row = Expression.Parameter(typeof(T), "x");
        var components = new List<(Expression Expr, bool Descending)>();
        foreach (var (selector, descending) in Ordering(order.ApplyTo(filtered, settings).Expression, filtered.Expression))
        {
            var body = Replace(selector.Body, selector.Parameters[0], row);
            if (MayBeNull(body))
            {
                components.Add((Expression.NotEqual(body, Expression.Constant(null, body.Type)), descending));
            }

            components.Add((body, descending));
        }

        var ordered = Order(filtered, row, components);
        if (token is not null)
        {
            if (token.Values.Count != components.Count)
            {
                throw new FeedQueryException("InvalidSkipToken", "The $skiptoken does not belong to this query.", "$skiptoken");
            }

            ordered = ordered.Where(Expression.Lambda<Func<T, bool>>(Keyset.After(components, token.Values), row));
        }
        else if (options.Skip?.Value is > 0 and var skip)
        {
            ordered = ordered.Skip(skip);
        }

        var served = token?.Served ?? 0;
        var limit = (long)pageSize;
        if (options.Top?.Value is { } top)
        {
            limit = Math.Min(limit, top - served);
        }

        var paged = ordered.Take((int)Math.Max(limit, 0) + 1);
        var shaped = Shape(options, paged, settings);

        var rows = limit <= 0 ? [] : await ListAsync(WithSortValues(shaped, paged.Expression, row, components), cancellationToken);
        Uri? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            if (options.Top?.Value is not { } wanted || served + limit < wanted)
            {
                var values = rows[^1].SortValues.Select(v => v is DateTime t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : v).ToList();
                next = NextLink(http.Request, new SkipToken(values, served + limit, count, pageSize, 0).Encode());
            }
        }

        Finish(controller, count, next, pageSize, preferred);
        return controller.Ok(Typed(shaped.ElementType, rows.Select(r => r.Row)));
    }

    /// <summary>$apply: the library groups and aggregates; pages by offset in the stable order it generates (group keys).</summary>
    private static async Task<IActionResult> AppliedAsync<T>(ControllerBase controller, IQueryable<T> source, ODataQueryOptions<T> options,
        ODataQuerySettings settings, SkipToken? token, int pageSize, bool preferred, bool countOnly)
    {
        var http = controller.HttpContext;
        settings.IgnoredQueryOptions = AllowedQueryOptions.OrderBy | AllowedQueryOptions.Top | AllowedQueryOptions.Skip | AllowedQueryOptions.SkipToken
            | AllowedQueryOptions.Count | AllowedQueryOptions.Select | AllowedQueryOptions.Expand;
        var applied = options.ApplyTo(source, settings);
        settings.IgnoredQueryOptions = AllowedQueryOptions.None;
        // An aggregate without groupby is one row even over no input (EmptyAggregate). That row is
        // made (its projection compiled) only when the store found none.
        var alwaysOneRow = EmptyAggregate.AlwaysOneRow(options);
        var aggregated = applied; // as bound, before the stable order below is applied to it
        object? oneRow = null;
        object? RowOverNothing() => oneRow ??= EmptyAggregate.RowOverNothing(aggregated);
        var total = countOnly || options.Count?.Value == true ? token?.Count ?? await CountAsync(applied, http.RequestAborted) : (long?)null;
        if (alwaysOneRow && total is 0 && RowOverNothing() is not null)
        {
            total = 1;
        }

        if (countOnly)
        {
            return Count(controller, total!.Value);
        }

        if (options.GenerateStableOrder() is { } order)
        {
            order.Compute = options.Compute;
            applied = order.ApplyTo(applied, settings);
        }

        var offset = token?.Offset ?? options.Skip?.Value ?? 0;
        var served = token?.Served ?? 0;
        var limit = (long)pageSize;
        if (options.Top?.Value is { } top)
        {
            limit = Math.Min(limit, top - served);
        }

        var page = limit <= 0 ? applied.Provider.CreateQuery(Take(Skip(applied.Expression, applied.ElementType, 0), applied.ElementType, 0))
            : applied.Provider.CreateQuery(Take(Skip(applied.Expression, applied.ElementType, offset), applied.ElementType, limit + 1));
        var rows = await ListAsync(page, http.RequestAborted);
        if (rows.Count == 0 && alwaysOneRow && offset == 0 && limit > 0 && RowOverNothing() is { } row)
        {
            rows.Add(row);
        }

        rows.ForEach(InstantsAsOffsets);
        Uri? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            if (options.Top?.Value is not { } wanted || served + limit < wanted)
            {
                next = NextLink(http.Request, new SkipToken([], served + limit, total, pageSize, offset + limit).Encode());
            }
        }

        Finish(controller, total, next, pageSize, preferred);
        // The rows are the library's group wrappers; declared as the set's rows, the library's
        // serializer writes them as it does for [EnableQuery] (an OData feed, not plain JSON).
        return new OkObjectResult(Typed(applied.ElementType, rows.Cast<object?>())) { DeclaredType = typeof(IEnumerable<T>) };
    }

    /// <summary>One entity by key (the source is already restricted to it): 404 when absent, 304 when If-None-Match still matches.</summary>
    public static async Task<IActionResult> EntityAsync<T>(ControllerBase controller, IQueryable<T> source, ODataQueryOptions<T> options, string description)
    {
        var http = controller.HttpContext;
        Check(http.Request);
        options.Validate(Validation);
        var settings = Settings(source);
        NotFound(await AnyAsync(source, http.RequestAborted), http, description);
        if (http.Request.Headers.IfNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var wanted)
            && CurrentETag(http, (await ListAsync(source.Take(1), http.RequestAborted))[0]) is { } current
            && wanted.Any(t => t.Tag == "*" || t.Tag == current.Tag))
        {
            // The library's ETag<T>.ApplyTo compares the etag's DateTimeOffset with the row's DateTime
            // and fails; the tag is compared as the serializer writes it instead.
            return controller.StatusCode(StatusCodes.Status304NotModified);
        }

        var shaped = Shape(options, source.Take(1), settings);

        var rows = await ListAsync(shaped, http.RequestAborted);
        NotFound(rows.Count > 0, http, description);
        return controller.Ok(rows[0]);
    }

    /// <summary>
    /// $select, $expand and $compute by the library's own ApplyTo with every other option ignored (the
    /// rest is done above): it also hands the serializer the processed clause and the computed columns.
    /// </summary>
    private static IQueryable Shape<T>(ODataQueryOptions<T> options, IQueryable<T> rows, ODataQuerySettings settings)
    {
        if (options.SelectExpand is null)
        {
            return rows;
        }

        settings.IgnoredQueryOptions = AllowedQueryOptions.All & ~(AllowedQueryOptions.Select | AllowedQueryOptions.Expand | AllowedQueryOptions.Compute);
        var shaped = options.ApplyTo(rows, settings);
        settings.IgnoredQueryOptions = AllowedQueryOptions.None;
        return shaped;
    }

    /// <summary>
    /// The library's serializer writes an aggregated value as it is, and ODataLib refuses a DateTime
    /// (the page used to end mid-body): min and max of instants are handed over as UTC DateTimeOffsets.
    /// </summary>
    private static void InstantsAsOffsets(object? row)
    {
        if (row is not DynamicTypeWrapper wrapper)
        {
            return;
        }

        foreach (var (name, value) in wrapper.Values.ToList())
        {
            if (value is DateTime instant)
            {
                wrapper.Values[name] = new DateTimeOffset(DateTime.SpecifyKind(instant, DateTimeKind.Utc));
            }
            else if (value is DynamicTypeWrapper nested)
            {
                InstantsAsOffsets(nested);
            }
            else if (value is IEnumerable<DynamicTypeWrapper> many)
            {
                foreach (var item in many)
                {
                    InstantsAsOffsets(item);
                }
            }
        }
    }

    private static void NotFound(bool found, HttpContext http, string description)
    {
        if (!found)
        {
            throw new FeedQueryException("NotFound", $"No {description} has the key given in '{http.Request.Path}'.", status: 404);
        }
    }

    /// <summary>The etag the serializer writes for <paramref name="row"/>, from the set's concurrency properties; null when it has none.</summary>
    private static EntityTagHeaderValue? CurrentETag<T>(HttpContext http, T row)
    {
        var model = http.Request.GetModel();
        var set = http.ODataFeature().Path?.GetNavigationSource();
        var properties = set is null ? [] : model.GetConcurrencyProperties(set).OrderBy(p => p.Name).ToList();
        if (properties.Count == 0)
        {
            return null;
        }

        var values = properties.ToDictionary(p => p.Name, p => typeof(T).GetProperty(p.Name)?.GetValue(row));
        return http.Request.GetETagHandler().CreateETag(values, TimeZoneInfo.Utc);
    }

    /// <summary>Options the library would accept silently or not at all, refused with a reason instead.</summary>
    private static void Check(HttpRequest request)
    {
        foreach (var option in request.Query.Keys.Where(k => k.StartsWith('$')))
        {
            if (option == "$search")
            {
                // The library parses $search but, without a search binder, returns every row: refuse it
                // rather than answer a question that was not asked.
                throw new FeedQueryException("UnsupportedQueryOption",
                    "$search is not supported by this service; filter with contains(Property,'text') in $filter instead.", option);
            }

            if (!KnownOptions.Contains(option))
            {
                throw new FeedQueryException("UnsupportedQueryOption",
                    $"The query option '{option}' is not supported. Supported: {string.Join(", ", KnownOptions.Where(o => o != "$skiptoken"))}.", option);
            }
        }

        var format = request.Query["$format"].ToString();
        if (format.Length > 0 && !format.Equals("json", StringComparison.OrdinalIgnoreCase) && !format.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new FeedQueryException("UnsupportedFormat", "$format accepts json or application/json[;odata.metadata=minimal|full|none] only.", "$format");
        }

        if (request.Query.TryGetValue("$top", out var top) && long.TryParse(top, CultureInfo.InvariantCulture, out var t) && t < 0
            || request.Query.TryGetValue("$skip", out var skip) && long.TryParse(skip, CultureInfo.InvariantCulture, out var s) && s < 0)
        {
            throw new FeedQueryException("InvalidQuery", "$top and $skip must not be negative.");
        }
    }

    private static IActionResult Count(ControllerBase controller, long count) =>
        // A bare integer without a byte-order mark, as Power Query's Table.RowCount folding expects.
        controller.Content(count.ToString(CultureInfo.InvariantCulture), "text/plain;charset=utf-8");

    private static void Finish(ControllerBase controller, long? count, Uri? next, int pageSize, bool preferred)
    {
        var feature = controller.HttpContext.ODataFeature();
        feature.TotalCount = count;
        feature.NextLink = next;
        if (preferred)
        {
            controller.Response.Headers["Preference-Applied"] = $"odata.maxpagesize={pageSize}";
        }
    }

    /// <summary>The page size: 1000 by default, <c>Prefer: odata.maxpagesize</c> honoured up to 5000.</summary>
    private static (int Size, bool Preferred) PageSize(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            {
                var parts = preference.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && (parts[0].Equals("odata.maxpagesize", StringComparison.OrdinalIgnoreCase) || parts[0].Equals("maxpagesize", StringComparison.OrdinalIgnoreCase))
                    && int.TryParse(parts[1].Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0)
                {
                    return (Math.Min(size, MaxPageSize), true);
                }
            }
        }

        return (DefaultPageSize, false);
    }

    /// <summary>The absolute next link: the same path and every query option (the api_key too), with the new skip token.</summary>
    private static Uri NextLink(HttpRequest request, string token)
    {
        var options = new List<string>();
        foreach (var (name, values) in request.Query)
        {
            if (name == "$skiptoken")
            {
                continue;
            }

            foreach (var value in values)
            {
                options.Add(Uri.EscapeDataString(name).Replace("%24", "$", StringComparison.Ordinal) + "=" + Uri.EscapeDataString(value ?? string.Empty));
            }
        }

        options.Add("$skiptoken=" + token);
        return new Uri($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{string.Join('&', options)}");
    }

    /// <summary>The (selector, descending) pairs of the OrderBy/ThenBy chain the library put on <paramref name="source"/>.</summary>
    private static List<(LambdaExpression Selector, bool Descending)> Ordering(Expression ordered, Expression source)
    {
        var result = new List<(LambdaExpression, bool)>();
        var current = ordered;
        while (current != source)
        {
            if (current is not MethodCallExpression { Method.Name: "OrderBy" or "OrderByDescending" or "ThenBy" or "ThenByDescending" } call || call.Arguments.Count != 2)
            {
                throw new InvalidOperationException("unexpected $orderby expression: " + current);
            }

            var selector = (LambdaExpression)(call.Arguments[1] is UnaryExpression { NodeType: ExpressionType.Quote } quote ? quote.Operand : call.Arguments[1]);
            result.Add((selector, call.Method.Name.EndsWith("Descending", StringComparison.Ordinal)));
            current = call.Arguments[0];
        }

        result.Reverse();
        return result;
    }

    /// <summary>Whether a sort value can be null (a nullable value type, or a string not declared non-nullable).</summary>
    private static bool MayBeNull(Expression body)
    {
        if (body.Type.IsValueType)
        {
            return Nullable.GetUnderlyingType(body.Type) is not null;
        }

        return body is not MemberExpression { Member: PropertyInfo property } || Nullability.Create(property).ReadState != NullabilityState.NotNull;
    }

    private static IQueryable<T> Order<T>(IQueryable<T> query, ParameterExpression row, IReadOnlyList<(Expression Expr, bool Descending)> components)
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

    /// <summary>A row as the serializer gets it, and the values it was sorted by (for the next skip token).</summary>
    private sealed record PageRow(object? Row, object?[] SortValues);

    /// <summary>
    /// The page query with the sort values projected next to each row, so the next link's token comes
    /// from the same single query (whatever $select leaves out of the row).
    /// </summary>
    private static IQueryable<PageRow> WithSortValues(IQueryable shaped, Expression paged, ParameterExpression row, List<(Expression Expr, bool Descending)> components)
    {
        LambdaExpression shape;
        if (shaped.Expression is MethodCallExpression { Method.Name: nameof(Queryable.Select) } select && select.Arguments[0] == paged)
        {
            shape = (LambdaExpression)((UnaryExpression)select.Arguments[1]).Operand;
        }
        else
        {
            shape = Expression.Lambda(row, row);
        }

        var parameter = shape.Parameters[0];
        var values = Expression.NewArrayInit(typeof(object), components.Select(c => Expression.Convert(Replace(c.Expr, row, parameter), typeof(object))));
        var body = Expression.New(typeof(PageRow).GetConstructors()[0], Expression.Convert(shape.Body, typeof(object)), values);
        var call = Expression.Call(typeof(Queryable), nameof(Queryable.Select), [parameter.Type, typeof(PageRow)], paged, Expression.Quote(Expression.Lambda(body, parameter)));
        return shaped.Provider.CreateQuery<PageRow>(call);
    }

    private static object Typed(Type elementType, IEnumerable<object?> rows)
    {
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
        foreach (var row in rows)
        {
            list.Add(row);
        }

        return list;
    }

    private static Expression Skip(Expression source, Type type, long count) =>
        count <= 0 ? source : Expression.Call(typeof(Queryable), nameof(Queryable.Skip), [type], source, Expression.Constant((int)Math.Min(count, int.MaxValue)));

    private static Expression Take(Expression source, Type type, long count) =>
        Expression.Call(typeof(Queryable), nameof(Queryable.Take), [type], source, Expression.Constant((int)Math.Min(count, int.MaxValue)));

    private static Expression Replace(Expression body, ParameterExpression from, Expression to) => new Swap(from, to).Visit(body);

    private sealed class Swap(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    private static async Task<long> CountAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        query is IAsyncEnumerable<T> ? await query.LongCountAsync(cancellationToken) : query.LongCount();

    private static Task<long> CountAsync(IQueryable query, CancellationToken cancellationToken) =>
        (Task<long>)typeof(FeedPages).GetMethod(nameof(CountAsync), 1, BindingFlags.NonPublic | BindingFlags.Static, [typeof(IQueryable<>).MakeGenericType(Type.MakeGenericMethodParameter(0)), typeof(CancellationToken)])!
            .MakeGenericMethod(query.ElementType).Invoke(null, [query, cancellationToken])!;

    private static async Task<bool> AnyAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        query is IAsyncEnumerable<T> ? await query.AnyAsync(cancellationToken) : query.Any();

    private static async Task<List<T>> ListAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        query is IAsyncEnumerable<T> ? await query.ToListAsync(cancellationToken) : query.ToList();

    private static async Task<List<object?>> ListAsync(IQueryable query, CancellationToken cancellationToken)
    {
        var list = new List<object?>();
        if (query is IAsyncEnumerable<object> objects)
        {
            await foreach (var item in objects.WithCancellation(cancellationToken))
            {
                list.Add(item);
            }

            return list;
        }

        var method = typeof(FeedPages).GetMethod(nameof(ListTypedAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(query.ElementType);
        return await (Task<List<object?>>)method.Invoke(null, [query, cancellationToken])!;
    }

    private static async Task<List<object?>> ListTypedAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        (await ListAsync(query, cancellationToken)).Cast<object?>().ToList();
}
