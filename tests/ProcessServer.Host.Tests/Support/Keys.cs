namespace ProcessServer.Host.Tests.Support;

/// <summary>The development API keys from the host's appsettings.json.</summary>
public static class Keys
{
    public const string Admin = "dev-admin-key";
    public const string Reporter = "dev-reporter-key";
    public const string Leader = "dev-leader-key";
    public const string Counter = "dev-counter-key";
    public const string Commune = "dev-commune-key";
    public const string Land = "dev-land-key";
    public const string Tax = "dev-tax-key";
    public const string Police = "dev-police-key";
    public const string Insurance = "dev-insurance-key";
}
