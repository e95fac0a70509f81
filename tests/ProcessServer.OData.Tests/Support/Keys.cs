namespace ProcessServer.OData.Tests.Support;

/// <summary>The development API keys from the host's appsettings.json, plus a reporter bound to one unit.</summary>
public static class Keys
{
    public const string Admin = "dev-admin-key";
    public const string Reporter = "dev-reporter-key";
    public const string Counter = "dev-counter-key";

    /// <summary>A Reporter bound to HCC-TINH (added by <see cref="FeedServer"/>'s settings).</summary>
    public const string ProvinceReporter = "test-reporter-tinh";
}
