namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// A server on its own SQLite file that accepts tokens of a real OpenID Connect provider started on
/// a loopback port for the test, both on the test's clock (Monday 3 March 2025, 08:00 in Hanoi).
/// </summary>
public abstract class PeopleTest : IAsyncLifetime
{
    /// <summary>Officers of the land registration office.</summary>
    protected static readonly Account An = new("an", "an-password", "sub-0001-an", "Nguyễn Văn An", "Clerk", "VPDKDD-BINHSON");

    protected static readonly Account Binh = new("binh", "binh-password", "sub-0002-binh", "Trần Thị Bình", "Clerk", "VPDKDD-BINHSON");

    /// <summary>The land office's leader.</summary>
    protected static readonly Account Lanh = new("lanh", "lanh-password", "sub-0003-lanh", "Lê Văn Lãnh", "Leader", "VPDKDD-BINHSON");

    /// <summary>A tax officer (another unit).</summary>
    protected static readonly Account Thu = new("thu", "thu-password", "sub-0004-thu", "Phạm Thị Thu", "Clerk", "THUE-QUANGNGAI");

    /// <summary>A counter clerk of the commune service centre.</summary>
    protected static readonly Account Cuc = new("cuc", "cuc-password", "sub-0005-cuc", "Hoàng Thị Cúc", "Clerk", "HCC-BINHSON");

    /// <summary>A person the provider knows but who works for no unit.</summary>
    protected static readonly Account Vo = new("vo", "vo-password", "sub-0006-vo", "Võ Văn Vô", "Clerk");

    /// <summary>A provincial administrator.</summary>
    protected static readonly Account Quan = new("quan", "quan-password", "sub-0007-quan", "Đặng Văn Quản", "Administrator");

    /// <summary>A reporter of the provincial office.</summary>
    protected static readonly Account Bao = new("bao", "bao-password", "sub-0008-bao", "Ngô Thị Báo", "Reporter", "HCC-BINHSON");

    protected PeopleTest()
    {
        Database = new TempDatabase();
        Clock = new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    }

    protected TempDatabase Database { get; }

    protected ManualClock Clock { get; }

    protected IdentityProvider Provider { get; private set; } = null!;

    protected ServerApp App { get; private set; } = null!;

    /// <summary>Extra server settings of a test class.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        Provider = await IdentityProvider.StartAsync(Clock);
        foreach (var account in new[] { An, Binh, Lanh, Thu, Cuc, Vo, Quan, Bao })
        {
            Provider.Add(account);
        }

        var settings = Provider.ServerSettings();
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        App = new ServerApp(Database.DatabaseFile, Clock, settings);
    }

    /// <summary>A client of the server signed in as the account (a real password grant at the provider).</summary>
    protected Task<HttpClient> SignInAsync(Account account, string scope = IdentityProvider.Audience) => Provider.ClientAsync(App, account, scope);

    public virtual async Task DisposeAsync()
    {
        App.Dispose();
        await Provider.DisposeAsync();
        Database.Dispose();
    }
}
