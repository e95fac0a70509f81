using System.Collections;
using System.Linq.Expressions;
using Microsoft.AspNetCore.OData.Query;
using Microsoft.OData.UriParser.Aggregation;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The one row of an <c>aggregate(…)</c> without <c>groupby</c> over no rows at all. OData's
/// aggregation extension answers such a request with exactly one row whatever the input (a count of
/// 0, a sum, minimum or maximum of nothing null), as SQL's aggregate without GROUP BY does. The
/// library binds it as a grouping of every row under one key, so over no rows there is no group and
/// the feed came back empty: a "how many overdue this month" in Excel showed an empty table instead
/// of 0. Kept on top of the library: the row is the library's own projection of that one group,
/// applied to an empty group, so it is written exactly as a row over some input would be.
/// </summary>
internal static class EmptyAggregate
{
    /// <summary>
    /// Whether <paramref name="options"/>' $apply ends in an aggregate with no groupby anywhere (so
    /// its answer is always one row); a transformation after the aggregate (a filter of it) may drop
    /// that row, and is left to the library.
    /// </summary>
    public static bool AlwaysOneRow(ODataQueryOptions options) =>
        options.Apply?.ApplyClause?.Transformations is { } steps
        && steps.LastOrDefault() is AggregateTransformationNode
        && !steps.Any(s => s is GroupByTransformationNode);

    /// <summary>
    /// The row of the aggregate bound in <paramref name="applied"/> over no input, or null when the
    /// binding does not have the expected shape (a Select over a GroupBy) or the projection cannot
    /// be taken of nothing (the minimum of a column that is never null, say).
    /// </summary>
    public static object? RowOverNothing(IQueryable applied)
    {
        if (applied.Expression is not MethodCallExpression { Method.Name: nameof(Queryable.Select) } select
            || select.Arguments is not [MethodCallExpression { Method.Name: nameof(Queryable.GroupBy) }, var quoted]
            || Unquote(quoted) is not { Parameters: [var group] } projection
            || group.Type is not { IsGenericType: true } groupType
            || groupType.GetGenericTypeDefinition() != typeof(IGrouping<,>))
        {
            return null;
        }

        var arguments = groupType.GetGenericArguments();
        var empty = Activator.CreateInstance(typeof(Nothing<,>).MakeGenericType(arguments))!;
        try
        {
            return new OfNothing().Visit(projection) is LambdaExpression safe ? safe.Compile().DynamicInvoke(empty) : null;
        }
#pragma warning disable CA1031 // Whatever the projection cannot make of nothing, the answer stays the library's own.
        catch (Exception)
#pragma warning restore CA1031
        {
            // A projection this does not know how to take of nothing: the answer stays as the library gives it.
            return null;
        }
    }

    private static LambdaExpression? Unquote(Expression expression) => expression switch
    {
        UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda } => lambda,
        LambdaExpression lambda => lambda,
        _ => null,
    };

    /// <summary>
    /// Each value of the row is bound as <c>(object)aggregate(group)</c>. LINQ to objects has no
    /// minimum, maximum or average of an empty sequence of values that cannot be null (it throws);
    /// OData's is null, so those read <c>group.Any() ? (object)aggregate(group) : null</c>.
    /// </summary>
    private sealed class OfNothing : ExpressionVisitor
    {
        protected override Expression VisitUnary(UnaryExpression node)
        {
            if (node is { NodeType: ExpressionType.Convert, Operand: MethodCallExpression { Method.Name: "Min" or "Max" or "Average", Arguments: [var source, ..] } call }
                && node.Type == typeof(object) && call.Method.DeclaringType == typeof(Enumerable)
                && call.Type.IsValueType && Nullable.GetUnderlyingType(call.Type) is null)
            {
                var element = source.Type.GetInterfaces().Append(source.Type)
                    .First(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>)).GetGenericArguments()[0];
                var any = Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [element], source);
                return Expression.Condition(any, node, Expression.Constant(null, typeof(object)));
            }

            return base.VisitUnary(node);
        }
    }

    /// <summary>A group holding no row, under the key type's default (the library's no-groupby key carries nothing).</summary>
    private sealed class Nothing<TKey, TElement> : IGrouping<TKey, TElement>
    {
        public TKey Key => default!;

        public IEnumerator<TElement> GetEnumerator() => Enumerable.Empty<TElement>().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
