using Microsoft.AspNetCore.Identity;

namespace Whistle.Identity;

/// <summary>A staff account: admin, dispatcher or verifier. Residents never have one.</summary>
public class StaffUser : IdentityUser
{
    public bool OnDuty { get; set; }
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Dispatcher = "dispatcher";
    public const string Verifier = "verifier";
    public static readonly string[] All = [Admin, Dispatcher, Verifier];
}

public static class Policies
{
    /// <summary>Anyone on staff.</summary>
    public const string Staff = "staff";
    /// <summary>May record a verification outcome: verifiers, dispatchers, admins.</summary>
    public const string Verify = "verify";
    /// <summary>May dispatch verifiers and send alerts: dispatchers and admins.</summary>
    public const string Dispatch = "dispatch";
    public const string Admin = "admin";
}
