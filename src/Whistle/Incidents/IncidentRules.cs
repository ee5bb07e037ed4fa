namespace Whistle.Incidents;

/// <summary>
/// What a witness's consent allows. The rules everything else relies on (the API, exports, the public registry):
/// <list type="bullet">
/// <item>a statement without a recorded consent (a scope and when it was given), or with consent <c>none</c>, is never stored;</item>
/// <item>only a <c>public</c> statement may ever be quoted in anything public — <see cref="MayQuotePublicly"/>;</item>
/// <item><c>legal</c> and <c>public</c> statements may go to the network's lawyers — <see cref="MayShareWithLawyers"/>;</item>
/// <item>a withdrawn statement keeps no text, name or contact; it stays as a row with consent <c>none</c> (which a new
/// statement can never have), <see cref="WitnessStatement.ConsentAt"/> then being when consent was withdrawn.</item>
/// </list>
/// </summary>
public static class ConsentRules
{
    /// <summary>Why a new statement with this consent cannot be stored, or null when it can.</summary>
    public static string? RefusalOf(ConsentScope? scope, DateTimeOffset? consentAt, DateTimeOffset now)
    {
        if (scope is null) return "Record the witness's consent: none, internal, legal or public. A statement without recorded consent is not kept.";
        if (scope == ConsentScope.None) return "The witness did not consent: a statement with consent none is not kept at all.";
        if (consentAt is null) return "Record when the witness gave consent (consentAt). A statement without recorded consent is not kept.";
        if (consentAt > now.AddMinutes(5)) return "Consent cannot have been given in the future.";
        return null;
    }

    public static bool MayStore(ConsentScope scope) => scope != ConsentScope.None;

    public static bool IsWithdrawn(WitnessStatement w) => w.Consent == ConsentScope.None;

    /// <summary>The one test for quoting a statement in anything public (the registry, a public export).</summary>
    public static bool MayQuotePublicly(WitnessStatement w) =>
        w.Consent == ConsentScope.Public && w.ConsentAt is not null && SealedTexts.HasText(w);

    public static bool MayShareWithLawyers(WitnessStatement w) =>
        w.Consent is ConsentScope.Legal or ConsentScope.Public && w.ConsentAt is not null && SealedTexts.HasText(w);

    /// <summary>Withdrawal: the text, name and contact are wiped; the row remains, marked withdrawn.</summary>
    public static void Withdraw(WitnessStatement w, DateTimeOffset at)
    {
        w.Text = null;
        w.TextCipher = null;
        w.NameCipher = null;
        w.ContactCipher = null;
        w.Consent = ConsentScope.None;
        w.ConsentAt = at;
    }
}

/// <summary>Names of the people an incident affected are kept only with their family's consent.</summary>
public static class NamesRule
{
    /// <summary>Why these names cannot be kept, or null when they can (or none are given).</summary>
    public static string? RefusalOf(IReadOnlyCollection<string>? names, bool? familyConsent) =>
        names is { Count: > 0 } && familyConsent != true
            ? "Names of affected people are kept only with their family's consent: set namesConsent to true once the family has agreed, or leave the names out."
            : null;

    /// <summary>Names stay only while consent holds: withdrawing it wipes them.</summary>
    public static bool MustWipe(bool familyConsent) => !familyConsent;
}

/// <summary>Claims are attributed, never asserted: the network records that X said Y, not that Y is so.</summary>
public static class ClaimWording
{
    public static string Said(string claimantName, string? role, string? organisation, string text)
    {
        var who = string.Join(", ", new[] { role, organisation }.Where(s => !string.IsNullOrWhiteSpace(s)));
        return who.Length == 0 ? $"{claimantName} said: “{text}”" : $"{claimantName} ({who}) said: “{text}”";
    }

    public static string Said(Claim c) => Said(c.ClaimantName, c.ClaimantRole, c.Organisation, c.Text);
}

/// <summary>Follow-ups past their due date and not done.</summary>
public static class FollowUpRules
{
    public static bool IsOverdue(FollowUp f, DateTimeOffset now) => !f.Done && f.DueAt is { } due && due < now;
}

/// <summary>Times as stored: UTC, to the millisecond (SQLite keeps Unix milliseconds), so a record hashes the same read back.</summary>
public static class StoredTime
{
    public static DateTimeOffset Of(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
    public static DateTimeOffset? Of(DateTimeOffset? t) => t is { } v ? Of(v) : null;
}

/// <summary>Source URLs of claims: absolute http or https only (no javascript:, data:, file:).</summary>
public static class SourceUrls
{
    public static bool IsAllowed(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps) && u.Host.Length > 0;
}
