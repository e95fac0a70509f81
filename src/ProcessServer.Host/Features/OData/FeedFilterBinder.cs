using System.Linq.Expressions;
using Microsoft.AspNetCore.OData.Query.Expressions;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The library's filter binder, with what the hand-written binder did better kept on top of it:
/// <list type="bullet">
/// <item>a comparison (or an <c>in</c> list) of a local-day <c>Edm.Date</c> twin (<see cref="DateTwinAttribute"/>)
/// with date literals becomes a range on the UTC instant the twin is computed from. The library would
/// compare the computed local date of every row, which no index serves; the range uses the instant's
/// index (the first filtered page of 1,000,000 dossiers in BENCHMARKS.md depends on it);</item>
/// <item>an <c>in</c> list is converted to the property's own type (instants given with an offset become
/// UTC); the library builds a list of the literals' type and casts it, which fails at run time;</item>
/// <item><c>substring</c> past the end of a text gives what is left (or ''), as the databases do, so the
/// small in-memory sets (Units, Fields, Procedures, the period report) answer the same instead of failing;</item>
/// <item>NaN and INF literals are refused with a reason: stored numbers are always finite, and SQLite
/// cannot even take them as parameters.</item>
/// </list>
/// Every other node is bound by the library.
/// </summary>
internal sealed class FeedFilterBinder(TimeZoneInfo zone) : FilterBinder
{
    public override Expression BindBinaryOperatorNode(BinaryOperatorNode binaryOperatorNode, QueryBinderContext context)
    {
        ArgumentNullException.ThrowIfNull(binaryOperatorNode);
        var op = binaryOperatorNode.OperatorKind;
        if (op is BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
            or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual)
        {
            if (Instant(binaryOperatorNode.Left, context) is { } left && DateLiteral(binaryOperatorNode.Right) is var (isDate, right) && isDate)
            {
                return Range(left, op, right);
            }

            if (Instant(binaryOperatorNode.Right, context) is { } flipped && DateLiteral(binaryOperatorNode.Left) is var (isDate2, value) && isDate2)
            {
                return Range(flipped, Flip(op), value);
            }
        }

        return base.BindBinaryOperatorNode(binaryOperatorNode, context);
    }

    public override Expression BindInNode(InNode inNode, QueryBinderContext context)
    {
        ArgumentNullException.ThrowIfNull(inNode);
        if (inNode.Right is not CollectionConstantNode list)
        {
            return base.BindInNode(inNode, context);
        }

        if (Instant(inNode.Left, context) is { } instant)
        {
            Expression any = Expression.Constant(false);
            foreach (var item in list.Collection)
            {
                if (DateLiteral(item) is not (true, var day))
                {
                    throw new FeedQueryException("UnsupportedExpression",
                        "An 'in' list on a Date column takes dates (2026-01-31) only; to compare instants use the column ending in At.", "$filter");
                }

                any = Expression.OrElse(any, Range(instant, BinaryOperatorKind.Equal, day));
            }

            return any;
        }

        var left = Bind(inNode.Left, context);
        var type = Nullable.GetUnderlyingType(left.Type) ?? left.Type;
        var listType = typeof(List<>).MakeGenericType(left.Type);
        var values = (System.Collections.IList)Activator.CreateInstance(listType)!;
        foreach (var item in list.Collection)
        {
            values.Add(item.Value is null ? null : InType(item.Value, type));
        }

        var contains = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [left.Type], Keyset.Parameter(values, listType), left);
        return contains;
    }

    /// <summary>A literal of an in-list as a value of the property's CLR type, or a 400 naming the mismatch.</summary>
    private static object InType(object value, Type type)
    {
        if (value is ODataEnumValue e)
        {
            value = e.Value;
        }

        if (value.GetType() == type)
        {
            return value;
        }

        return (value, type) switch
        {
            (DateTimeOffset o, _) when type == typeof(DateTime) => o.UtcDateTime,
            (DateTime t, _) when type == typeof(DateTimeOffset) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)),
#pragma warning disable CS0618 // ODataLib 8 still parses date literals to its own Date type
            (Date d, _) when type == typeof(DateOnly) => new DateOnly(d.Year, d.Month, d.Day),
