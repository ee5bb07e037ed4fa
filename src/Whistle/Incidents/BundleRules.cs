using System.Globalization;
using System.Text.Json;
using Whistle.Platform;

namespace Whistle.Incidents;

/// <summary>The first record of a bundle that breaks a rule: its kind, id, place in manifest.json, field and the rule.</summary>
public sealed record BundleViolation(string Kind, string Id, string Path, string Field, string Rule)
{
    /// <summary>The field as the problem's errors name it: "witnesses[1].consentAt".</summary>
    public string Key => Field.Length == 0 ? Path : $"{Path}.{Field}";

    /// <summary>One sentence naming it; its English is a problem.* pattern, so the reader gets it in their language.</summary>
    public string Detail => $"{Kind} — id {Id}, at {Path}, field {Field}: {Rule} Nothing was imported.";
}

/// <summary>Thrown when a verified bundle's records break a rule the API applies; answered as a validation problem.</summary>
public sealed class BundleRuleException(BundleViolation violation) : BundleRejectedException(violation.Detail)
{
    public BundleViolation Violation { get; } = violation;
}

/// <summary>
/// Every rule the API applies to a record, applied to each record of an imported bundle (issue 14 §6): a bundle is
/// only a different way in, so it goes through the same doors. Each record is turned into the request the API would
/// have taken and checked by that request's own <c>Validate</c> (one implementation: <see cref="IncidentRequest"/>,
/// <see cref="UploadMetadata"/>, <see cref="TimelineRequest"/>, <see cref="ClaimRequest"/>, <see cref="ClaimLinkRequest"/>,
/// <see cref="WitnessRequest"/>), then by what a bundle adds: the stored form (no control characters, which the API
/// strips on the way in and a bundle must not carry), allowed media types, links to evidence of the same bundle,
/// timeline precision, known enum values, and times that are not in the future. The first violation refuses the bundle.
/// </summary>
public static class BundleRules
{
    public const string Control = "Control characters are not allowed.";
    public const string Future = "A time in the future is not allowed.";
    public const string Unknown = "Not one of the allowed values.";
    public const string NoSuchEvidence = "No evidence item of this bundle has that id.";
    public const string NotAllowedType = "This media type is not accepted for evidence.";
    public const string BadFileName = "A file name only: no folders, no control characters, at most 255 characters.";
    public const string Withdrawn = "A withdrawn statement keeps no text, name or contact, and says when consent was withdrawn.";
    public const string BadPrecision = "The time is more precise than its precision says, or its local date does not match it.";
    public const string BadNames = "A list of names.";
    public const string ContentDisagrees = "The file does not start the way a file of its media type does: its content and its declared type disagree.";

    /// <summary>Record kinds as the problem names them (each a problem.* text, so translated).</summary>
    public const string KindIncident = "Incident", KindEvidence = "Evidence item", KindTimeline = "Timeline entry", KindClaim = "Claim",
        KindClaimLink = "Claim link", KindWitness = "Witness statement", KindCustody = "Custody entry";

