using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Incidents;

/// <summary>
/// The demo network's incident file, built from one news article (Resources/seed-article.txt, kept in the file as
/// its first evidence item). Only what the article says: its timeline, the officials' statements as attributed
/// claims, the witnesses' accounts as it summarises them (published, so consent public; no names, no contacts).
/// Where the article contradicts itself — its date against the administration and officials it names, and "the
/// officer" against "another officer" — both versions are kept and marked disputed, saying what conflicts.
/// </summary>
public static class DemoIncident
{
    public const string Title = "ICE officer shoots and kills a driver during a traffic stop, Minneapolis";
    public const string Seeder = "demo seed";
    public const string ArticleResource = "Whistle.Resources.seed-article.txt";

    public const string DateConflict =
        "The article dates the shooting March 15, 2024, yet places it under the Trump administration, with Kristi Noem as " +
        "Secretary of Homeland Security and more than 2,000 federal officers deployed to the Twin Cities: the date and the " +
        "administration and officials it names do not fit together. Both versions are kept until a primary source settles it.";

    public const string OfficerConflict =
        "The article says the officer who approached the SUV demanded she open the door and that \"another ICE officer\" fired; " +
        "elsewhere it speaks of \"the officer\" who \"discharged his weapon\", and federal officials say \"the officer\" acted in " +
        "self-defense: whether the officer who fired was the one at the door is unclear.";

    public static async Task SeedAsync(WhistleDb db, CustodyLog custody, EvidenceStore store, Privacy.KeyRing keys, DateTimeOffset now, CancellationToken ct = default)
    {
        now = StoredTime.Of(now);
        // The article's date; it gives no time of day (midnight, Minneapolis time, in March 2024 UTC-5).
        var day = new DateTimeOffset(2024, 3, 15, 0, 0, 0, TimeSpan.FromHours(-5)).ToUniversalTime();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = new Incident
        {
            Title = Title, OccurredAt = day, Place = "A residential neighborhood just south of downtown Minneapolis",
            Category = IncidentCategory.Shooting, Agencies = "ice", PeopleAffected = 1, Injured = 0, Deaths = 1,
            NamesConsent = false, Status = IncidentStatus.Open, StatusNoteCipher = keys.Encrypt("investigation pending", Privacy.Purpose.IncidentNote), Published = true,
            CreatedBy = Seeder, CreatedAt = now, UpdatedAt = now,
        };
        db.Incidents.Add(incident);
        await custody.AppendAsync(incident.Id, "created", Seeder, IncidentRecords.Form(incident, keys), ct);

        // The source itself, in the evidence store (content-addressed; its hash is in the custody log).
        await using (var articleFile = typeof(DemoIncident).Assembly.GetManifestResourceStream(ArticleResource)
            ?? throw new InvalidOperationException("The seed article is not embedded."))
        {
            var (sha, size) = await store.SaveAsync(articleFile, 1 << 20, ct);
            var item = new EvidenceItem
            {
                IncidentId = incident.Id, Sha256 = sha, Size = size, MediaType = "text/plain", FileName = "seed-article.txt",
                Description = "News article: the source of this file's timeline, claims and witness summaries.", AddedBy = Seeder, AddedAt = now,
            };
            db.Evidence.Add(item);
            await db.SaveChangesAsync(ct);
            await custody.AppendAsync(incident.Id, "evidence_added", Seeder, "evidence", item.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), sha, ct);
            await custody.AppendAsync(incident.Id, EvidenceApi.Described, Seeder, IncidentRecords.Form(item, keys), ct);
        }

        const string article = "article";
        const string witnesses = "witnesses, as reported in the article";
        var timeline = new (string Source, string Text, bool Disputed)[]
        {
            (article, "Date as the article gives it: March 15, 2024 (no time of day given). " + DateConflict, true),
            (article, "The article's other version: the shooting happened under the Trump administration, with Kristi Noem as Secretary of " +
                "Homeland Security and more than 2,000 federal officers deployed to the Twin Cities — which does not fit its March 15, 2024 date. " + DateConflict, true),
            (witnesses, "During a traffic stop, the officer approached the woman's SUV, which was blocking the roadway, and demanded she open the door.", false),
            (witnesses, "As the SUV began to move forward, another ICE officer — not the one at the door — fired at least two shots at close range. " + OfficerConflict, true),
            (article, "The article's other version: \"an ICE officer shot and killed a driver\"; it is unclear \"if the vehicle made contact with the officer " +
                "before he discharged his weapon\" — the officer at the door, by that wording. " + OfficerConflict, true),
            (article, "It remains unclear whether the vehicle made contact with the officer before shots were fired.", false),
            (article, "The woman, whose identity has not been disclosed, was shot in front of a family member.", false),
            (article, "After the shooting, the vehicle collided with two parked cars.", false),
            (article, "Bystanders recorded the event on their mobile devices.", false),
            (article, "Hundreds gathered at the scene to protest against ICE's presence, chanting \"ICE out of Minnesota!\".", false),
            (article, "Officials made statements (see the claims): the Secretary of Homeland Security, the Mayor, the Governor, the Police Chief, and a spokesperson for the Hennepin County Attorney's Office.", false),
        };
        var entries = timeline.Select(t => new TimelineEntry
        {
            // The article gives the day only: kept and shown as March 15, 2024, not "3/15/2024, 5:00:00 AM".
            IncidentId = incident.Id, At = day, Precision = Network.TimePrecision.Day, Source = t.Source, Text = t.Text, Disputed = t.Disputed,
            AddedBy = Seeder, AddedAt = now,
        }).ToList();
        db.Timeline.AddRange(entries);

