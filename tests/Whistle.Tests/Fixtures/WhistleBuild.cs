namespace Whistle.Tests.Fixtures;

/// <summary>
/// The Whistle build a test starts as a real process (`dotnet Whistle.dll …`): the one `./test.sh` publishes
/// (WHISTLE_TEST_PUBLISHED: ReadyToRun, so each start JITs far less — decision 0044, issue 16 second pass), else the copy
/// in the tests' own bin, so a plain `dotnet test` works without a publish step. Both are built from the same sources by
/// the same build; only how much of the code is compiled ahead of time differs.
/// </summary>
public static class WhistleBuild
{
    public const string PublishedEnv = "WHISTLE_TEST_PUBLISHED";

    /// <summary>The published directory when ./test.sh gave one, else null.</summary>
    public static string? Published => Environment.GetEnvironmentVariable(PublishedEnv) is { Length: > 0 } dir ? dir : null;

    /// <summary>Whistle.dll to pass to `dotnet`.</summary>
    public static string Dll => Path.Combine(Published ?? AppContext.BaseDirectory, "Whistle.dll");
}
