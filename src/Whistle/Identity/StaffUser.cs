using Microsoft.AspNetCore.Identity;

namespace Whistle.Identity;

/// <summary>A staff account: admin, dispatcher or verifier. Residents never have one.</summary>
public class StaffUser : IdentityUser
{
    /// <summary>On the roster now: a dispatch may message this verifier.</summary>
    public bool OnDuty { get; set; }
    public DateTimeOffset? OnDutySince { get; set; }
    /// <summary>The zone the verifier starts from; dispatch sends the nearest first.</summary>
    public int? HomeZoneId { get; set; }
    /// <summary>
    /// Where dispatches reach this person: a confirmed subscriber row with no area (so it receives no alerts),
    /// holding the phone or e-mail encrypted like every other address.
    /// </summary>
    public long? ContactSubscriberId { get; set; }
    /// <summary>The language of the messages this person receives.</summary>
    public string Language { get; set; } = "en";
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Dispatcher = "dispatcher";
    public const string Verifier = "verifier";
    /// <summary>Keeps incident files: evidence, witness statements (with their contacts), claims.</summary>
    public const string Documenter = "documenter";
    public static readonly string[] All = [Admin, Dispatcher, Verifier, Documenter];
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
    /// <summary>May read and write incident files, witness contacts included: documenters and admins.</summary>
    public const string Document = "document";
}
