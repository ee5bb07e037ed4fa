using Microsoft.Extensions.Options;
using Whistle.Data;
using Microsoft.EntityFrameworkCore;
using Whistle.Identity;
using Whistle.Incidents;
using Whistle.Privacy;

namespace Whistle.Platform;

/// <summary>
/// Command-line verbs of the same executable:
///   users add --email E --role admin|dispatcher|verifier   (prints a generated password once)
///   keys rotate                                             (new current encryption key; old ones kept to decrypt)
///   custody verify INCIDENT-ID                              (recomputes the incident's custody chain: exit 0 intact, 1 broken)
/// Anything else starts the server; --demo seeds the demo network into a new data dir.
/// </summary>
public static class Cli
{
    /// <summary>What `whistle --help` prints: the commands, the options and the settings that matter on a first run.</summary>
    public const string Help = """
        Whistle — a community rapid-response network (reports, verified sightings, targeted alerts).

        Usage:
          dotnet run --project src/Whistle -- [options]          start the server (http://localhost:5080)
          dotnet run --project src/Whistle -- --demo             start with the demo network, seeded into ./data-demo
          dotnet run --project src/Whistle -- <command>          run one command and exit
          (or `dotnet Whistle.dll ...` from a published build)

        Commands:
          users add --email E --role admin|dispatcher|verifier|documenter
                                    create a staff account; its password is printed once
          keys rotate               make a new encryption key current (older ones are kept to decrypt)
          custody verify <incident-id>
                                    recompute an incident's custody chain (exit 0 intact, 1 broken)
          help, --help, -h          print this text and exit

        Options:
          --demo                    seed the demo network ("Twin Cities Rapid Response (demo)") into a new data dir
          --urls URL                where to listen (default http://localhost:5080)
          --Whistle:Key=value       any setting below, for this run

        Settings (appsettings.json "Whistle": {...}, or environment variables Whistle__Section__Key):
          Whistle__DataDir              data directory, relative to the working directory (default ./data; ./data-demo with --demo)
          Whistle__PublicBaseUrl        the address people reach this network at (required outside --demo)
          Whistle__Bootstrap__AdminEmail, Whistle__Bootstrap__AdminPassword
                                        the first admin, created at start when no account has that e-mail
          Whistle__Network__Name, Whistle__Network__TimeZone (IANA, e.g. America/Chicago)
          Whistle__Network__PhoneRegion the country phone numbers written without +country are read in (default US)
          Whistle__Database__Provider   sqlite (default, a file in the data dir) or postgres
          Whistle__Database__ConnectionString
          Whistle__Sms__Twilio__*, Whistle__Sms__AllowedCountries   SMS (without Twilio: the development sink, <data dir>/dev-outbox.jsonl)
          Whistle__Email__Smtp__Host, Whistle__Email__From          e-mail
          Whistle__Encryption__Keys     the key ring as JSON (default <data dir>/keys.json, mode 0600)
          Whistle__TrustedProxies       reverse proxies whose X-Forwarded-For is believed

        The first admin of a new network: set the two Bootstrap settings above before the first start, or run
          dotnet run --project src/Whistle -- users add --email you@example.org --role admin
        on the server. Nobody can claim a network from the web.

        """;

    /// <summary>
    /// What the command line asks for before anything starts: help, a mistake (an option nobody knows, printed with
    /// exit 2), or to go on. Configuration keys (--Whistle:X=..., --urls, the host's own) pass through.
    /// </summary>
    public static (bool Help, string? Error) Check(string[] args)
    {
        if (args is ["help", ..] || args.Any(a => a is "--help" or "-h" or "-?" or "/?")) return (true, null);
        bool command = IsCommand(args);
        for (int i = command ? 2 : 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--demo") continue;
            if (a.StartsWith('-'))
            {
                var key = a.TrimStart('-').Split('=', 2)[0];
                // "--key=value" always sets a setting (the test host passes its own that way); a bare "--word" must be one we know.
                bool known = a.StartsWith("--") && (a.Contains('=') || key.Contains(':') || HostKeys.Contains(key) || (command && key is "email" or "role"));
                if (!known) return (false, $"Unknown option {a}. `--help` lists the options.");
                if (!a.Contains('=')) i++;
                continue;
            }
            if (!command) return (false, $"Unknown command \"{a}\". `--help` lists the commands.");
        }
        return (false, null);
    }

    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "urls", "environment", "contentRoot", "applicationName", "http_ports", "https_ports", "webroot", "hostingStartupAssemblies",
    };

    public static (string[] WebArgs, bool Demo) Split(string[] args) =>
        (args.Where(a => a != "--demo").ToArray(), args.Contains("--demo"));

    public static bool IsCommand(string[] args) => args is ["users", ..] or ["keys", ..] or ["custody", ..];

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        switch (args)
        {
            case ["users", "add", .. var rest]:
            {
                var email = Option(rest, "--email");
                var role = Option(rest, "--role");
                if (email is null || role is null || !Roles.All.Contains(role))
                    return Usage("users add --email E --role admin|dispatcher|verifier|documenter");
                await app.InitializeAsync(demo: false);
                await using var scope = app.Services.CreateAsyncScope();
                var password = IdentitySetup.GeneratePassword();
                var result = await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password);
                if (!result.Succeeded)
                {
                    Console.Error.WriteLine("Not created: " + string.Join(" ", result.Errors.Select(e => e.Description)));
                    return 1;
                }
                Console.WriteLine($"Created {role} {email}. Password (shown once, store it now): {password}");
                return 0;
            }
            case ["keys", "rotate"]:
            {
                var o = app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value;
                if (!string.IsNullOrEmpty(o.Encryption.Keys))
                {
                    Console.Error.WriteLine("The key ring comes from Whistle:Encryption:Keys; rotate it there (add a key, raise \"current\").");
                    return 1;
                }
                var file = Path.Combine(o.DataPath, "keys.json");
                var ring = KeyRing.Load(null, file).Rotate();
                ring.Save(file);
                Console.WriteLine($"Key version {ring.CurrentVersion} is now current; data under older keys is re-encrypted as it is read.");
                return 0;
            }
            case ["custody", "verify", var incident]:
            {
                if (!Guid.TryParse(incident, out var id)) return Usage("custody verify <incident-id>");
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
                if (!await db.Incidents.AnyAsync(i => i.Id == id) && !await db.Custody.AnyAsync(c => c.IncidentId == id))
                {
                    Console.Error.WriteLine($"No incident {id} in this database.");
                    return 2;
                }
                var verdict = await scope.ServiceProvider.GetRequiredService<CustodyLog>()
                    .VerifyAsync(id, scope.ServiceProvider.GetRequiredService<EvidenceStore>(), CancellationToken.None);
                if (verdict.Intact)
                {
                    Console.WriteLine($"Custody of incident {id}: intact ({verdict.Entries} entries).");
                    return 0;
                }
                Console.WriteLine(verdict.FirstBrokenSeq is { } seq
                    ? $"Custody of incident {id}: BROKEN at entry {seq} — {verdict.Reason}"
                    : $"Custody of incident {id}: NOT INTACT — records differ from their custody log");
                foreach (var f in verdict.Records ?? []) Console.WriteLine("  " + f);
                return 1;
            }
            default:
                return Usage("users add --email E --role R | keys rotate | custody verify <incident-id>");
        }
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Usage(string text)
    {
        Console.Error.WriteLine("usage: dotnet run --project src/Whistle -- " + text);
        return 2;
    }
}
