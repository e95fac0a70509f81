namespace ProcessServer.Host.Infrastructure;

/// <summary>Authorization policy names.</summary>
public static class Policies
{
    /// <summary>Clerks, leaders and administrators: the clerk API.</summary>
    public const string Clerk = "Clerk";

    /// <summary>Unit leaders and administrators: acts a leader decides (withdrawal, return, forced completion).</summary>
    public const string Leader = "Leader";

    /// <summary>Administrators only.</summary>
    public const string Administrator = "Administrator";

    /// <summary>Reporters and administrators.</summary>
    public const string Reporter = "Reporter";

    /// <summary>Any valid key.</summary>
    public const string AnyRole = "AnyRole";
}
