using System.Reflection;
using Microsoft.OData.Edm;
using Microsoft.OData.ModelBuilder;
using ProcessServer.Host.Features.Reports;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The EDM model of the reporting feed, built once with Microsoft.OData.ModelBuilder from the row
/// classes. Names are a public contract (saved Excel and Power BI queries use them): namespace
/// ProcessServer.Reporting, container Reporting, the sets and types below, the PeriodReportFor
/// function.
/// </summary>
public static class FeedModel
{
    /// <summary>Schema namespace.</summary>
    public const string Namespace = "ProcessServer.Reporting";

    /// <summary>The unbound function returning the period report.</summary>
    public const string ReportFunction = "PeriodReportFor";

    /// <summary>The model.</summary>
    public static IEdmModel Model { get; } = Build();

    /// <summary>Date twins per row type: twin CLR property → instant CLR property.</summary>
    internal static IReadOnlyDictionary<Type, IReadOnlyDictionary<string, string>> Twins { get; } = new[]
        {
            typeof(DossierRow), typeof(StepRow), typeof(ProcedureRow), typeof(UnitRow), typeof(PeriodReportRow), typeof(RatingRow),
        }
        .ToDictionary(t => t, t => (IReadOnlyDictionary<string, string>)t.GetProperties()
            .Select(p => (p.Name, Twin: p.GetCustomAttribute<DateTwinAttribute>()))
            .Where(p => p.Twin is not null)
            .ToDictionary(p => p.Name, p => p.Twin!.Instant));

    private static IEdmModel Build()
    {
        var builder = new ODataConventionModelBuilder { Namespace = Namespace, ContainerName = "Reporting" };
        var dossiers = builder.EntitySet<DossierRow>("Dossiers");
        Name(dossiers.EntityType, "Dossier");
        dossiers.EntityType.HasKey(x => x.Id);
        // @odata.etag: a dossier changes only by a transition, which always moves UpdatedAt.
        dossiers.EntityType.Property(x => x.UpdatedAt).IsConcurrencyToken();

        var steps = builder.EntitySet<StepRow>("Steps");
        Name(steps.EntityType, "Step");
        steps.EntityType.HasKey(x => x.Id);
        dossiers.HasManyBinding(x => x.Steps, "Steps");
        steps.HasRequiredBinding(x => x.Dossier, "Dossiers");

        Name(builder.EntitySet<ProcedureRow>("Procedures").EntityType, "Procedure").HasKey(x => x.Id);
        Name(builder.EntitySet<UnitRow>("Units").EntityType, "Unit").HasKey(x => x.Code);
        Name(builder.EntitySet<FieldRow>("Fields").EntityType, "Field").HasKey(x => x.Code);
        Name(builder.EntitySet<DossierStatRow>("DossierStats").EntityType, "DossierStat").HasKey(x => new { x.UnitCode, x.FieldCode, x.Year, x.Month });
        Name(builder.EntitySet<StepStatRow>("StepStats").EntityType, "StepStat").HasKey(x => new { x.UnitCode, x.FieldCode, x.Year, x.Month });

        Name(builder.EntitySet<RatingRow>("Ratings").EntityType, "Rating").HasKey(x => x.DossierId);

        var report = builder.EntitySet<PeriodReportRow>("PeriodReport");
        Name(report.EntityType, "PeriodReportRow").HasKey(x => x.Id);
        report.EntityType.Property(x => x.PeriodStart).Name = "PeriodStartAt";
        report.EntityType.Property(x => x.PeriodEnd).Name = "PeriodEndAt";

        // The same table's sums (level subtotals, unit totals, the total), apart from its field rows so
        // that $apply over PeriodReport never counts a dossier twice; the same entity type (Kind says which sum).
        builder.EntitySet<PeriodReportRow>("PeriodReportTotals");

        var function = builder.Function(ReportFunction);
        function.Parameter<DateOnly>("From");
        function.Parameter<DateOnly>("To");
        function.ReturnsCollectionFromEntitySet<PeriodReportRow>("PeriodReport");
        function.IncludeInServiceDocument = false;

        // Nullability follows the C# declarations: a string declared non-nullable is Nullable="false".
        var nullability = new NullabilityInfoContext();
        foreach (var type in builder.StructuralTypes)
        {
            foreach (var property in type.Properties.OfType<PrimitivePropertyConfiguration>())
            {
                if (property.PropertyInfo.PropertyType == typeof(string) && nullability.Create(property.PropertyInfo).WriteState == NullabilityState.NotNull)
                {
                    property.IsRequired();
                }
            }
        }

        return builder.GetEdmModel();
    }

    private static EntityTypeConfiguration<T> Name<T>(EntityTypeConfiguration<T> type, string name)
        where T : class
    {
        type.Name = name;
        type.Namespace = Namespace;
        return type;
    }
}
