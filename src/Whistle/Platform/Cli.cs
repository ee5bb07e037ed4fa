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
                Console.WriteLine($"Custody of incident {id}: BROKEN at entry {verdict.FirstBrokenSeq} — {verdict.Reason}");
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