    private static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first record that breaks a rule, or null when every record keeps them all.</summary>
    public static BundleViolation? FirstViolation(BundleManifest m, IServiceProvider services, DateTimeOffset now)
    {
        var evidenceIds = m.Evidence.Select(e => e.Id).ToHashSet();

        BundleViolation? Check(string kind, object id, string path, Action<Problems> rules)
        {
            var p = new Problems();
            rules(p);
            if (!p.Any) return null;
            var (field, messages) = p.ToDictionary().First();
            return new BundleViolation(kind, Convert.ToString(id, CultureInfo.InvariantCulture) ?? "", path, field, messages[0]);
        }

        var i = m.Incident;
        var found = Check(KindIncident, i.Id, "incident", p =>
        {
            string[]? names = null;
            if (i.Names is { } json)
            {
                try { names = JsonSerializer.Deserialize<string[]>(json); }
                catch (JsonException) { p.Add("names", BadNames); }
            }
            Strings(p, ("title", i.Title, 200), ("place", i.Place, 300), ("agencies", i.Agencies, 500), ("statusNote", i.StatusNote, 500),
                ("names", i.Names, 30_000), ("createdBy", i.CreatedBy, 256));
            p.Require(!string.IsNullOrWhiteSpace(i.Title), "title", "Give the incident a title.");
            Known(p, "category", i.Category);
            Known(p, "status", i.Status);
            new IncidentRequest(i.Title, i.OccurredAt, i.Place, i.Lat, i.Lon, i.Category, i.Agencies.Split(',', StringSplitOptions.RemoveEmptyEntries),
                i.PeopleAffected, i.Injured, i.Deaths, names, i.NamesConsent, i.Status, i.StatusNote, null, null).Validate(p, services);
            Times(p, now, ("occurredAt", i.OccurredAt, false), ("createdAt", i.CreatedAt, true), ("updatedAt", i.UpdatedAt, true));
        });
        if (found is not null) return found;

        for (int n = 0; n < m.Evidence.Count; n++)
        {
            var e = m.Evidence[n];
            found = Check(KindEvidence, e.Id, $"evidence[{n}]", p =>
            {
                Strings(p, ("mediaType", e.MediaType, 100), ("fileName", e.FileName, 255), ("description", e.Description, 2000),
                    ("device", e.Device, 200), ("locationText", e.LocationText, 500), ("addedBy", e.AddedBy, 256));
                p.Require(e.MediaType is not null && MediaTypes.Allowed.ContainsKey(e.MediaType), "mediaType", NotAllowedType);
                var upload = new UploadMetadata(e.FileName, e.Description, e.CapturedAt, e.Device, e.LocationText, e.Lat, e.Lon,
                    null, null, null, null, null, null, null);
                upload.Validate(p, services);
                p.Require(!string.IsNullOrWhiteSpace(e.FileName) && upload.Name == e.FileName, "fileName", BadFileName);
                p.Require(e.Size > 0, "size", "The file is empty.");
                Times(p, now, ("capturedAt", e.CapturedAt, false), ("addedAt", e.AddedAt, true));
            });
            if (found is not null) return found;
        }

        for (int n = 0; n < m.Timeline.Count; n++)
        {
            var t = m.Timeline[n];
            found = Check(KindTimeline, t.Id, $"timeline[{n}]", p =>
            {
                Strings(p, ("source", t.Source, 200), ("text", t.Text, IncidentsApi.MaxText), ("local", t.Local, 40), ("addedBy", t.AddedBy, 256));
                new TimelineRequest(t.At, t.Source, t.Text, t.Disputed, t.Precision).Validate(p, services);
                if (t.Precision is { } precision) Known(p, "precision", precision);
                if (TimelinePrecision.RefusalOf(t.At, t.Precision ?? Network.TimePrecision.Exact, t.Local) is { } why) p.Add("precision", why);
                Times(p, now, ("at", t.At, false), ("addedAt", t.AddedAt, true));
            });
            if (found is not null) return found;
        }

        for (int n = 0; n < m.Claims.Count; n++)
        {
            var c = m.Claims[n];
            found = Check(KindClaim, c.Id, $"claims[{n}]", p =>
            {
                Strings(p, ("claimantName", c.ClaimantName, 200), ("claimantRole", c.ClaimantRole, 200), ("organisation", c.Organisation, 200),
                    ("text", c.Text, IncidentsApi.MaxText), ("venue", c.Venue, 300), ("sourceUrl", c.SourceUrl, 2000),
                    ("disputeNote", c.DisputeNote, 2000), ("addedBy", c.AddedBy, 256));
                new ClaimRequest(c.ClaimantName, c.ClaimantRole, c.Organisation, c.Text, c.SaidAt, c.Venue, c.SourceUrl, c.Disputed, c.DisputeNote)
                    .Validate(p, services);
                Times(p, now, ("saidAt", c.SaidAt, false), ("addedAt", c.AddedAt, true));
            });
            if (found is not null) return found;
            var links = c.Evidence ?? [];
            for (int k = 0; k < links.Count; k++)
            {
                var l = links[k];
                found = Check(KindClaimLink, c.Id, $"claims[{n}].evidence[{k}]", p =>
                {
                    Strings(p, ("note", l.Note, 2000));
                    new ClaimLinkRequest(l.EvidenceId, l.Stance, l.Note).Validate(p, services);
                    Known(p, "stance", l.Stance);
                    p.Require(evidenceIds.Contains(l.EvidenceId), "evidenceId", NoSuchEvidence);
                });
                if (found is not null) return found;
            }
        }

        for (int n = 0; n < m.Witnesses.Count; n++)
        {
            var w = m.Witnesses[n];
            found = Check(KindWitness, w.Id, $"witnesses[{n}]", p =>
            {
                Strings(p, ("text", w.Text, IncidentsApi.MaxText), ("name", w.Name, 200), ("contact", w.Contact, 200), ("takenBy", w.TakenBy, 256));
                Known(p, "consent", w.Consent);
                if (w.Consent == ConsentScope.None)
                    // A withdrawn statement (the only way a row has consent none): wiped, with when it was withdrawn.
                    p.Require(w.ConsentAt is not null && w.Text is null && w.Name is null && w.Contact is null && w.AudioEvidenceId is null, "consent", Withdrawn);
                else
                    new WitnessRequest(w.Text, w.AudioEvidenceId, w.Consent, w.ConsentAt, w.Name, w.Contact, w.TakenAt).Validate(p, services);
                if (w.AudioEvidenceId is { } audio) p.Require(evidenceIds.Contains(audio), "audioEvidenceId", NoSuchEvidence);
                Times(p, now, ("consentAt", w.ConsentAt, true), ("takenAt", w.TakenAt, true));
            });
            if (found is not null) return found;
        }

        for (int n = 0; n < m.Custody.Count; n++)
        {
            var c = m.Custody[n];
            found = Check(KindCustody, c.Seq, $"custody[{n}]", p =>
            {
                Strings(p, ("action", c.Action, 64), ("actor", c.Actor, 256), ("objectType", c.ObjectType, 64), ("objectId", c.ObjectId, 256),
                    ("objectHash", c.ObjectHash, 128), ("previousHash", c.PreviousHash, 128), ("hash", c.Hash, 128), ("fields", c.Fields, 100_000));
                Times(p, now, ("at", c.At, true));
            });
            if (found is not null) return found;
        }
        return null;
    }