        var statements = new[]
        {
            "Witnesses reported that the officer approached her SUV, which was blocking the roadway, and demanded she open the door. " +
                "As the SUV began to move forward, another ICE officer fired at least two shots at close range.",
            "Bystanders expressed shock and anger; many recorded the event on their mobile devices.",
        };
        var witnessRows = statements.Select(s => new WitnessStatement
        {
            IncidentId = incident.Id, TextCipher = keys.Encrypt(s, Privacy.Purpose.WitnessText), Consent = ConsentScope.Public, ConsentAt = now, TakenAt = now, TakenBy = Seeder,
        }).ToList();
        db.Witnesses.AddRange(witnessRows);

        var claims = new List<Claim>
        {
            new()
            {
                ClaimantName = "Kristi Noem", ClaimantRole = "Secretary of Homeland Security", Organisation = "U.S. Department of Homeland Security",
                Text = "Described the incident as an \"act of domestic terrorism\" perpetrated by the driver, and asserted that the officer acted quickly to protect himself and others.",
                Venue = "Statement while visiting Texas", Disputed = true,
                DisputeNote = "Mayor Jacob Frey called this narrative \"garbage\"; witnesses say another officer, not the one at the door, fired. " + DateConflict,
            },
            new()
            {
                ClaimantName = "Federal officials (not named in the article)", Organisation = "U.S. federal government",
                Text = "The officer acted in self-defense.", Disputed = true,
                DisputeNote = "Local leaders condemned the shooting as reckless and unnecessary. " + OfficerConflict,
            },
            new()
            {
                ClaimantName = "Jacob Frey", ClaimantRole = "Mayor", Organisation = "City of Minneapolis",
                Text = "Rejected the federal account as \"garbage\" and called for the withdrawal of the more than 2,000 federal officers deployed to the Twin Cities: " +
                    "\"What they are doing is causing chaos and distrust\"; the agents are \"ripping families apart\".",
            },
            new()
            {
                ClaimantName = "Tim Walz", ClaimantRole = "Governor", Organisation = "State of Minnesota",
                Text = "Is prepared to deploy the National Guard if necessary; urged the community to protest peacefully: \"We cannot give them what they want.\"",
                Venue = "News conference",
            },
            new()
            {
                ClaimantName = "Brian O’Hara", ClaimantRole = "Police Chief", Organisation = "Minneapolis Police Department",
                Text = "The woman had been shot in the head and the situation escalated quickly. (He did not suggest that the driver posed a threat to anyone.)",
            },
            new()
            {
                ClaimantName = "A spokesperson", ClaimantRole = "Spokesperson", Organisation = "Hennepin County Attorney’s Office",
                Text = "Any decisions regarding charges would await the completion of an investigation into the incident.",
            },
        };
        foreach (var c in claims) (c.IncidentId, c.AddedBy, c.AddedAt) = (incident.Id, Seeder, now);
        db.Claims.AddRange(claims);

        var followUp = new FollowUp
        {
            IncidentId = incident.Id, Kind = FollowUpKind.LegalReferral, Owner = "documenter@demo.whistle.invalid",
        };
        followUp.SetDescription("Ask the Hennepin County Attorney’s Office for the outcome of the investigation and whether charges will be brought.", keys);
        db.FollowUps.Add(followUp);
        await db.SaveChangesAsync(ct);
        foreach (var t in entries) await custody.AppendAsync(incident.Id, "timeline_added", Seeder, IncidentRecords.Form(t, keys), ct);
        foreach (var w in witnessRows) await custody.AppendAsync(incident.Id, "witness_added", Seeder, IncidentRecords.Form(w, keys), ct);
        foreach (var c in claims) await custody.AppendAsync(incident.Id, "claim_added", Seeder, IncidentRecords.Form(c, keys), ct);
        await custody.AppendAsync(incident.Id, "follow_up_added", Seeder, IncidentRecords.Form(followUp, keys), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