#pragma warning restore CS0618
            (IConvertible, _) when IsNumber(type) && IsNumber(value.GetType()) && Finite(value) => Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new FeedQueryException("UnsupportedExpression",
                $"The 'in' list holds {value} ({value.GetType().Name}) where the property is {type.Name}; give literals of the property's own type.", "$filter"),
        };
    }

    private static bool IsNumber(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(double) || type == typeof(float) || type == typeof(decimal);

    private static bool Finite(object value) => value switch
    {
        double d => double.IsFinite(d),
        float f => float.IsFinite(f),
        _ => true,
    };

    public override Expression BindConstantNode(ConstantNode constantNode, QueryBinderContext context)
    {
        ArgumentNullException.ThrowIfNull(constantNode);
        if (constantNode.Value is double or float && !Finite(constantNode.Value))
        {
            throw new FeedQueryException("UnsupportedLiteral",
                $"The literal {constantNode.LiteralText} (NaN or INF) cannot be compared with stored numbers, which are always finite; use a finite number.", "$filter");
        }

        return base.BindConstantNode(constantNode, context);
    }

    protected override Expression BindSubstring(SingleValueFunctionCallNode node, QueryBinderContext context) =>
        new TolerantSubstring().Visit(base.BindSubstring(node, context));

    /// <summary>
    /// string.Substring as OData means it: a start past the end gives '', a length past the end gives
    /// the rest, a negative start counts as 0 and a negative length as 0. EF Core translates the
    /// conditions into SQL; LINQ to Objects no longer throws.
    /// </summary>
    private sealed class TolerantSubstring : ExpressionVisitor
    {
        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            var call = (MethodCallExpression)base.VisitMethodCall(node);
            if (call.Method.DeclaringType != typeof(string) || call.Method.Name != nameof(string.Substring) || call.Object is not { } text)
            {
                return call;
            }

            var zero = Expression.Constant(0);
            var start = Expression.Condition(Expression.LessThan(call.Arguments[0], zero), zero, call.Arguments[0]);
            var length = Expression.Property(text, nameof(string.Length));
            var rest = Expression.Call(text, typeof(string).GetMethod(nameof(string.Substring), [typeof(int)])!, start);
            Expression result = rest;
            if (call.Arguments.Count == 2)
            {
                var wanted = Expression.Condition(Expression.LessThan(call.Arguments[1], zero), zero, call.Arguments[1]);
                result = Expression.Condition(Expression.LessThanOrEqual(Expression.Subtract(length, start), wanted), rest,
                    Expression.Call(text, typeof(string).GetMethod(nameof(string.Substring), [typeof(int), typeof(int)])!, start, wanted));
            }

            return Expression.Condition(Expression.LessThanOrEqual(length, start), Expression.Constant(string.Empty), result);
        }
    }

    /// <summary>The instant behind a twin property access, or null when the node is something else.</summary>
    private Expression? Instant(SingleValueNode node, QueryBinderContext context)
    {
        while (node is ConvertNode convert)
        {
            node = convert.Source;
        }

        if (node is not SingleValuePropertyAccessNode { Source: { } sourceNode } property)
        {
            return null;
        }

        var source = Bind(sourceNode, context);
        return FeedModel.Twins.TryGetValue(source.Type, out var twins) && twins.TryGetValue(property.Property.Name, out var instant)
            ? Expression.Property(source, instant)
            : null;
    }

    /// <summary>(true, date) for a date literal, (true, null) for the null literal, (false, _) otherwise.</summary>
    private static (bool IsDate, DateOnly? Value) DateLiteral(SingleValueNode node)
    {
        while (node is ConvertNode convert)
        {
            node = convert.Source;
        }

        return node switch
        {
            ConstantNode { Value: DateOnly d } => (true, d),
#pragma warning disable CS0618 // ODataLib 8 still parses date literals to its own Date type
            ConstantNode { Value: Date date } => (true, new DateOnly(date.Year, date.Month, date.Day)),
#pragma warning restore CS0618
            ConstantNode { Value: null } => (true, null),
            _ => (false, null),
        };
    }

    private Expression Range(Expression instant, BinaryOperatorKind op, DateOnly? date)
    {
        var nullable = Nullable.GetUnderlyingType(instant.Type) is not null;
        var isNull = nullable ? Expression.Equal(instant, Expression.Constant(null, instant.Type)) : (Expression)Expression.Constant(false);
        if (date is not { } day)
        {
            return op switch
            {
                BinaryOperatorKind.Equal => isNull,
                BinaryOperatorKind.NotEqual => Expression.Not(isNull),
                _ => Expression.Constant(false),
            };
        }

        var start = Keyset.Parameter(LocalMidnight(day), instant.Type);
        var next = Keyset.Parameter(day == DateOnly.MaxValue ? LocalMidnight(day) : LocalMidnight(day.AddDays(1)), instant.Type);
        return op switch
        {
            BinaryOperatorKind.Equal => Expression.AndAlso(Expression.GreaterThanOrEqual(instant, start), Expression.LessThan(instant, next)),
            // OData: null ne a date is true.
            BinaryOperatorKind.NotEqual => Expression.OrElse(isNull, Expression.OrElse(Expression.LessThan(instant, start), Expression.GreaterThanOrEqual(instant, next))),
            BinaryOperatorKind.LessThan => Expression.LessThan(instant, start),
            BinaryOperatorKind.LessThanOrEqual => Expression.LessThan(instant, next),
            BinaryOperatorKind.GreaterThan => Expression.GreaterThanOrEqual(instant, next),
            _ => Expression.GreaterThanOrEqual(instant, start),
        };
    }

    /// <summary>The UTC instant the local day starts at; days outside DateTime's range clamp to its ends.</summary>
    private DateTime LocalMidnight(DateOnly day) =>
        day == DateOnly.MaxValue ? DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc)
        : day == DateOnly.MinValue ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)
        : TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), zone);

    private static BinaryOperatorKind Flip(BinaryOperatorKind op) => op switch
    {
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        _ => op,
    };
}