    /// <summary>Text as the API stores it: no control characters (the API strips them; a bundle carrying them is refused), capped.</summary>
    private static void Strings(Problems p, params (string Field, string? Value, int Max)[] fields)
    {
        foreach (var (field, value, max) in fields)
        {
            if (value is null) continue;
            if (!Text.IsClean(value)) p.Add(field, Control);
            else p.MaxLength(value, max, field);
        }
    }

    private static void Known<T>(Problems p, string field, T value) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) p.Add(field, Unknown);
    }

    private static void Times(Problems p, DateTimeOffset now, params (string Field, DateTimeOffset? Value, bool NotFuture)[] times)
    {
        foreach (var (field, value, notFuture) in times)
        {
            if (value is not { } t) continue;
            if (t < Earliest) p.Add(field, "A time after 1970 is expected.");
            else if (notFuture && t > now.AddMinutes(5)) p.Add(field, Future);
        }
    }
}

/// <summary>
/// A timeline time at its precision, as the API stores it (<see cref="Network.Clock.Truncate"/> in the network's zone): a
/// minute has no seconds; a day or a month starts at a local midnight (whole quarter hours in UTC, in every zone) and, when
/// the local form is given ("2024-03-15", "2024-03"), the time is that date's start in a zone at most 14 hours from UTC.
/// The exporting network's zone is not in the bundle, so that is as close as an import can check.
/// </summary>
public static class TimelinePrecision
{
    public static string? RefusalOf(DateTimeOffset at, Network.TimePrecision precision, string? local)
    {
        var utc = at.UtcDateTime;
        switch (precision)
        {
            case Network.TimePrecision.Exact:
                return null;
            case Network.TimePrecision.Minute:
                return utc.Second == 0 && utc.Millisecond == 0 ? null : BundleRules.BadPrecision;
            case Network.TimePrecision.Day or Network.TimePrecision.Month:
                if (utc.Second != 0 || utc.Millisecond != 0 || utc.Minute % 15 != 0) return BundleRules.BadPrecision;
                if (local is null) return null;
                var format = precision == Network.TimePrecision.Day ? "yyyy-MM-dd" : "yyyy-MM";
                if (!DateTime.TryParseExact(local, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)) return BundleRules.BadPrecision;
                var offset = DateTime.SpecifyKind(start, DateTimeKind.Utc) - utc; // the zone's offset that makes `at` that local midnight
                return Math.Abs(offset.TotalHours) <= 14 ? null : BundleRules.BadPrecision;
            default:
                return BundleRules.Unknown;
        }
    }
}
