using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Identity;

/// <summary>Where dispatches reach a staff member: SMS or e-mail.</summary>
public sealed record ContactInput(SubscriberChannel? Channel, string? Address)
{
    public void Validate(Problems p, IServiceProvider services)
    {
        if (Channel is not (SubscriberChannel.Sms or SubscriberChannel.Email)) p.Add("contact.channel", "sms or email.");
        else if (Addresses.Normalize(Channel.Value, Address, out var error, Addresses.RegionOf(services)) is not { } normalized) p.Add("contact.address", error!);
        else if (Channel == SubscriberChannel.Sms && services.GetRequiredService<SmsCountries>() is var countries && !countries.Allows(normalized))
            p.Add("contact.address", countries.Refusal);
    }
}

public sealed record NewStaff(string? Email, string? Role, string? Language, int? HomeZoneId, ContactInput? Contact) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(Addresses.Normalize(SubscriberChannel.Email, Email, out _) is not null, "email", "An e-mail address such as name@example.org.");
        p.Require(Role is not null && Roles.All.Contains(Role), "role", "admin, dispatcher or verifier.");
        p.Require(Language is null || Languages.IsKnown(Language), "language", "en, es, so or hmn.");
        StaffEdit.CheckZone(p, services, HomeZoneId);
        Contact?.Validate(p, services);
    }
}

/// <param name="Clear">What to remove: "homeZone", "contact". Every other field left out (null) stays as it is.</param>
/// <param name="Disabled">true: the account cannot log in (locked until far in the future); false: enabled again.</param>
public sealed record StaffEdit(string? Role, string? Language, int? HomeZoneId, bool? OnDuty, ContactInput? Contact, bool? Disabled,
    string[]? Clear) : IValidatable
{
    public static readonly string[] Clearable = ["homeZone", "contact"];

    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(Role is null || Roles.All.Contains(Role), "role", "admin, dispatcher or verifier.");
        p.Require(Language is null || Languages.IsKnown(Language), "language", "en, es, so or hmn.");
        CheckZone(p, services, HomeZoneId);
        Contact?.Validate(p, services);
        foreach (var c in Clear ?? []) p.Require(Clearable.Contains(c), "clear", "Only homeZone and contact can be cleared.");
        p.Require(!(Clears("contact") && Contact is not null), "contact", "Set the contact or clear it, not both.");
        p.Require(!(Clears("homeZone") && HomeZoneId is not null), "homeZoneId", "Set the home zone or clear it, not both.");
    }

    public bool Clears(string what) => Clear?.Contains(what) == true;

    public static void CheckZone(Problems p, IServiceProvider services, int? zone)
    {
        if (zone is { } z) p.Require(services.GetRequiredService<ZoneRegistry>().Current.Exists(z), "homeZoneId", $"There is no zone {z}.");
    }
}

/// <param name="Hint">The address masked ("…0123"); the full address is never listed.</param>
/// <param name="Reachable">false when the address has been wiped or unsubscribed (the person texted STOP, the provider said it is gone).</param>
public sealed record ContactView(SubscriberChannel Channel, string Hint, bool Reachable);

public sealed record StaffView(string Id, string Email, string[] Roles, string Language, bool OnDuty, DateTimeOffset? OnDutySince,
    int? HomeZoneId, string? HomeZone, ContactView? Contact, bool Disabled, bool Locked);

/// <summary>The account and its password, shown this once: it is stored only hashed.</summary>
public sealed record StaffCreated(StaffView User, string Password);

public sealed record NewPassword(string Password);

/// <summary>The rules about admins, on plain values.</summary>
public static class StaffRules
{
    /// <summary>Disabling locks the account out until this far future; re-enabling clears it.</summary>
    public static readonly DateTimeOffset DisabledUntil = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static bool IsDisabled(DateTimeOffset? lockoutEnd) => lockoutEnd >= DisabledUntil.AddYears(-1);

    /// <summary>Whether, after the change, no enabled admin would be left.</summary>
    public static bool LeavesNoAdmin(IEnumerable<(string Id, bool Admin, bool Disabled)> staff, string changedId, bool adminAfter, bool disabledAfter) =>
        !staff.Select(s => s.Id == changedId ? (s.Id, Admin: adminAfter, Disabled: disabledAfter) : s).Any(s => s.Admin && !s.Disabled);
}

