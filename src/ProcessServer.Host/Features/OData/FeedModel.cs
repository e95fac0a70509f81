using System.Linq.Expressions;
using Microsoft.OData.Edm;

namespace ProcessServer.Host.Features.OData;

/// <summary>The EDM kinds a feed property can have. Statuses are plain strings (no EnumType).</summary>
internal enum FeedKind
{
    String,
    Int32,
    Int64,
    Boolean,
    Double,
    DateTimeOffset,
    Date,
}

/// <summary>
/// One column of an entity set: its EDM name and type, and the LINQ expression that computes it from
/// the set's row type, so filters, sorting, paging and projection all compose into one database query.
/// </summary>
/// <remarks>
/// Instants are stored as UTC <see cref="DateTime"/> and published as <c>Edm.DateTimeOffset</c> with
/// <c>Z</c>. A <see cref="FeedKind.Date"/> property is the <c>Edm.Date</c> twin of an instant: the
/// selector still returns the UTC instant, and the published value is its local date
/// (Asia/Ho_Chi_Minh), so comparisons with a date literal become index-friendly instant ranges.
/// </remarks>
internal sealed class FeedProperty
{
    public required string Name { get; init; }

    public required FeedKind Kind { get; init; }

    public required bool Nullable { get; init; }

    /// <summary>row → value; DateTime (UTC) for DateTimeOffset and Date kinds.</summary>
    public required LambdaExpression Selector { get; init; }

    public IEdmPrimitiveTypeReference EdmType => EdmCoreModel.Instance.GetPrimitive(Kind switch
    {
        FeedKind.String => EdmPrimitiveTypeKind.String,
        FeedKind.Int32 => EdmPrimitiveTypeKind.Int32,
        FeedKind.Int64 => EdmPrimitiveTypeKind.Int64,
        FeedKind.Boolean => EdmPrimitiveTypeKind.Boolean,
        FeedKind.Double => EdmPrimitiveTypeKind.Double,
        FeedKind.DateTimeOffset => EdmPrimitiveTypeKind.DateTimeOffset,
        FeedKind.Date => EdmPrimitiveTypeKind.Date,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    }, Nullable);

    /// <summary>The selector's body with its parameter replaced by <paramref name="row"/>.</summary>
    public Expression Bind(ParameterExpression row) => new ParameterSwap(Selector.Parameters[0], row).Visit(Selector.Body);

    private sealed class ParameterSwap(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}

/// <summary>Declares the properties of one entity set over a row type.</summary>
internal sealed class FeedColumns<TRow>
{
    private readonly List<FeedProperty> _properties = [];

    public IReadOnlyList<FeedProperty> Properties => _properties;

    public FeedColumns<TRow> Text(string name, Expression<Func<TRow, string?>> selector, bool nullable = true) =>
        Add(name, FeedKind.String, nullable, selector);

    public FeedColumns<TRow> Int(string name, Expression<Func<TRow, int>> selector) => Add(name, FeedKind.Int32, false, selector);

    public FeedColumns<TRow> Int(string name, Expression<Func<TRow, int?>> selector) => Add(name, FeedKind.Int32, true, selector);

    public FeedColumns<TRow> Long(string name, Expression<Func<TRow, long>> selector) => Add(name, FeedKind.Int64, false, selector);

    public FeedColumns<TRow> Bool(string name, Expression<Func<TRow, bool>> selector) => Add(name, FeedKind.Boolean, false, selector);

    public FeedColumns<TRow> Double(string name, Expression<Func<TRow, double?>> selector) => Add(name, FeedKind.Double, true, selector);

    public FeedColumns<TRow> Double(string name, Expression<Func<TRow, double>> selector) => Add(name, FeedKind.Double, false, selector);

    /// <summary>An instant (Edm.DateTimeOffset, UTC) and, when <paramref name="dateTwin"/> is given, its Edm.Date twin.</summary>
    public FeedColumns<TRow> Instant(string name, Expression<Func<TRow, DateTime>> selector, string? dateTwin)
    {
        Add(name, FeedKind.DateTimeOffset, false, selector);
        return dateTwin is null ? this : Add(dateTwin, FeedKind.Date, false, selector);
    }

    /// <summary>A nullable instant and its optional Edm.Date twin.</summary>
    public FeedColumns<TRow> Instant(string name, Expression<Func<TRow, DateTime?>> selector, string? dateTwin)
    {
        Add(name, FeedKind.DateTimeOffset, true, selector);
        return dateTwin is null ? this : Add(dateTwin, FeedKind.Date, true, selector);
    }

    private FeedColumns<TRow> Add(string name, FeedKind kind, bool nullable, LambdaExpression selector)
    {
        _properties.Add(new FeedProperty { Name = name, Kind = kind, Nullable = nullable, Selector = selector });
        return this;
    }
}

/// <summary>Builds the EDM model from the entity sets; the model is static for the process.</summary>
internal static class FeedEdm
{
    public const string Namespace = "ProcessServer.Reporting";

    public const string ContainerName = "Reporting";

    public static EdmEntityType EntityType(string name, IReadOnlyList<FeedProperty> properties, IReadOnlyList<string> keys)
    {
        var type = new EdmEntityType(Namespace, name);
        foreach (var property in properties)
        {
            var edm = type.AddStructuralProperty(property.Name, property.EdmType);
            if (keys.Contains(property.Name))
            {
                type.AddKeys(edm);
            }
        }

        return type;
    }
}
