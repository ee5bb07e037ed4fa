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
///   backup DIR [--keys PATH] / restore DIR [--keys PATH]    (the database and the data dir's files; the key ring apart)
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
          keys wrap                 protect the key file with a passphrase (Argon2id); the plain file is overwritten and deleted
          keys backup --shares 5 --threshold 3 [--out DIR]
                                    write the key ring as Shamir shares, one file per organiser; any 3 restore it
          keys restore SHARE SHARE SHARE
                                    rebuild the key ring from shares and write it where the ring lives
          keys destroy [--yes]      PANIC: overwrite and delete the key ring; encrypted personal data becomes unreadable for ever
          keys new --after-destroy  start again with a new, empty key ring after a destroy
          custody verify <incident-id>
                                    recompute an incident's custody chain (exit 0 intact, 1 broken)
          backup <dir> [--keys <path>]
                                    write a backup into a new directory while the network runs: the database (SQLite's
                                    online backup, or pg_dump -Fc), the evidence files as stored (encrypted), and a
                                    manifest (version, schema, counts, SHA-256 of every file). The key ring is NOT in it:
                                    --keys writes it to <path>, which must be outside <dir> (a wrapped ring stays wrapped).
                                    Keep the two apart — a stolen backup without its keys reads nothing, and keys without
                                    the backup hold no data. PostgreSQL needs pg_dump (Whistle__Operations__PgBin).
          restore <dir> [--keys <path>]
                                    check every file of a backup against its manifest, then restore it into an EMPTY data
                                    dir and an EMPTY database (never over a live network) and print what it holds;
                                    --keys puts the key ring back. Restored data purged since the backup was made is
                                    purged again by the first start's housekeeping.
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
          Whistle__Encryption__KeyFile  the key ring on another mount (USB stick, tmpfs, systemd credential); plain or wrapped
          Whistle__Encryption__Passphrase, Whistle__Encryption__PassphraseFile
                                        opens a wrapped key ring (keys.wrapped.json); typed at start on a terminal when unset
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
                bool known = a.StartsWith("--") && (a.Contains('=') || key.Contains(':') || HostKeys.Contains(key) || (command && key is "email" or "role" or "shares" or "threshold" or "out" or "keys"));
                if (command && a is "--after-destroy" or "--yes") continue;
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

    public static bool IsCommand(string[] args) => args is ["users", ..] or ["keys", ..] or ["custody", ..] or ["backup", ..] or ["restore", ..];

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
                var store = app.Services.GetRequiredService<KeyStore>();
                if (store.FromSetting)
                {
                    Console.Error.WriteLine("The key ring comes from Whistle:Encryption:Keys; rotate it there (add a key, raise \"current\").");
                    return 1;
                }
                var ring = store.Load(AskOnce).Rotate();
                store.Save(ring);
                Console.WriteLine($"Key version {ring.CurrentVersion} is now current; data under older keys is re-encrypted as it is read.");
                return 0;
            }
            case ["keys", ..]:
                return KeysCommand(app.Services.GetRequiredService<KeyStore>(), args[1..], TimeProvider.System.GetUtcNow(), restored =>
                {
                    // A restored ring was destroyed on purpose before: no node of the cluster refuses it any more.
                    using var scope = app.Services.CreateScope();
                    try { DestroyedRings.ForgetAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), DestroyedRings.IdOf(restored)).GetAwaiter().GetResult(); }
                    catch (System.Data.Common.DbException e) { Console.Error.WriteLine($"The database did not answer ({e.GetType().Name}): nodes may still refuse the restored ring until it is reached."); }
                });
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
            case ["backup", var dir, .. var rest] when !dir.StartsWith('-') && rest is [] or ["--keys", _]:
                return await Refusing(() => Operations.Backup.RunAsync(app.Services, dir, Option(rest, "--keys")));
            case ["restore", var dir, .. var rest] when !dir.StartsWith('-') && rest is [] or ["--keys", _]:
                return await Refusing(() => Operations.Restore.RunAsync(app.Services, dir, Option(rest, "--keys")));
            case ["backup" or "restore", ..]:
                return Usage($"{args[0]} <dir> [--keys <path>]");
            default:
                return Usage("users add --email E --role R | keys rotate|wrap|backup|restore|destroy|new | custody verify <incident-id> | backup <dir> [--keys <path>] | restore <dir> [--keys <path>]");
        }
    }

    /// <summary>A command's refusal: its reason on stderr, exit 1 (nothing was written).</summary>
    private static async Task<int> Refusing(Func<Task<int>> command)
    {
        try { return await command(); }
        catch (StartupRefusal refusal)
        {
            Console.Error.WriteLine(refusal.Message);
            return 1;
        }
    }

    private static string? AskOnce() => KeyStore.PromptOnTerminal("Passphrase for Whistle's key ring: ");

    /// <summary>keys wrap | backup | restore | destroy | new --after-destroy (decision 0027). Refusals print their reason, exit 1.</summary>
    public static int KeysCommand(KeyStore store, string[] args, DateTimeOffset now, Action<KeyRing>? restored = null)
    {
        try
        {
            switch (args)
            {
                case ["wrap"]:
                {
                    if (store.FromSetting) throw new StartupRefusal("The key ring comes from Whistle:Encryption:Keys; there is no key file to wrap.");
                    var plain = store.KeyFile ?? store.PlainFile;
                    if (!File.Exists(plain)) throw new StartupRefusal($"There is no key file at {plain} to wrap.");
                    var json = File.ReadAllText(plain);
                    if (KeyWrap.IsWrapped(json)) throw new StartupRefusal($"{plain} is already wrapped.");
                    KeyRing.FromJson(json); // a damaged file is not wrapped and deleted
                    var passphrase = store.ConfiguredPassphrase() ?? NewPassphrase()
                        ?? throw new StartupRefusal("Set Whistle__Encryption__Passphrase or Whistle__Encryption__PassphraseFile, or run `keys wrap` on a terminal to type the passphrase.");
                    var wrapped = KeyWrap.Wrap(json, passphrase);
                    KeyWrap.Unwrap(wrapped, passphrase); // it opens before the plain file goes
                    var target = store.KeyFile ?? store.WrappedFile;
                    var staging = target + ".wrapping";
                    KeyStore.WritePrivate(staging, wrapped);
                    KeyStore.OverwriteAndDelete(plain);
                    File.Move(staging, target, overwrite: true);
                    Console.WriteLine($"The key ring is now wrapped in {target}; the plain {plain} was overwritten and deleted.");
                    Console.WriteLine("Each start now needs the passphrase (Whistle__Encryption__Passphrase, Whistle__Encryption__PassphraseFile, or typed on the terminal).");
                    return 0;
                }
                case ["backup", .. var rest]:
                {
                    int shares = int.TryParse(Option(rest, "--shares") ?? "5", out var n) ? n : -1;
                    int threshold = int.TryParse(Option(rest, "--threshold") ?? "3", out var k) ? k : -1;
                    if (threshold < 2 || shares < threshold || shares > 255)
                        throw new StartupRefusal("--shares N --threshold K need 2 ≤ K ≤ N ≤ 255 (e.g. --shares 5 --threshold 3).");
                    var ring = store.Load(AskOnce);
                    var dir = Path.GetFullPath(Option(rest, "--out") ?? ".");
                    Directory.CreateDirectory(dir);
                    var files = KeyBackup.Make(ring.ToJson(), shares, threshold, DateOnly.FromDateTime(now.UtcDateTime));
                    foreach (var (name, _) in files)
                        if (File.Exists(Path.Combine(dir, name))) throw new StartupRefusal($"{Path.Combine(dir, name)} exists already; choose another --out.");
                    foreach (var (name, text) in files) KeyStore.WritePrivate(Path.Combine(dir, name), text);
                    Console.WriteLine($"Wrote {shares} shares to {dir}; any {threshold} rebuild the key ring:");
                    foreach (var (name, _) in files) Console.WriteLine("  " + Path.Combine(dir, name));
                    Console.WriteLine("Give each to a different organiser now, then delete them from this machine.");
                    return 0;
                }
                case ["restore", .. var paths] when paths.Length > 0 && paths.All(p => !p.StartsWith('-')):
                {
                    foreach (var p in paths) if (!File.Exists(p)) throw new StartupRefusal($"There is no share file {p}.");
                    var json = KeyBackup.Restore(paths.Select(p => (p, File.ReadAllText(p))).ToList());
                    var ring = KeyRing.FromJson(json);
                    if (store.FromSetting)
                        throw new StartupRefusal("The key ring comes from Whistle:Encryption:Keys; unset it to restore into a key file (or put the restored ring there yourself).");
                    var target = store.TargetFile;
                    if (File.Exists(target)) throw new StartupRefusal($"A key ring is already at {target}. Move it away first if the restored one should replace it.");
                    KeyStore.Write(ring, target, target == store.PlainFile ? null : store.ConfiguredPassphrase() ?? NewPassphrase());
                    Console.WriteLine($"The key ring was rebuilt from {paths.Length} shares and written to {target}.");
                    restored?.Invoke(ring);
                    if (store.IsDestroyedOnDisk)
                    {
                        File.Delete(store.MarkerFile);
                        Console.WriteLine($"The {KeyStore.MarkerName} marker was removed: the next start uses the restored ring.");
                    }
                    return 0;
                }
                case ["destroy", .. var rest] when rest is [] or ["--yes"]:
                {
                    if (rest is not ["--yes"])
                    {
                        if (Console.IsInputRedirected) throw new StartupRefusal("Add --yes to destroy the keys without a terminal.");
                        Console.Write("This makes every encrypted address, contact, name and statement unreadable for ever. Type DESTROY to go on: ");
                        if (Console.ReadLine()?.Trim() != "DESTROY") throw new StartupRefusal("Nothing was destroyed.");
                    }
                    var report = store.Destroy(null, now);
                    Console.WriteLine($"The key ring was destroyed on {report.Date:yyyy-MM-dd}.");
                    foreach (var d in report.Deleted) Console.WriteLine("  overwritten and deleted: " + d);
                    Console.WriteLine("A running Whistle on this data dir notices the marker within seconds and forgets its keys; restart it to be sure.");
                    foreach (var w in report.OperatorMustWipe) Console.WriteLine("  ALSO: " + w);
                    return 0;
                }
                case ["new", "--after-destroy"]:
                {
                    var ring = store.NewAfterDestroy();
                    Console.WriteLine($"A new, empty key ring is in {store.CurrentFile}. Data encrypted under the destroyed ring stays unreadable.");
                    return 0;
                }
                default:
                    return Usage("keys rotate | keys wrap | keys backup --shares 5 --threshold 3 [--out DIR] | keys restore SHARE... | keys destroy [--yes] | keys new --after-destroy");
            }
        }
        catch (StartupRefusal refusal)
        {
            Console.Error.WriteLine(refusal.Message);
            return 1;
        }
    }

    private static string? NewPassphrase()
    {
        var first = KeyStore.PromptOnTerminal("New passphrase for the key ring: ");
        if (first is null) return null;
        if (KeyStore.PromptOnTerminal("The same passphrase again: ") != first) throw new StartupRefusal("The two passphrases differ; nothing was changed.");
        return first;
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
