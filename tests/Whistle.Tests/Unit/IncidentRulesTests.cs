using Whistle.Incidents;

namespace Whistle.Tests.Unit;

/// <summary>The incident rules on plain types: consent, names, claims' wording, source URLs, overdue follow-ups, record hashes.</summary>
public sealed class IncidentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_statement_needs_a_consent_scope_other_than_none_and_when_it_was_given()
    {
        Assert.NotNull(ConsentRules.RefusalOf(null, Now, Now));
        Assert.Contains("not kept at all", ConsentRules.RefusalOf(ConsentScope.None, Now, Now));
        Assert.Contains("consentAt", ConsentRules.RefusalOf(ConsentScope.Public, null, Now));
        Assert.NotNull(ConsentRules.RefusalOf(ConsentScope.Legal, Now.AddDays(1), Now));
        foreach (var scope in new[] { ConsentScope.Internal, ConsentScope.Legal, ConsentScope.Public })
        {
            Assert.Null(ConsentRules.RefusalOf(scope, Now.AddHours(-1), Now));
            Assert.True(ConsentRules.MayStore(scope));
        }
        Assert.False(ConsentRules.MayStore(ConsentScope.None));
    }

    [Theory]
    [InlineData(ConsentScope.Internal, false, false)]
    [InlineData(ConsentScope.Legal, false, true)]
    [InlineData(ConsentScope.Public, true, true)]
    public void Only_public_statements_may_be_quoted_publicly_and_legal_or_public_go_to_lawyers(ConsentScope scope, bool quotable, bool lawyers)
    {
        var w = new WitnessStatement { Text = "I saw it", Consent = scope, ConsentAt = Now };
        Assert.Equal(quotable, ConsentRules.MayQuotePublicly(w));
        Assert.Equal(lawyers, ConsentRules.MayShareWithLawyers(w));
    }

    [Fact]
    public void Withdrawal_wipes_text_name_and_contact_and_nothing_of_it_may_be_quoted()
    {
        var w = new WitnessStatement { Text = "I saw it", Consent = ConsentScope.Public, ConsentAt = Now.AddDays(-2), NameCipher = [1, 2], ContactCipher = [3, 4] };
        ConsentRules.Withdraw(w, Now);
        Assert.Null(w.Text);
        Assert.Null(w.NameCipher);
        Assert.Null(w.ContactCipher);
        Assert.True(ConsentRules.IsWithdrawn(w));
        Assert.Equal(Now, w.ConsentAt);
        Assert.False(ConsentRules.MayQuotePublicly(w));
        Assert.False(ConsentRules.MayShareWithLawyers(w));
    }

    [Fact]
    public void Names_are_kept_only_with_the_familys_consent()
    {
        Assert.NotNull(NamesRule.RefusalOf(["Ana"], null));
        Assert.NotNull(NamesRule.RefusalOf(["Ana"], false));
        Assert.Null(NamesRule.RefusalOf(["Ana"], true));
        Assert.Null(NamesRule.RefusalOf(null, false));
        Assert.Null(NamesRule.RefusalOf([], false));
        Assert.True(NamesRule.MustWipe(false));
        Assert.False(NamesRule.MustWipe(true));
    }

    [Fact]
    public void Claims_are_worded_as_what_someone_said()
    {
        Assert.Equal("Kristi Noem (Secretary of Homeland Security) said: “It was self-defense”",
            ClaimWording.Said("Kristi Noem", "Secretary of Homeland Security", null, "It was self-defense"));
        Assert.Equal("A said: “B”", ClaimWording.Said("A", " ", null, "B"));
    }

    [Theory]
    [InlineData("https://example.org/statement", true)]
    [InlineData("http://example.org", true)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("data:text/html,hi", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("/relative", false)]
    [InlineData("ftp://example.org/x", false)]
    public void Source_urls_are_http_or_https_only(string url, bool allowed) => Assert.Equal(allowed, SourceUrls.IsAllowed(url));

    [Fact]
    public void A_follow_up_is_overdue_past_its_due_date_until_done()
    {
        var f = new FollowUp { DueAt = Now.AddDays(-1) };
        Assert.True(FollowUpRules.IsOverdue(f, Now));
        Assert.False(FollowUpRules.IsOverdue(new FollowUp { DueAt = Now.AddDays(1) }, Now));
        Assert.False(FollowUpRules.IsOverdue(new FollowUp(), Now));
        f.Done = true;
        Assert.False(FollowUpRules.IsOverdue(f, Now));
    }

    [Fact]
    public void A_records_hash_changes_with_any_field_and_survives_the_stored_times_round_trip()
    {
        var at = new DateTimeOffset(2026, 11, 20, 9, 30, 0, 123, TimeSpan.FromHours(-6)).AddTicks(4567);
        var t = new TimelineEntry { Id = 4, IncidentId = Guid.NewGuid(), At = StoredTime.Of(at), Source = "witness 1", Text = "x", AddedBy = "d", AddedAt = StoredTime.Of(at) };
        var keys = Whistle.Privacy.KeyRing.CreateNew();
        var hash = IncidentRecords.Form(t, keys).Hash;
        // What SQLite (Unix milliseconds) and PostgreSQL (UTC) give back.
        var read = new TimelineEntry { Id = 4, IncidentId = t.IncidentId, At = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()), Source = "witness 1", Text = "x", AddedBy = "d", AddedAt = StoredTime.Of(at).ToUniversalTime() };
        Assert.Equal(hash, IncidentRecords.Form(read, keys).Hash);
        read.Disputed = true;
        Assert.NotEqual(hash, IncidentRecords.Form(read, keys).Hash);
    }
}
