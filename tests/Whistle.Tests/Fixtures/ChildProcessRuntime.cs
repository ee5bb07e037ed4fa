using System.Runtime.CompilerServices;

namespace Whistle.Tests.Fixtures;

/// <summary>
/// The runtime settings of every process a test starts (Whistle.dll, the published build, its CLI commands): they
/// inherit this test process's environment, set here once when the test assembly loads (decision 0044, issue 16).
/// Workstation GC: Whistle (an ASP.NET Core app) runs with server GC, one heap and GC thread per core for each of the dozens
/// of Whistle processes the suite starts side by side on 2 cores. No tiered PGO: its instrumented code and re-JIT pay
/// off in a long-running server, not in a process that lives for one test. Measured on this machine, a Whistle start
/// to /healthz takes ~12 % less CPU with both (3 interleaved pairs: 9.5–11.9 s against 10.5–13.2 s). Neither changes
/// what Whistle does; the test process itself (already workstation GC) is not affected, nor what a test measures
/// of its own memory. A variable already set (by CI or by hand) is left as it is.
/// </summary>
internal static class ChildProcessRuntime
{
#pragma warning disable CA2255 // a test assembly's one-time set-up, not a library's
    [ModuleInitializer]
    internal static void Set()
    {
        foreach (var (name, value) in new[] { ("DOTNET_gcServer", "0"), ("DOTNET_TieredPGO", "0") })
            if (Environment.GetEnvironmentVariable(name) is null) Environment.SetEnvironmentVariable(name, value);
    }
#pragma warning restore CA2255
}
