using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;

namespace ProcessServer.Host.Features.OData;

/// <summary>A query the feed refuses: answered with an OData error, 400 unless said otherwise.</summary>
internal sealed class FeedQueryException(string code, string message, string? target = null, int status = 400) : Exception(message)
{
    public string Code { get; } = code;

    public string? Target { get; } = target;

    public int Status { get; } = status;
}

/// <summary>A bound sub-expression: its LINQ form, its EDM kind, and for an Edm.Date twin the instant behind it.</summary>
/// <param name="Expr">The LINQ expression. For Date values a local-midnight DateTime.</param>
/// <param name="Kind">EDM kind; null for the null literal.</param>
/// <param name="Instant">For a Date twin property: the UTC instant column it is the local date of.</param>
/// <param name="IsConstant">Whether the value is a literal.</param>
/// <param name="Value">The literal's value (Date for date literals).</param>
internal sealed record Bound(Expression Expr, FeedKind? Kind, Expression? Instant = null, bool IsConstant = false, object? Value = null);

/// <summary>
/// Translates ODataLib's semantic tree ($filter, $orderby, $apply expressions) into LINQ expressions
/// over a set's row type, for EF Core to turn into SQL. Only a whitelist of node kinds and functions is
/// accepted; anything else is a <see cref="FeedQueryException"/> (400), never a server error.
/// </summary>
internal sealed class FeedBinder(FeedSet set, ParameterExpression row, TimeZoneInfo zone)
{
    private static readonly MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
    private static readonly MethodInfo StringContains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;
    private static readonly MethodInfo StringStartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;
    private static readonly MethodInfo StringEndsWith = typeof(string).GetMethod(nameof(string.EndsWith), [typeof(string)])!;
    private static readonly MethodInfo StringIndexOf = typeof(string).GetMethod(nameof(string.IndexOf), [typeof(string)])!;
    private static readonly MethodInfo StringToLower = typeof(string).GetMethod(nameof(string.ToLower), Type.EmptyTypes)!;
    private static readonly MethodInfo StringToUpper = typeof(string).GetMethod(nameof(string.ToUpper), Type.EmptyTypes)!;
    private static readonly MethodInfo StringTrim = typeof(string).GetMethod(nameof(string.Trim), Type.EmptyTypes)!;
    private static readonly MethodInfo StringConcat = typeof(string).GetMethod(nameof(string.Concat), [typeof(string), typeof(string)])!;
    private static readonly MethodInfo StringSubstring1 = typeof(string).GetMethod(nameof(string.Substring), [typeof(int)])!;
    private static readonly MethodInfo StringSubstring2 = typeof(string).GetMethod(nameof(string.Substring), [typeof(int), typeof(int)])!;
    private static readonly MethodInfo MathRound = typeof(Math).GetMethod(nameof(Math.Round), [typeof(double)])!;
    private static readonly MethodInfo MathFloor = typeof(Math).GetMethod(nameof(Math.Floor), [typeof(double)])!;
    private static readonly MethodInfo MathCeiling = typeof(Math).GetMethod(nameof(Math.Ceiling), [typeof(double)])!;

    private readonly double _offsetMinutes = zone.BaseUtcOffset.TotalMinutes;

    /// <summary>The row parameter the bound expressions use.</summary>
    public ParameterExpression Row => row;

    /// <summary>Names bound by an earlier $apply step (aliases), looked up before the set's properties.</summary>
    public Func<string, Bound?>? Aliases { get; init; }

    /// <summary>A Boolean predicate for Where.</summary>
    public Expression Predicate(SingleValueNode node, string target)
    {
        var bound = Bind(node);
        return AsBool(bound.Expr, target);
    }

