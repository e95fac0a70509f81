using System.Linq.Expressions;
using System.Reflection;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using Microsoft.OData.UriParser.Aggregation;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// <c>$apply</c>: <c>filter(…)</c> steps, then one <c>groupby((…),aggregate(…))</c> or
/// <c>aggregate(…)</c> with <c>$count</c>, sum, min, max, average and countdistinct. Translated to
/// one EF Core GroupBy query (GROUP BY in the database); results page by offset, ordered by the
/// requested <c>$orderby</c> and then by every grouping property.
/// </summary>
internal static class FeedApply
{
    private const int MaxSlots = 16;

    private sealed record Output(string Name, FeedKind Kind, Expression Value);

    public static async Task<FeedPage> ReadAsync<TRow>(FeedSet set, IQueryable<TRow> query, FeedBinder binder, FeedRequest request,
        FeedContext context, CancellationToken cancellationToken)
    {
        GroupByTransformationNode? groupBy = null;
        AggregateTransformationNode? aggregate = null;
        foreach (var step in request.Apply!.Transformations)
        {
            if (groupBy is not null || aggregate is not null)
            {
                throw new FeedQueryException("UnsupportedApply", "Only filter(…) steps may come before the single groupby(…) or aggregate(…) step of $apply.", "$apply");
            }

            switch (step)
            {
                case FilterTransformationNode filter:
                    query = query.Where(Expression.Lambda<Func<TRow, bool>>(binder.Predicate(filter.FilterClause.Expression, "$apply"), binder.Row));
                    break;
                case GroupByTransformationNode g:
                    groupBy = g;
                    aggregate = g.ChildTransformations as AggregateTransformationNode
                        ?? (g.ChildTransformations is null ? null
                            : throw new FeedQueryException("UnsupportedApply", "groupby(…) may only be followed by aggregate(…) inside it.", "$apply"));
                    break;
                case AggregateTransformationNode a:
                    aggregate = a;
                    break;
                default:
                    throw new FeedQueryException("UnsupportedApply", $"The $apply transformation '{step.Kind}' is not supported; use filter, groupby and aggregate.", "$apply");
            }
        }

        if (groupBy is null && aggregate is null)
        {
            throw new FeedQueryException("UnsupportedApply", "$apply needs a groupby(…) or aggregate(…) step.", "$apply");
        }

        var keys = new List<Output>();
        foreach (var property in groupBy?.GroupingProperties ?? [])
        {
            if (property.Expression is null || property.ChildTransformations.Count > 0)
            {
                throw new FeedQueryException("UnsupportedApply", $"Grouping by '{property.Name}' is not supported; group by properties of {set.Name}.", "$apply");
            }

            var bound = binder.Bind(property.Expression);
            keys.Add(new Output(property.Name, bound.Kind ?? FeedKind.String, bound.Expr));
        }

        var grouping = Expression.Parameter(typeof(IGrouping<,>).MakeGenericType(KeyType(keys), typeof(TRow)), "g");
        var values = new List<Output>();
        for (var i = 0; i < keys.Count; i++)
        {
            values.Add(keys[i] with { Value = Expression.Property(Expression.Property(grouping, "Key"), $"P{i + 1}") });
        }

        foreach (var expression in aggregate?.AggregateExpressions ?? [])
        {
            values.Add(expression is AggregateExpression a
                ? AsDeclared(set, Aggregate<TRow>(a, binder, grouping))
                : throw new FeedQueryException("UnsupportedApply", $"The aggregation '{expression.Alias}' is not supported.", "$apply"));
        }

        if (values.Count == 0 || values.Count > MaxSlots)
        {
            throw new FeedQueryException("UnsupportedApply", $"$apply may produce between 1 and {MaxSlots} properties.", "$apply");
        }

        // GROUP BY the key (a constant for aggregate(…) alone), then project into a slot row.
        LambdaExpression keyLambda = keys.Count == 0
            ? Expression.Lambda(Expression.Constant(1), binder.Row)
            : Expression.Lambda(NewSlots(keys.Select(k => k.Value).ToList()), binder.Row);
        var grouped = Expression.Call(typeof(Queryable), nameof(Queryable.GroupBy), [typeof(TRow), keyLambda.ReturnType], query.Expression, Expression.Quote(keyLambda));
        var resultType = SlotsType(values.Select(v => v.Value.Type).ToList());
        var projection = Expression.Lambda(NewSlots(values.Select(v => v.Value).ToList()), grouping);
        var projected = Expression.Call(typeof(Queryable), nameof(Queryable.Select), [grouping.Type, resultType], grouped, Expression.Quote(projection));

        var method = typeof(FeedApply).GetMethod(nameof(PageAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(resultType);
        var rows = query.Provider.CreateQuery(projected);
        var page = await (Task<FeedPage>)method.Invoke(null, [rows, values, keys.Count, request, context, aggregate is not null && keys.Count == 0, cancellationToken])!;
        return page;
    }

    private static async Task<FeedPage> PageAsync<TResult>(IQueryable<TResult> rows, List<Output> values, int keyCount, FeedRequest request,
        FeedContext context, bool singleRow, CancellationToken cancellationToken)
    {
        var token = request.SkipToken is null ? null : SkipToken.Decode(request.SkipToken);
        long? count = request.Count ? token?.Count ?? await FeedQueries.CountAsync(rows, cancellationToken) : null;
        if (singleRow && count == 0)
        {
            count = 1;
        }

        var row = Expression.Parameter(typeof(TResult), "r");
        var slot = (string name) =>
        {
            var index = values.FindIndex(v => v.Name == name);
            return index < 0
                ? throw new FeedQueryException("UnknownProperty", $"'{name}' is not a property of the $apply result; order by grouped properties or aliases.", "$orderby")
                : (Expression)Expression.Property(row, $"P{index + 1}");
        };

        var components = new List<(Expression Expr, bool Descending)>();
        for (var clause = request.OrderBy; clause is not null; clause = clause.ThenBy)
        {
            var name = clause.Expression switch
            {
                SingleValuePropertyAccessNode p => p.Property.Name,
                SingleValueOpenPropertyAccessNode o => o.Name,
                _ => throw new FeedQueryException("UnsupportedOrderBy", "After $apply, $orderby takes grouped properties or aliases only.", "$orderby"),
            };
            components.Add((slot(name), clause.Direction == OrderByDirection.Descending));
        }

        for (var i = 0; i < keyCount; i++)
        {
            components.Add((Expression.Property(row, $"P{i + 1}"), false));
        }

        var ordered = components.Count > 0 ? FeedQueries.Order(rows, row, components) : rows;
        var offset = token?.Offset ?? request.Skip ?? 0;
        var pageSize = token?.PageSize is > 0 and var tokenSize && request.PageSize == FeedPaging.DefaultPageSize ? tokenSize : request.PageSize;
        var served = token?.Served ?? 0;
        long limit = pageSize;
        if (request.Top is { } top)
        {
            limit = Math.Min(limit, top - served);
        }

        var list = limit <= 0 ? [] : await FeedQueries.ListAsync(ordered.Skip((int)offset).Take((int)limit + 1), cancellationToken);
        string? next = null;
        if (list.Count > limit)
        {
            list.RemoveAt(list.Count - 1);
            if (request.Top is null || served + limit < request.Top)
            {
                next = new SkipToken([], served + limit, count, pageSize, offset + limit).Encode();
            }
        }

        var getters = values.Select((_, i) => typeof(TResult).GetProperty($"P{i + 1}")!).ToList();
        var output = list.Select(r => values.Select((v, i) => Convert(getters[i].GetValue(r), v.Kind, context.Zone)).ToArray()).ToList();
        if (singleRow && output.Count == 0 && offset == 0)
        {
            output.Add([.. values.Select(v => v.Kind == FeedKind.Int64 ? (object?)0L : null)]);
        }

        return new FeedPage { Columns = values.Select(v => new FeedColumn(v.Name, v.Kind)).ToList(), Rows = output, Count = count, NextToken = next, PageSize = pageSize };
    }

    private static object? Convert(object? value, FeedKind kind, TimeZoneInfo zone) => (value, kind) switch
    {
        // Grouped dates are already local dates (midnight), not instants.
        (DateTime t, FeedKind.Date) => new Date(t.Year, t.Month, t.Day),
        (long l, FeedKind.Int32) when l is < int.MinValue or > int.MaxValue => throw new FeedQueryException("UnsupportedApply",
            $"A sum ({l}) exceeds Edm.Int32, the type of the property its alias names; choose an alias that is not a property of the set.", "$apply"),
        _ => FeedSet.ToODataValue(value, kind, zone),
    };

    /// <summary>
    /// An alias that names a property of the set (<c>Received with sum as Received</c>, the usual way
    /// to total a column) is written with that property's declared type, or OData's writer refuses the
    /// value: a sum of Edm.Int32 counts stays Edm.Int32 (the sum is computed in 64 bits and checked when
    /// written). An alias naming a property of another kind is refused with the fix.
    /// </summary>
    private static Output AsDeclared(FeedSet set, Output output)
    {
        if (set.Find(output.Name) is not { } declared || declared.Kind == output.Kind)
        {
            return output;
        }

        if (declared.Kind == FeedKind.Int32 && output.Kind == FeedKind.Int64)
        {
            return output with { Kind = FeedKind.Int32 };
        }

        throw new FeedQueryException("UnsupportedApply",
            $"The alias '{output.Name}' is a property of {set.Name} of type Edm.{declared.Kind}, but the aggregate gives Edm.{output.Kind}; choose another alias (e.g. {output.Name}Total).",
            "$apply");
    }

    private static Output Aggregate<TRow>(AggregateExpression aggregate, FeedBinder binder, ParameterExpression grouping)
    {
        var source = Expression.Convert(grouping, typeof(IEnumerable<TRow>));
        if (aggregate.Method == AggregationMethod.VirtualPropertyCount)
        {
            return new Output(aggregate.Alias, FeedKind.Int64,
                Expression.Call(typeof(Enumerable), nameof(Enumerable.LongCount), [typeof(TRow)], source));
        }

        var bound = binder.Bind(aggregate.Expression);
        var value = bound.Instant is not null && aggregate.Method is AggregationMethod.Min or AggregationMethod.Max ? bound.Instant : bound.Expr;
        var kind = bound.Kind ?? FeedKind.String;
        var numeric = kind is FeedKind.Int32 or FeedKind.Int64 or FeedKind.Double;
        switch (aggregate.Method)
        {
            case AggregationMethod.Sum when numeric:
                var sumType = kind == FeedKind.Double ? typeof(double?) : typeof(long?);
                var sumSelector = Expression.Lambda(Expression.Convert(value, sumType), binder.Row);
                return new Output(aggregate.Alias, kind == FeedKind.Double ? FeedKind.Double : FeedKind.Int64,
                    Expression.Call(typeof(Enumerable), nameof(Enumerable.Sum), [typeof(TRow)], source, sumSelector));
            case AggregationMethod.Average when numeric:
                var averageSelector = Expression.Lambda(Expression.Convert(value, typeof(double?)), binder.Row);
                return new Output(aggregate.Alias, FeedKind.Double,
                    Expression.Call(typeof(Enumerable), nameof(Enumerable.Average), [typeof(TRow)], source, averageSelector));
            case AggregationMethod.Min or AggregationMethod.Max when kind != FeedKind.Boolean:
                var selector = Expression.Lambda(value, binder.Row);
                var name = aggregate.Method == AggregationMethod.Min ? nameof(Enumerable.Min) : nameof(Enumerable.Max);
                return new Output(aggregate.Alias, kind == FeedKind.Date && bound.Instant is not null ? FeedKind.DateTimeOffset : kind,
                    Expression.Call(typeof(Enumerable), name, [typeof(TRow), value.Type], source, selector));
            case AggregationMethod.CountDistinct:
                var distinctSelector = Expression.Lambda(value, binder.Row);
                var selected = Expression.Call(typeof(Enumerable), nameof(Enumerable.Select), [typeof(TRow), value.Type], source, distinctSelector);
                var distinct = Expression.Call(typeof(Enumerable), nameof(Enumerable.Distinct), [value.Type], selected);
                return new Output(aggregate.Alias, FeedKind.Int64, Expression.Call(typeof(Enumerable), nameof(Enumerable.LongCount), [value.Type], distinct));
            default:
                throw new FeedQueryException("UnsupportedApply",
                    $"'{aggregate.Method}' cannot aggregate a value of type Edm.{kind} (alias {aggregate.Alias}).", "$apply");
        }
    }

    private static Type KeyType(List<Output> keys) => keys.Count == 0 ? typeof(int) : SlotsType(keys.Select(k => k.Value.Type).ToList());

    private static Type SlotsType(List<Type> types)
    {
        if (types.Count is 0 or > MaxSlots)
        {
            throw new FeedQueryException("UnsupportedApply", $"$apply may produce between 1 and {MaxSlots} properties.", "$apply");
        }

        var open = typeof(FeedApply).Assembly.GetType($"ProcessServer.Host.Features.OData.Slots{types.Count}`{types.Count}")!;
        return open.MakeGenericType([.. types]);
    }

    private static MemberInitExpression NewSlots(List<Expression> values)
    {
        var type = SlotsType(values.Select(v => v.Type).ToList());
        return Expression.MemberInit(Expression.New(type),
            values.Select((v, i) => (MemberBinding)Expression.Bind(type.GetProperty($"P{i + 1}")!, v)));
    }
}
