using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Network;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Data;

public static class Startup
{
    /// <summary>
    /// Brings the database to the current schema, makes sure the network has its templates, seeds
    /// the demo network when asked (into an empty database only), creates the bootstrap admin,
    /// and warms the zone and subscriber caches.
    /// </summary>
    public static async Task InitializeAsync(this WebApplication app, bool demo, int demoSubscribers = 3000)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<WhistleDb>();
        var options = sp.GetRequiredService<IOptions<WhistleOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Whistle.Startup");
        var now = time.GetUtcNow();

        await SqliteBaseline.AdoptAsync(db);
        // Everything below that writes (migrations, the sealing upgrades, seeding) runs on one node at a time (decision 0048).
        await using var migrationLock = await MigrationLock.AcquireAsync(db, log);
        SchemaGuard.Refuse(await db.Database.GetAppliedMigrationsAsync(), db.Database.GetMigrations());
        await db.Database.MigrateAsync();
        // Evidence stored before files were encrypted at rest: sealed now, the plain copies removed.
        if (await sp.GetRequiredService<Incidents.EvidenceStore>().SealPlainFilesAsync(CancellationToken.None) is > 0 and var sealedFiles)
            log.LogInformation("Encrypted {Count} evidence files stored before encryption at rest", sealedFiles);
        // Records hashed field by field from issue 13 on (needs the keys: after `keys destroy` nothing can be resealed).
        if (!sp.GetRequiredService<Privacy.KeyRing>().IsDestroyed)
        {
            await Incidents.CustodyUpgrade.RunAsync(db, sp.GetRequiredService<Incidents.CustodyLog>());
            // Reports stored in clear before issue 13: sealed now, their clear columns emptied.
            await ReportSealing.SealLegacyAsync(db);
            // Witness statements, status notes and follow-ups stored in clear before issue 13: encrypted now, resealed.
            await Incidents.SealedTexts.UpgradeAsync(db, sp.GetRequiredService<Incidents.CustodyLog>(), sp.GetRequiredService<Privacy.KeyRing>());
        }

        var profile = await db.Network.OrderBy(n => n.Id).FirstOrDefaultAsync();
        bool fresh = profile is null;
        if (profile is null)
        {
            profile = demo
                ? new NetworkProfile { Name = DemoNetwork.Name, TimeZone = "America/Chicago", Demo = true, CreatedAt = now }
                : new NetworkProfile { Name = options.Network.Name, TimeZone = options.Network.TimeZone, CreatedAt = now };
            db.Network.Add(profile);
            await db.SaveChangesAsync();
        }
        else if (demo && !profile.Demo)
        {
            log.LogWarning("--demo ignored: the data dir already holds the network \"{Name}\"", profile.Name);
        }

        var have = (await db.Templates.Select(t => new { t.Language, t.Key }).ToListAsync()).Select(t => (t.Language, t.Key)).ToHashSet();
        db.Templates.AddRange(DefaultTemplates.All().Where(t => !have.Contains((t.Language, t.Key))));
        await db.SaveChangesAsync();

        var zones = sp.GetRequiredService<ZoneRegistry>();
        if (fresh && demo)
        {
            db.Zones.AddRange(DemoNetwork.Zones());
            await db.SaveChangesAsync();
            await zones.ReloadAsync(db);
            var keys = sp.GetRequiredService<KeyRing>();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.Subscribers.AddRange(DemoNetwork.Subscribers(zones.Current, keys, demoSubscribers, now));
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
            db.ChangeTracker.AutoDetectChangesEnabled = true;
            foreach (var role in Roles.All)
            {
                var email = $"{role}@demo.whistle.invalid";
                var password = IdentitySetup.GeneratePassword();
                await IdentitySetup.CreateStaffAsync(sp, email, role, password);
                Console.WriteLine($"Demo {role}: {email}  password: {password}  (shown once)");
            }
            await Incidents.DemoIncident.SeedAsync(db, sp.GetRequiredService<Incidents.CustodyLog>(), sp.GetRequiredService<Incidents.EvidenceStore>(), sp.GetRequiredService<Privacy.KeyRing>(), now);
            log.LogInformation("Seeded the demo network: {Zones} zones, {Subscribers} synthetic subscribers", db.Zones.Count(), demoSubscribers);
        }
        else
        {
            await zones.ReloadAsync(db);
        }

        if (options.Bootstrap.AdminEmail is { Length: > 0 } adminEmail)
        {
            var users = sp.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<StaffUser>>();
            if (await users.FindByEmailAsync(adminEmail) is null)
            {
                if (string.IsNullOrEmpty(options.Bootstrap.AdminPassword))
                    throw new InvalidOperationException("Whistle:Bootstrap:AdminPassword is required with Whistle:Bootstrap:AdminEmail.");
                var result = await IdentitySetup.CreateStaffAsync(sp, adminEmail, Roles.Admin, options.Bootstrap.AdminPassword);
                if (!result.Succeeded)
                    throw new InvalidOperationException("Bootstrap admin not created: " + string.Join(" ", result.Errors.Select(e => e.Description)));
                log.LogInformation("Bootstrap admin account created");
            }
        }

        // Circles stored in the clear by an older Whistle are sealed before the index loads.
        if (await SealedCircle.SealLegacyAsync(db, sp.GetRequiredService<KeyRing>()) is > 0 and var sealedCount)
            log.LogInformation("Sealed {Count} subscribers' circles stored in the clear by an older version", sealedCount);
        await migrationLock.DisposeAsync(); // the index load below only reads: other nodes may go on
        await sp.GetRequiredService<SubscriberIndexSync>().CatchUpAsync(db);
    }
}