    /// <summary>Binds any single-value node.</summary>
    public Bound Bind(SingleValueNode node) => node switch
    {
        ConstantNode constant => Constant(constant.Value),
        ConvertNode convert => Convert(convert),
        SingleValuePropertyAccessNode property => Property(property.Property.Name),
        SingleValueOpenPropertyAccessNode open => Aliases?.Invoke(open.Name)
            ?? throw new FeedQueryException("UnknownProperty", $"Could not find a property named '{open.Name}' on type '{set.EntityType.FullName()}'."),
        BinaryOperatorNode binary => Binary(binary),
        UnaryOperatorNode unary => Unary(unary),
        SingleValueFunctionCallNode function => Function(function),
        InNode @in => In(@in),
        _ => throw new FeedQueryException("UnsupportedExpression", $"Expressions of kind {node.Kind} are not supported by this service."),
    };

    /// <summary>A property of the set (or an alias), bound to the row.</summary>
    public Bound Property(string name)
    {
        if (Aliases?.Invoke(name) is { } alias)
        {
            return alias;
        }

        var property = set.Find(name)
            ?? throw new FeedQueryException("UnknownProperty", $"Could not find a property named '{name}' on type '{set.EntityType.FullName()}'.");
        var expression = property.Bind(row);
        return property.Kind == FeedKind.Date
            ? new Bound(LocalDate(expression), FeedKind.Date, expression)
            : new Bound(expression, property.Kind);
    }

    /// <summary>The local date (as a midnight DateTime) of a UTC instant expression.</summary>
    public Expression LocalDate(Expression instant)
    {
        var addMinutes = typeof(DateTime).GetMethod(nameof(DateTime.AddMinutes), [typeof(double)])!;
        var date = typeof(DateTime).GetProperty(nameof(DateTime.Date))!;
        if (instant.Type == typeof(DateTime))
        {
            return Expression.Property(Expression.Call(instant, addMinutes, Expression.Constant(_offsetMinutes)), date);
        }

        var value = Expression.Property(instant, nameof(Nullable<DateTime>.Value));
        return Expression.Condition(
            Expression.Equal(instant, Expression.Constant(null, typeof(DateTime?))),
            Expression.Constant(null, typeof(DateTime?)),
            Expression.Convert(Expression.Property(Expression.Call(value, addMinutes, Expression.Constant(_offsetMinutes)), date), typeof(DateTime?)));
    }

