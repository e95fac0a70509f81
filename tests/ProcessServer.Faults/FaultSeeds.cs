namespace ProcessServer.Faults;

/// <summary>
/// The fixed seeds of the fault suite. CI runs each scenario with its seed, so a failure repeats
/// with the same requests; the fault program takes another seed on the command line.
/// </summary>
public static class FaultSeeds
{
    public const int Kill = 20_260_901;
    public const int Completions = 20_260_902;
    public const int Publishes = 20_260_903;
    public const int Definitions = 20_260_904;
    public const int Requests = 20_260_905;
    public const int Access = 20_260_906;
}