/// <summary>Staff accounts, for admins: list, create (the password is shown once), change role, language, home zone, duty, contact, disable; new password.</summary>
public static class UsersApi
{
    public static RouteGroupBuilder MapUsers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/users").WithTags("Users").WithValidation().RequireAuthorization(Policies.Admin);
        group.MapGet("/", ListAsync);
        group.MapPost("/", CreateAsync);
        group.MapPut("/{id}", EditAsync);
        group.MapPost("/{id}/password", ResetPasswordAsync);
        group.MapPost("/{id}/second-factor/reset", ResetSecondFactorAsync);
        group.MapGet("/{id}/sessions", SessionsAsync);
        group.MapDelete("/{id}/sessions", EndSessionsAsync);
        group.MapDelete("/{id}/sessions/{sessionId:guid}", EndSessionAsync);
        var policy = routes.MapGroup("/second-factor-policy").WithTags("Users").WithValidation().RequireAuthorization(Policies.Admin);
        policy.MapGet("/", PolicyAsync);
        policy.MapPut("/", SetPolicyAsync);
        return group;
    }

    private static async Task<Results<Ok<List<SessionView>>, NotFound>> SessionsAsync(string id, WhistleDb db, SessionIssuer sessions,
        System.Security.Claims.ClaimsPrincipal me, CancellationToken ct) =>
        await db.Users.AnyAsync(u => u.Id == id, ct)
            ? TypedResults.Ok(await sessions.ListAsync(id, SessionIssuer.CurrentSession(me), ct))
            : TypedResults.NotFound();

    private static async Task<NoContent> EndSessionsAsync(string id, SessionIssuer sessions, CancellationToken ct)
    {
        await sessions.RevokeAsync(s => s.UserId == id, "admin", ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, NotFound>> EndSessionAsync(string id, Guid sessionId, SessionIssuer sessions, CancellationToken ct) =>
        await sessions.RevokeAsync(s => s.Id == sessionId && s.UserId == id, "admin", ct) > 0 ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>A lost phone: the authenticator, recovery codes and passkeys are removed, every session ends; the person sets up anew at the next login.</summary>
    private static async Task<Results<NoContent, NotFound>> ResetSecondFactorAsync(string id, UserManager<StaffUser> users, IUserStore<StaffUser> store,
        WhistleDb db, SessionIssuer sessions, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return TypedResults.NotFound();
        user.TwoFactorEnabled = false;
        await ((IUserAuthenticatorKeyStore<StaffUser>)store).SetAuthenticatorKeyAsync(user, null!, ct);
        await ((IUserTwoFactorRecoveryCodeStore<StaffUser>)store).ReplaceCodesAsync(user, [], ct);
        await users.UpdateAsync(user);
        await db.Passkeys.Where(k => k.UserId == id).ExecuteDeleteAsync(ct);
        await sessions.EndAllAsync(user, "security", ct);
        return TypedResults.NoContent();
    }

    public sealed record SecondFactorRoles(string[]? Roles) : IValidatable
    {
        public void Validate(Problems p, IServiceProvider services) =>
            p.Require(Roles is not null && Roles.All(r => Identity.Roles.All.Contains(r)), "roles", "A list of roles: admin, dispatcher, verifier, documenter.");
    }

    private static async Task<Ok<SecondFactorRoles>> PolicyAsync(WhistleDb db, CancellationToken ct) =>
        TypedResults.Ok(new SecondFactorRoles(await SecondFactorPolicy.RolesAsync(db, ct)));

    /// <summary>From the next login on, these roles must pass a second factor (those without one set it up first).</summary>
    private static async Task<Ok<SecondFactorRoles>> SetPolicyAsync(SecondFactorRoles req, WhistleDb db, CancellationToken ct)
    {
        var roles = Roles.All.Where(req.Roles!.Contains).ToArray();
        var profile = await db.Network.OrderBy(n => n.Id).FirstAsync(ct);
        profile.SecondFactorRoles = string.Join(",", roles);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new SecondFactorRoles(roles));
    }

    private static async Task<Ok<List<StaffView>>> ListAsync(WhistleDb db, KeyRing keys, ZoneRegistry zones, TimeProvider time, CancellationToken ct)
    {
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await RolesAsync(db, ct);
        var contactIds = users.Where(u => u.ContactSubscriberId is not null).Select(u => u.ContactSubscriberId!.Value).ToList();
        var contacts = await db.Subscribers.AsNoTracking().Where(s => contactIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        var now = time.GetUtcNow();
        return TypedResults.Ok(users.Select(u => View(u, roles.GetValueOrDefault(u.Id, []), contacts, keys, zones.Current, now)).ToList());
    }

    private static async Task<Results<Created<StaffCreated>, ProblemHttpResult>> CreateAsync(
        NewStaff req, WhistleDb db, UserManager<StaffUser> users, KeyRing keys, ZoneRegistry zones, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        var email = Addresses.Normalize(SubscriberChannel.Email, req.Email, out _)!;
        if (await users.FindByEmailAsync(email) is not null) return Problem.Conflict("There is already a staff account with this e-mail address.");
        var now = time.GetUtcNow();
        var password = IdentitySetup.GeneratePassword();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var result = await IdentitySetup.CreateStaffAsync(http.RequestServices, email, req.Role!, password);
        if (!result.Succeeded)
            return result.Errors.Any(e => e.Code is "DuplicateEmail" or "DuplicateUserName")
                ? Problem.Conflict("There is already a staff account with this e-mail address.")
                : TypedResults.Problem(statusCode: 400, title: "Account not created", detail: string.Join(" ", result.Errors.Select(e => e.Description)));
        var user = (await users.FindByEmailAsync(email))!;
        user.Language = req.Language ?? "en";
        user.HomeZoneId = req.HomeZoneId;
        if (req.Contact is { } c)
            user.ContactSubscriberId = (await StaffContact.AttachAsync(db, keys, c.Channel!.Value,
                Addresses.Normalize(c.Channel.Value, c.Address, out _, Addresses.RegionOf(http.RequestServices))!, user.Language, now, ct)).Id;
        await users.UpdateAsync(user);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/users/{user.Id}", new StaffCreated(await ViewAsync(db, keys, zones, user, now, ct), password));
    }

    private static async Task<Results<Ok<StaffView>, NotFound, ProblemHttpResult>> EditAsync(
        string id, StaffEdit req, WhistleDb db, UserManager<StaffUser> users, KeyRing keys, ZoneRegistry zones, TimeProvider time,
        SessionIssuer sessions, HttpContext http, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return TypedResults.NotFound();
        var now = time.GetUtcNow();
        var current = await users.GetRolesAsync(user);
        bool adminAfter = req.Role is null ? current.Contains(Roles.Admin) : req.Role == Roles.Admin;
        bool disabledAfter = req.Disabled ?? StaffRules.IsDisabled(user.LockoutEnd);
        if (!adminAfter || disabledAfter)
        {
            var roles = await RolesAsync(db, ct);
            var staff = await db.Users.AsNoTracking().Select(u => new { u.Id, u.LockoutEnd }).ToListAsync(ct);
            if (StaffRules.LeavesNoAdmin(staff.Select(s => (s.Id, roles.GetValueOrDefault(s.Id, []).Contains(Roles.Admin), StaffRules.IsDisabled(s.LockoutEnd))),
                    user.Id, adminAfter, disabledAfter))
                return Problem.Conflict("This would leave the network with no enabled admin. Make someone else an admin first.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        bool roleChanged = false;
        if (req.Role is { } role && !(current.Count == 1 && current[0] == role))
        {
            await users.RemoveFromRolesAsync(user, current);
            await users.AddToRoleAsync(user, role);
            roleChanged = true;
        }
        if (req.Language is { } lang)
        {
            user.Language = lang;
            if (user.ContactSubscriberId is { } sid && req.Contact is null && !req.Clears("contact"))
                await StaffContact.FollowLanguageAsync(db, sid, lang, now, ct);
        }
        if (req.Clears("homeZone")) user.HomeZoneId = null;
        if (req.HomeZoneId is { } zone) user.HomeZoneId = zone;
        if (req.OnDuty is { } on && on != user.OnDuty)
        {
            user.OnDuty = on;
            user.OnDutySince = on ? now : null;
        }
        if (req.Contact is { } c || req.Clears("contact"))
        {
            var old = user.ContactSubscriberId;
            long? next = null;
            if (req.Contact is { } set)
                next = (await StaffContact.AttachAsync(db, keys, set.Channel!.Value, Addresses.Normalize(set.Channel.Value, set.Address, out _, Addresses.RegionOf(http.RequestServices))!,
                    user.Language, now, ct)).Id;
            if (old is { } o && o != next) await StaffContact.ReleaseAsync(db, o, user.Id, now, ct);
            user.ContactSubscriberId = next;
        }
        if (req.Disabled is { } disabled && disabled != StaffRules.IsDisabled(user.LockoutEnd))
        {
            user.LockoutEnabled = true;
            user.LockoutEnd = disabled ? StaffRules.DisabledUntil : null;
            user.AccessFailedCount = 0;
            if (disabled) user.OnDuty = false;
            if (disabled) user.OnDutySince = null;
        }
        var saved = await users.UpdateAsync(user);
        if (!saved.Succeeded)
            return TypedResults.Problem(statusCode: 400, title: "Account not changed", detail: string.Join(" ", saved.Errors.Select(e => e.Description)));
        // A role change or disabling ends every session of the account at its next request (the tokens carry the old roles).
        if (roleChanged || req.Disabled == true) await sessions.EndAllAsync(user, roleChanged ? "role" : "disabled", ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await ViewAsync(db, keys, zones, user, now, ct));
    }

    /// <summary>A new password, shown once; every session of the account ends.</summary>
    private static async Task<Results<Ok<NewPassword>, NotFound, ProblemHttpResult>> ResetPasswordAsync(string id, UserManager<StaffUser> users,
        SessionIssuer sessions, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return TypedResults.NotFound();
        var password = IdentitySetup.GeneratePassword();
        if (await users.HasPasswordAsync(user)) await users.RemovePasswordAsync(user);
        var result = await users.AddPasswordAsync(user, password);
        if (!result.Succeeded)
            return TypedResults.Problem(statusCode: 400, title: "Password not changed", detail: string.Join(" ", result.Errors.Select(e => e.Description)));
        await users.ResetAccessFailedCountAsync(user);
        await sessions.EndAllAsync(user, "password", ct);
        return TypedResults.Ok(new NewPassword(password));
    }

    private static async Task<Dictionary<string, string[]>> RolesAsync(WhistleDb db, CancellationToken ct) =>
        (await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name }).ToListAsync(ct))
            .GroupBy(x => x.UserId).ToDictionary(g => g.Key, g => g.Select(x => x.Name!).Order().ToArray());

    private static async Task<StaffView> ViewAsync(WhistleDb db, KeyRing keys, ZoneRegistry zones, StaffUser user, DateTimeOffset now, CancellationToken ct)
    {
        var roles = await RolesAsync(db, ct);
        var contacts = user.ContactSubscriberId is { } sid
            ? await db.Subscribers.AsNoTracking().Where(s => s.Id == sid).ToDictionaryAsync(s => s.Id, ct)
            : [];
        return View(user, roles.GetValueOrDefault(user.Id, []), contacts, keys, zones.Current, now);
    }

    private static StaffView View(StaffUser u, string[] roles, Dictionary<long, Subscriber> contacts, KeyRing keys, ZoneCatalog zones, DateTimeOffset now)
    {
        ContactView? contact = null;
        if (u.ContactSubscriberId is { } sid && contacts.TryGetValue(sid, out var s))
            contact = new ContactView(s.Channel,
                s.AddressCipher is { } cipher ? StaffContact.Hint(s.Channel, keys.Decrypt(cipher, Purpose.SubscriberAddress)) : "…",
                s.AddressCipher is not null && s.State == SubscriberState.Confirmed);
        bool disabled = StaffRules.IsDisabled(u.LockoutEnd);
        return new StaffView(u.Id, u.Email ?? u.UserName ?? u.Id, roles, u.Language, u.OnDuty, u.OnDutySince, u.HomeZoneId,
            u.HomeZoneId is { } z ? zones.Find(z)?.Name : null, contact, disabled, !disabled && u.LockoutEnd > now);
    }
}
