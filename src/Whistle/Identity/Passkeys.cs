using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Identity;

/// <summary>A passkey (WebAuthn credential) of a staff member: only its public key is kept.</summary>
public class StaffPasskey
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public byte[] CredentialId { get; set; } = [];
    public byte[] PublicKey { get; set; } = [];
    public byte[] UserHandle { get; set; } = [];
    public long SignCount { get; set; }
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

public static partial class Passkeys
{
    public static Task<bool> HasAnyAsync(WhistleDb db, string userId, CancellationToken ct) =>
        db.Passkeys.AnyAsync(k => k.UserId == userId, ct);
}
