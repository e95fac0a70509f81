using System.Globalization;
using System.Linq.Expressions;

namespace ProcessServer.Host.Features.OData;

/// <summary>The keyset predicate of a next page: rows strictly after the last row sent, in the page's order.</summary>
internal static class Keyset
{
    /// <summary>Rows after <paramref name="values"/> in the order of <paramref name="components"/> (each ascending or descending).</summary>
    public static Expression After(IReadOnlyList<(Expression Expr, bool Descending)> components, IReadOnlyList<object?> values)
    {
        Expression? result = null;
        Expression prefix = Expression.Constant(true);
        for (var i = 0; i < components.Count; i++)
        {
            var (expr, descending) = components[i];
            var value = values[i];
            if (Beyond(expr, value, descending) is { } after)
            {
                var term = Expression.AndAlso(prefix, after);
                result = result is null ? term : Expression.OrElse(result, term);
            }

            prefix = Expression.AndAlso(prefix, value is null
                ? Expression.Equal(expr, Expression.Constant(null, expr.Type))
                : Expression.Equal(expr, Constant(value, expr.Type)));
        }

        return result ?? Expression.Constant(false);
    }

    private static Expression? Beyond(Expression expr, object? value, bool descending)
    {
        if (value is null)
        {
            // Nulls are ordered by the null flag before the value; among equal flags nothing is beyond null.
            return null;
        }

        var underlying = Nullable.GetUnderlyingType(expr.Type) ?? expr.Type;
        if (underlying == typeof(bool))
        {
            return ((bool)value, descending) switch
            {
                (false, false) => Expression.Equal(expr, Expression.Constant(true, expr.Type)),
                (true, true) => Expression.Equal(expr, Expression.Constant(false, expr.Type)),
                _ => null,
            };
        }

        if (expr.Type == typeof(string))
        {
            var compare = Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, expr, Parameter(value, typeof(string)));
            return descending ? Expression.LessThan(compare, Expression.Constant(0)) : Expression.GreaterThan(compare, Expression.Constant(0));
        }

        var constant = Constant(value, expr.Type);
        return descending ? Expression.LessThan(expr, constant) : Expression.GreaterThan(expr, constant);
    }

    private static Expression Constant(object value, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var converted = value.GetType() == underlying ? value
            : value is DateTime t && underlying == typeof(DateTimeOffset) ? new DateTimeOffset(t, TimeSpan.Zero)
            : Convert.ChangeType(value, underlying, CultureInfo.InvariantCulture);
        return Parameter(converted, type);
    }

    /// <summary>
    /// A value as a query parameter rather than inlined SQL, so EF Core reuses the compiled query
    /// whatever the next page's token carries.
    /// </summary>
    public static Expression Parameter(object value, Type type) =>
        Expression.Property(Expression.Constant(Activator.CreateInstance(typeof(Holder<>).MakeGenericType(type), value)), "Value");

    private sealed class Holder<T>(T value)
    {
        public T Value { get; } = value;
    }
}
