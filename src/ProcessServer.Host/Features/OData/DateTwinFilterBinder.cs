using System.Linq.Expressions;
using Microsoft.AspNetCore.OData.Query.Expressions;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The library's filter binder, with one change kept on top of it: a comparison of a local-day
/// <c>Edm.Date</c> twin (<see cref="DateTwinAttribute"/>) with a date literal becomes a range on the
/// UTC instant the twin is computed from. The library would compare the computed local date of every
/// row, which no index serves; the range uses the instant's index (the first filtered page of 1,000,000
/// dossiers in BENCHMARKS.md depends on it). Every other node is bound by the library.
/// </summary>
internal sealed class DateTwinFilterBinder(TimeZoneInfo zone) : FilterBinder
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
