namespace ProcessServer.Engine.Tests.Support;

/// <summary>Unit codes used by the sample procedures (Bình Sơn commune, Quảng Ngãi province).</summary>
internal static class Units
{
    /// <summary>Commune public administration service centre: the counter that receives dossiers.</summary>
    public const string Counter = "HCC-BINHSON";

    /// <summary>Commune People's Committee.</summary>
    public const string Commune = "UBND-BINHSON";

    /// <summary>Land registration office branch.</summary>
    public const string LandOffice = "VPDKDD-BINHSON";

    /// <summary>Tax authority.</summary>
    public const string Tax = "THUE-QUANGNGAI";

    /// <summary>Police (residence management).</summary>
    public const string Police = "CA-BINHSON";

    /// <summary>Social insurance.</summary>
    public const string SocialInsurance = "BHXH-QUANGNGAI";
}

/// <summary>Job roles used by the sample procedures.</summary>
internal static class Roles
{
    public const string CounterClerk = "counter-clerk";
    public const string CadastralOfficer = "cadastral-officer";
    public const string CivilStatusOfficer = "civil-status-officer";
    public const string Chairman = "chairman";
    public const string LandRegistrar = "land-registrar";
    public const string TaxOfficer = "tax-officer";
    public const string PoliceOfficer = "police-officer";
    public const string InsuranceOfficer = "insurance-officer";
}