    /// <summary>The UTC instant local midnight of <paramref name="date"/> starts at.</summary>
    public DateTime StartOfLocalDay(Date date) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(date.Year, date.Month, date.Day, 0, 0, 0, DateTimeKind.Unspecified), zone);

    private static Expression AsBool(Expression expression, string target)
    {
        if (expression.Type == typeof(bool))
        {
            return expression;
        }

        if (expression.Type == typeof(bool?))
        {
            return Expression.Equal(expression, Expression.Constant(true, typeof(bool?)));
        }

        throw new FeedQueryException("NotBoolean", $"The {target} expression must be a Boolean expression.", target);
    }

    private static Bound Constant(object? value) => value switch
    {
        null => new Bound(Expression.Constant(null), null, IsConstant: true),
        string s => Literal(s, FeedKind.String),
        bool b => Literal(b, FeedKind.Boolean),
        int or short or byte or sbyte => Literal(System.Convert.ToInt32(value, CultureInfo.InvariantCulture), FeedKind.Int32),
        long l => Literal(l, FeedKind.Int64),
        double d when !double.IsFinite(d) => throw new FeedQueryException("UnsupportedLiteral",
            $"The literal {d.ToString(CultureInfo.InvariantCulture)} (NaN or INF) cannot be compared with stored numbers, which are always finite; use a finite number."),
        float f when !float.IsFinite(f) => throw new FeedQueryException("UnsupportedLiteral",
            $"The literal {f.ToString(CultureInfo.InvariantCulture)} (NaN or INF) cannot be compared with stored numbers, which are always finite; use a finite number."),
        double or float or decimal => Literal(System.Convert.ToDouble(value, CultureInfo.InvariantCulture), FeedKind.Double),
        DateTimeOffset dto => new Bound(Parameter(dto.UtcDateTime, typeof(DateTime)), FeedKind.DateTimeOffset, IsConstant: true, Value: dto.UtcDateTime),
        Date date => new Bound(Parameter(new DateTime(date.Year, date.Month, date.Day), typeof(DateTime)), FeedKind.Date, IsConstant: true, Value: date),
        _ => throw new FeedQueryException("UnsupportedLiteral", $"Literals of type {value.GetType().Name} are not supported by this service."),
    };

    private static Bound Literal(object value, FeedKind kind) => new(Parameter(value, value.GetType()), kind, IsConstant: true, Value: value);

    /// <summary>
    /// A literal as a query parameter rather than inlined SQL, so EF Core reuses the compiled query
    /// whatever value the next filter, page token or date range carries.
    /// </summary>
    public static Expression Parameter(object value, Type type) =>
        Expression.Property(Expression.Constant(Activator.CreateInstance(typeof(Holder<>).MakeGenericType(type), value)), "Value");

    private sealed class Holder<T>(T value)
    {
        public T Value { get; } = value;
    }

    private Bound Convert(ConvertNode node)
    {
        var source = Bind(node.Source);
        if (node.TypeReference is null || !node.TypeReference.IsPrimitive())
        {
            return source;
        }

        var target = KindOf(node.TypeReference.AsPrimitive().PrimitiveKind());
        if (source.Kind is null || source.Kind == target)
        {
            return source.Kind is null ? source : source;
        }

        if (source.IsConstant)
        {
            return (source.Value, target) switch
            {
                (Date d, FeedKind.DateTimeOffset) => Constant(new DateTimeOffset(d.Year, d.Month, d.Day, 0, 0, 0, TimeSpan.Zero)),
                (IConvertible c, FeedKind.Int32) => Literal(System.Convert.ToInt32(c, CultureInfo.InvariantCulture), FeedKind.Int32),
                (IConvertible c, FeedKind.Int64) => Literal(System.Convert.ToInt64(c, CultureInfo.InvariantCulture), FeedKind.Int64),
                (IConvertible c, FeedKind.Double) => Literal(System.Convert.ToDouble(c, CultureInfo.InvariantCulture), FeedKind.Double),
                _ => throw Mismatch(source.Kind.Value, target),
            };
        }

        return (source.Kind, target) switch
        {
            // Date promoted to DateTimeOffset: midnight of that date, as the value it stands for.
            (FeedKind.Date, FeedKind.DateTimeOffset) => source with { Kind = FeedKind.DateTimeOffset, Instant = null },
            (FeedKind.Int32 or FeedKind.Int64 or FeedKind.Double, FeedKind.Int64 or FeedKind.Double or FeedKind.Int32) =>
                new Bound(Expression.Convert(source.Expr, Lift(ClrOf(target), IsNullable(source.Expr.Type))), target),
            _ => throw Mismatch(source.Kind!.Value, target),
        };
    }

    private static FeedQueryException Mismatch(FeedKind from, FeedKind to) =>
        new("TypeMismatch", $"A value of type Edm.{from} cannot be used where Edm.{to} is expected.");

    private Bound Binary(BinaryOperatorNode node)
    {
        var kind = node.OperatorKind;
        if (kind is BinaryOperatorKind.And or BinaryOperatorKind.Or)
        {
            var left = AsBool(Bind(node.Left).Expr, "$filter");
            var right = AsBool(Bind(node.Right).Expr, "$filter");
            return new Bound(kind == BinaryOperatorKind.And ? Expression.AndAlso(left, right) : Expression.OrElse(left, right), FeedKind.Boolean);
        }

        var l = Bind(node.Left);
        var r = Bind(node.Right);
        return kind switch
        {
            BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual or BinaryOperatorKind.GreaterThan
                or BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual =>
                new Bound(Compare(l, kind, r), FeedKind.Boolean),
            BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply
                or BinaryOperatorKind.Divide or BinaryOperatorKind.Modulo => Arithmetic(l, kind, r),
            _ => throw new FeedQueryException("UnsupportedOperator", $"The operator '{kind}' is not supported by this service."),
        };
    }

    /// <summary>A comparison, with Edm.Date twins compared to date literals as instant ranges.</summary>
    public Expression Compare(Bound left, BinaryOperatorKind op, Bound right)
    {
        if (left.Instant is not null && right.IsConstant && (right.Kind == FeedKind.Date || right.Kind is null))
        {
            return TwinCompare(left.Instant, op, right.Value as Date?);
        }

        if (right.Instant is not null && left.IsConstant && (left.Kind == FeedKind.Date || left.Kind is null))
        {
            return TwinCompare(right.Instant, Flip(op), left.Value as Date?);
        }

        var (a, b) = Unify(left, right);
        if (a.Type == typeof(string))
        {
            if (op is BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual)
            {
                return op == BinaryOperatorKind.Equal ? Expression.Equal(a, b) : Expression.NotEqual(a, b);
            }

            return Relational(Expression.Call(StringCompare, a, b), op, Expression.Constant(0));
        }

        if (Underlying(a.Type) == typeof(bool) && op is not (BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual))
        {
            throw new FeedQueryException("UnsupportedOperator", "Boolean values can only be compared with eq and ne.");
        }

        if (op == BinaryOperatorKind.NotEqual && (IsNullable(a.Type) || IsNullable(b.Type)) && !IsNullConstant(a) && !IsNullConstant(b))
        {
            // OData: null ne 5 is true; SQL would say unknown.
            return Expression.NotEqual(a, b);
        }

        return Relational(a, op, b);
    }

    private static bool IsNullConstant(Expression e) => e is ConstantExpression { Value: null };

    private static Expression Relational(Expression a, BinaryOperatorKind op, Expression b) => op switch
    {
        BinaryOperatorKind.Equal => Expression.Equal(a, b),
        BinaryOperatorKind.NotEqual => Expression.NotEqual(a, b),
        BinaryOperatorKind.GreaterThan => Expression.GreaterThan(a, b),
        BinaryOperatorKind.GreaterThanOrEqual => Expression.GreaterThanOrEqual(a, b),
        BinaryOperatorKind.LessThan => Expression.LessThan(a, b),
        _ => Expression.LessThanOrEqual(a, b),
    };

    private static BinaryOperatorKind Flip(BinaryOperatorKind op) => op switch
    {
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        _ => op,
    };

    private Expression TwinCompare(Expression instant, BinaryOperatorKind op, Date? date)
    {
        var nullable = IsNullable(instant.Type);
        var isNull = nullable ? Expression.Equal(instant, Expression.Constant(null, instant.Type)) : (Expression)Expression.Constant(false);
        if (date is null)
        {
            return op switch
            {
                BinaryOperatorKind.Equal => isNull,
                BinaryOperatorKind.NotEqual => Expression.Not(isNull),
                _ => Expression.Constant(false),
            };
        }

        var start = Parameter(StartOfLocalDay(date.Value), instant.Type);
        // The day after the last representable date does not exist; nothing is at or after it.
        var next = Parameter(date.Value == Date.MaxValue ? DateTime.MaxValue : StartOfLocalDay(date.Value.AddDays(1)), instant.Type);
        return op switch
        {
            BinaryOperatorKind.Equal => Expression.AndAlso(Expression.GreaterThanOrEqual(instant, start), Expression.LessThan(instant, next)),
            BinaryOperatorKind.NotEqual => nullable
                ? Expression.OrElse(isNull, Expression.OrElse(Expression.LessThan(instant, start), Expression.GreaterThanOrEqual(instant, next)))
                : Expression.OrElse(Expression.LessThan(instant, start), Expression.GreaterThanOrEqual(instant, next)),
            BinaryOperatorKind.LessThan => Expression.LessThan(instant, start),
            BinaryOperatorKind.LessThanOrEqual => Expression.LessThan(instant, next),
            BinaryOperatorKind.GreaterThan => Expression.GreaterThanOrEqual(instant, next),
            _ => Expression.GreaterThanOrEqual(instant, start),
        };
    }

    private static Bound Arithmetic(Bound left, BinaryOperatorKind op, Bound right)
    {
        if (left.Kind is not (FeedKind.Int32 or FeedKind.Int64 or FeedKind.Double) || right.Kind is not (FeedKind.Int32 or FeedKind.Int64 or FeedKind.Double))
        {
            throw new FeedQueryException("UnsupportedOperator", $"The operator '{op}' is only supported on numbers here.");
        }

        var (a, b) = Unify(left, right);
        var result = op switch
        {
            BinaryOperatorKind.Add => Expression.Add(a, b),
            BinaryOperatorKind.Subtract => Expression.Subtract(a, b),
            BinaryOperatorKind.Multiply => Expression.Multiply(a, b),
            BinaryOperatorKind.Divide => Expression.Divide(a, b),
            _ => Expression.Modulo(a, b),
        };
        return new Bound(result, KindOfClr(Underlying(result.Type)));
    }

    private Bound Unary(UnaryOperatorNode node)
    {
        var operand = Bind(node.Operand);
        if (node.OperatorKind == UnaryOperatorKind.Not)
        {
            return new Bound(Expression.Not(AsBool(operand.Expr, "$filter")), FeedKind.Boolean);
        }

        if (operand.Kind is not (FeedKind.Int32 or FeedKind.Int64 or FeedKind.Double))
        {
            throw new FeedQueryException("UnsupportedOperator", "Negation is only supported on numbers.");
        }

        return new Bound(Expression.Negate(operand.Expr), operand.Kind);
    }

    private Bound In(InNode node)
    {
        var left = Bind(node.Left);
        if (node.Right is not CollectionConstantNode list)
        {
            throw new FeedQueryException("UnsupportedExpression", "The right side of 'in' must be a list of literals, e.g. UnitCode in ('A','B').");
        }

        var items = list.Collection.Select(c => Constant(c.Value)).ToList();
        if (items.Count > 1000)
        {
            throw new FeedQueryException("TooManyValues", "An 'in' list may hold at most 1000 values.");
        }

        if (left.Instant is not null)
        {
            Expression any = Expression.Constant(false);
            foreach (var item in items)
            {
                any = Expression.OrElse(any, Compare(left, BinaryOperatorKind.Equal, item));
            }

            return new Bound(any, FeedKind.Boolean);
        }

        var type = Underlying(left.Expr.Type);
        var values = Array.CreateInstance(type, items.Count(i => i.Value is not null));
        var index = 0;
        foreach (var item in items.Where(i => i.Value is not null))
        {
            values.SetValue(ConvertValue(item, type), index++);
        }

        var probe = left.Expr.Type == type ? left.Expr : Expression.Convert(left.Expr, type);
        Expression contains = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [type], Expression.Constant(values), probe);
        if (IsNullable(left.Expr.Type) || type == typeof(string))
        {
            var notNull = Expression.NotEqual(left.Expr, Expression.Constant(null, left.Expr.Type));
            contains = Expression.AndAlso(notNull, contains);
            if (items.Any(i => i.Value is null))
            {
                contains = Expression.OrElse(Expression.Not(notNull), contains);
            }
        }

        return new Bound(contains, FeedKind.Boolean);
    }

    private static object ConvertValue(Bound item, Type type)
    {
        try
        {
            return type == typeof(string) ? (item.Value as string ?? throw new FormatException())
                : type == typeof(DateTime) ? (DateTime)item.Value!
                : System.Convert.ChangeType(item.Value!, type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new FeedQueryException("TypeMismatch", $"The value {item.Value} in the 'in' list does not match the type of the left side.");
        }
    }

    private Bound Function(SingleValueFunctionCallNode node)
    {
        var args = node.Parameters.Select(p => p as SingleValueNode
            ?? throw new FeedQueryException("UnsupportedExpression", $"Function '{node.Name}' takes single values only.")).Select(Bind).ToList();
        var name = node.Name.ToLowerInvariant();
        return name switch
        {
            "contains" => StringTest(args, StringContains, name),
            "startswith" => StringTest(args, StringStartsWith, name),
            "endswith" => StringTest(args, StringEndsWith, name),
            "tolower" => StringMap(args, StringToLower, name),
            "toupper" => StringMap(args, StringToUpper, name),
            "trim" => StringMap(args, StringTrim, name),
            "length" => StringLength(args),
            "indexof" => StringIndex(args),
            "concat" => StringConcatenate(args),
            "substring" => Substring(args),
            "year" or "month" or "day" or "hour" or "minute" or "second" => DatePart(args, name),
            "date" => DateOf(args),
            "round" => MathCall(args, MathRound, name),
            "floor" => MathCall(args, MathFloor, name),
            "ceiling" => MathCall(args, MathCeiling, name),
            _ => throw new FeedQueryException("UnsupportedFunction", $"The function '{node.Name}' is not supported by this service."),
        };
    }

    private static void Expect(List<Bound> args, int count, FeedKind kind, string name)
    {
        if (args.Count != count || args.Any(a => a.Kind is not null && a.Kind != kind))
        {
            throw new FeedQueryException("UnsupportedFunction", $"The function '{name}' expects {count} argument(s) of type Edm.{kind}.");
        }
    }

    private static Bound StringTest(List<Bound> args, MethodInfo method, string name)
    {
        Expect(args, 2, FeedKind.String, name);
        var (a, b) = (args[0].Expr, args[1].Expr);
        if (IsNullConstant(a) || IsNullConstant(b))
        {
            return new Bound(Expression.Constant(false), FeedKind.Boolean);
        }

        Expression test = Expression.Call(a, method, b);
        test = Expression.AndAlso(Expression.NotEqual(a, Expression.Constant(null, typeof(string))), test);
        if (!args[1].IsConstant)
        {
            test = Expression.AndAlso(Expression.NotEqual(b, Expression.Constant(null, typeof(string))), test);
        }

        return new Bound(test, FeedKind.Boolean);
    }

    private static Expression NullSafe(Expression input, Expression whenNotNull, Type resultType) =>
        Expression.Condition(
            Expression.Equal(input, Expression.Constant(null, input.Type)),
            Expression.Constant(null, resultType),
            whenNotNull.Type == resultType ? whenNotNull : Expression.Convert(whenNotNull, resultType));

    private static Bound StringMap(List<Bound> args, MethodInfo method, string name)
    {
        Expect(args, 1, FeedKind.String, name);
        if (args[0].IsConstant)
        {
            return args[0].Value is string s ? Literal((string)method.Invoke(s, null)!, FeedKind.String) : args[0];
        }

        return new Bound(NullSafe(args[0].Expr, Expression.Call(args[0].Expr, method), typeof(string)), FeedKind.String);
    }

    private static Bound StringLength(List<Bound> args)
    {
        Expect(args, 1, FeedKind.String, "length");
        var a = args[0].Expr;
        return new Bound(NullSafe(a, Expression.Property(a, nameof(string.Length)), typeof(int?)), FeedKind.Int32);
    }

    private static Bound StringIndex(List<Bound> args)
    {
        Expect(args, 2, FeedKind.String, "indexof");
        var a = args[0].Expr;
        return new Bound(NullSafe(a, Expression.Call(a, StringIndexOf, args[1].Expr), typeof(int?)), FeedKind.Int32);
    }

    private static Bound StringConcatenate(List<Bound> args)
    {
        Expect(args, 2, FeedKind.String, "concat");
        return new Bound(Expression.Call(StringConcat, args[0].Expr, args[1].Expr), FeedKind.String);
    }

    private static Bound Substring(List<Bound> args)
    {
        if (args.Count is < 2 or > 3 || args[0].Kind != FeedKind.String || args.Skip(1).Any(a => a.Kind != FeedKind.Int32 || !a.IsConstant))
        {
            throw new FeedQueryException("UnsupportedFunction", "substring expects a string and one or two integer literals.");
        }

        // OData's substring past the end of the text gives what is left (or ''), as the databases do;
        // written out so the small in-memory sets (Units, Fields) answer the same instead of throwing.
        var start = Math.Max(0, System.Convert.ToInt32(args[1].Value, CultureInfo.InvariantCulture));
        int? length = args.Count == 3 ? System.Convert.ToInt32(args[2].Value, CultureInfo.InvariantCulture) : null;
        if (length < 0)
        {
            throw new FeedQueryException("InvalidArgument", "substring's length must not be negative.");
        }

        var a = args[0].Expr;
        var textLength = Expression.Property(a, nameof(string.Length));
        var startValue = Expression.Constant(start);
        Expression rest = Expression.Call(a, StringSubstring1, startValue);
        Expression call = length is { } l
            ? Expression.Condition(Expression.LessThanOrEqual(Expression.Subtract(textLength, startValue), Expression.Constant(l)),
                rest, Expression.Call(a, StringSubstring2, startValue, Expression.Constant(l)))
            : rest;
        call = Expression.Condition(Expression.LessThanOrEqual(textLength, startValue), Expression.Constant(string.Empty), call);
        return new Bound(NullSafe(a, call, typeof(string)), FeedKind.String);
    }

    private static Bound DatePart(List<Bound> args, string name)
    {
        if (args.Count != 1 || args[0].Kind is not (FeedKind.DateTimeOffset or FeedKind.Date)
            || (args[0].Kind == FeedKind.Date && name is "hour" or "minute" or "second"))
        {
            throw new FeedQueryException("UnsupportedFunction", $"The function '{name}' expects one Edm.DateTimeOffset or Edm.Date argument.");
        }

        var member = name switch
        {
            "year" => nameof(DateTime.Year),
            "month" => nameof(DateTime.Month),
            "day" => nameof(DateTime.Day),
            "hour" => nameof(DateTime.Hour),
            "minute" => nameof(DateTime.Minute),
            _ => nameof(DateTime.Second),
        };
        var value = args[0].Expr;
        if (value.Type == typeof(DateTime))
        {
            return new Bound(Expression.Property(value, member), FeedKind.Int32);
        }

        return new Bound(NullSafe(value, Expression.Property(Expression.Property(value, nameof(Nullable<DateTime>.Value)), member), typeof(int?)), FeedKind.Int32);
    }

    private static Bound DateOf(List<Bound> args)
    {
        if (args.Count != 1 || args[0].Kind is not (FeedKind.DateTimeOffset or FeedKind.Date))
        {
            throw new FeedQueryException("UnsupportedFunction", "The function 'date' expects one Edm.DateTimeOffset argument.");
        }

        if (args[0].Kind == FeedKind.Date)
        {
            return args[0];
        }

        var value = args[0].Expr;
        var date = value.Type == typeof(DateTime)
            ? (Expression)Expression.Property(value, nameof(DateTime.Date))
            : NullSafe(value, Expression.Property(Expression.Property(value, nameof(Nullable<DateTime>.Value)), nameof(DateTime.Date)), typeof(DateTime?));
        return new Bound(date, FeedKind.Date);
    }

    private static Bound MathCall(List<Bound> args, MethodInfo method, string name)
    {
        if (args.Count != 1 || args[0].Kind is not (FeedKind.Double or FeedKind.Int32 or FeedKind.Int64))
        {
            throw new FeedQueryException("UnsupportedFunction", $"The function '{name}' expects one number.");
        }

        var value = args[0].Expr;
        if (value.Type == typeof(double))
        {
            return new Bound(Expression.Call(method, value), FeedKind.Double);
        }

        var asDouble = Expression.Convert(value, typeof(double?));
        return new Bound(NullSafe(value, Expression.Call(method, Expression.Convert(asDouble, typeof(double))), typeof(double?)), FeedKind.Double);
    }

    /// <summary>Brings two operands to one CLR type: nullability lifted, numbers widened, the null literal typed.</summary>
    private static (Expression A, Expression B) Unify(Bound left, Bound right)
    {
        var a = left.Expr;
        var b = right.Expr;
        if (IsNullConstant(a) && IsNullConstant(b))
        {
            return (Expression.Constant(null, typeof(string)), Expression.Constant(null, typeof(string)));
        }

        if (IsNullConstant(a))
        {
            return (Expression.Constant(null, Lift(b.Type, true)), Lift(b));
        }

        if (IsNullConstant(b))
        {
            return (Lift(a), Expression.Constant(null, Lift(a.Type, true)));
        }

        var ua = Underlying(a.Type);
        var ub = Underlying(b.Type);
        if (ua != ub)
        {
            var wide = Widest(ua, ub)
                ?? throw new FeedQueryException("TypeMismatch", $"Values of types Edm.{left.Kind} and Edm.{right.Kind} cannot be compared.");
            var nullable = IsNullable(a.Type) || IsNullable(b.Type);
            return (Expression.Convert(a, Lift(wide, nullable)), Expression.Convert(b, Lift(wide, nullable)));
        }

        if (a.Type != b.Type)
        {
            return (Lift(a), Lift(b));
        }

        return (a, b);
    }

    private static Type? Widest(Type a, Type b)
    {
        Type[] order = [typeof(int), typeof(long), typeof(double)];
        var ia = Array.IndexOf(order, a);
        var ib = Array.IndexOf(order, b);
        return ia < 0 || ib < 0 ? null : order[Math.Max(ia, ib)];
    }

    private static Expression Lift(Expression e) => e.Type.IsValueType && !IsNullable(e.Type) ? Expression.Convert(e, Lift(e.Type, true)) : e;

    private static Type Lift(Type t, bool nullable) => nullable && t.IsValueType && !IsNullable(t) ? typeof(Nullable<>).MakeGenericType(t) : t;

    public static bool IsNullable(Type t) => Nullable.GetUnderlyingType(t) is not null;

    public static Type Underlying(Type t) => Nullable.GetUnderlyingType(t) ?? t;

    private static FeedKind KindOf(EdmPrimitiveTypeKind kind) => kind switch
    {
        EdmPrimitiveTypeKind.String => FeedKind.String,
        EdmPrimitiveTypeKind.Boolean => FeedKind.Boolean,
        EdmPrimitiveTypeKind.Int16 or EdmPrimitiveTypeKind.Int32 or EdmPrimitiveTypeKind.Byte or EdmPrimitiveTypeKind.SByte => FeedKind.Int32,
        EdmPrimitiveTypeKind.Int64 => FeedKind.Int64,
        EdmPrimitiveTypeKind.Double or EdmPrimitiveTypeKind.Single or EdmPrimitiveTypeKind.Decimal => FeedKind.Double,
        EdmPrimitiveTypeKind.DateTimeOffset => FeedKind.DateTimeOffset,
        EdmPrimitiveTypeKind.Date => FeedKind.Date,
        _ => throw new FeedQueryException("UnsupportedType", $"Values of type Edm.{kind} are not supported by this service."),
    };

    private static FeedKind KindOfClr(Type t) =>
        t == typeof(int) ? FeedKind.Int32 : t == typeof(long) ? FeedKind.Int64 : t == typeof(double) ? FeedKind.Double
        : t == typeof(bool) ? FeedKind.Boolean : t == typeof(string) ? FeedKind.String : FeedKind.DateTimeOffset;

    private static Type ClrOf(FeedKind kind) => kind switch
    {
        FeedKind.Int32 => typeof(int),
        FeedKind.Int64 => typeof(long),
        FeedKind.Double => typeof(double),
        FeedKind.Boolean => typeof(bool),
        FeedKind.String => typeof(string),
        _ => typeof(DateTime),
    };
}
