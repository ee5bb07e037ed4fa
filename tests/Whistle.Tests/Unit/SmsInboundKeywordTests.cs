using Whistle.Inbound;
using Whistle.Network;
using Whistle.Reports;

namespace Whistle.Tests.Unit;

public class SmsInboundKeywordTests
{
    [Theory]
    [InlineData("STOP", "en")]
    [InlineData("stop", "en")]
    [InlineData(" Stop! ", "en")]
    [InlineData("STOPALL", "en")]
    [InlineData("Unsubscribe.", "en")]
    [InlineData("cancel", "en")]
    [InlineData("END", "en")]
    [InlineData("quit", "en")]
    [InlineData("Parar", "es")]
    [InlineData("baja", "es")]
    [InlineData("jooji", "so")]
    [InlineData("Nres", "hmn")]
    public void Stop_words_stop_whatever_their_case_and_punctuation(string body, string language)
    {
        var c = SmsKeywords.Parse(body);
        Assert.Equal(SmsCommandKind.Stop, c.Kind);
        Assert.Equal(language, c.Language);
    }

    [Theory]
    [InlineData("JOIN powderhorn", "POWDERHORN", "en")]
    [InlineData("join Powderhorn Park", "POWDERHORN PARK", "en")]
    [InlineData("Start: Phillips West", "PHILLIPS WEST", "en")]
    [InlineData("ALTA Powderhorn", "POWDERHORN", "es")]
    [InlineData("Únirme Whittier", "WHITTIER", "es")]
    [InlineData("ku biir Cedar Riverside", "CEDAR RIVERSIDE", "so")]
    [InlineData("Biir seward", "SEWARD", "so")]
    [InlineData("koom Frogtown", "FROGTOWN", "hmn")]
    public void Join_words_take_the_rest_as_the_zone(string body, string zone, string language)
    {
        var c = SmsKeywords.Parse(body);
        Assert.Equal(SmsCommandKind.Join, c.Kind);
        Assert.Equal(zone, c.Argument);
        Assert.Equal(language, c.Language);
    }

    [Theory]
    [InlineData("START")]
    [InlineData("unstop")]
    [InlineData("Alta")]
    [InlineData("KU BIIR")]
    [InlineData("koom.")]
    public void A_join_word_alone_asks_to_resume(string body)
    {
        var c = SmsKeywords.Parse(body);
        Assert.Equal(SmsCommandKind.Join, c.Kind);
        Assert.Null(c.Argument);
    }

    [Theory]
    [InlineData("ENGLISH", "en")]
    [InlineData("Español", "es")]
    [InlineData("espanol", "es")]
    [InlineData("ESPAÑOL!", "es")]
    [InlineData("Soomaali", "so")]
    [InlineData("hmoob", "hmn")]
    public void Language_words_name_a_language(string body, string language)
    {
        var c = SmsKeywords.Parse(body);
        Assert.Equal(SmsCommandKind.Language, c.Kind);
        Assert.Equal(language, c.Argument);
    }

    [Theory]
    [InlineData("HELP")]
    [InlineData("info")]
    [InlineData("Ayuda")]
    [InlineData("caawimaad")]
    [InlineData("PAB")]
    public void Help_words_ask_for_help(string body) => Assert.Equal(SmsCommandKind.Help, SmsKeywords.Parse(body).Kind);

    [Theory]
    [InlineData("123456", SmsCommandKind.Code)]
    [InlineData(" 123 456 ", SmsCommandKind.Code)]
    [InlineData("12345", SmsCommandKind.Report)]
    [InlineData("", SmsCommandKind.Empty)]
    [InlineData("  ?! ", SmsCommandKind.Empty)]
    [InlineData("stop the van is at lake st", SmsCommandKind.Report)]
    [InlineData("ICE agents at Lake St and Bloomington", SmsCommandKind.Report)]
    [InlineData("helpful neighbours at the door", SmsCommandKind.Report)]
    public void Only_a_whole_keyword_is_a_keyword(string body, SmsCommandKind kind) => Assert.Equal(kind, SmsKeywords.Parse(body).Kind);

    [Theory]
    [InlineData("Hay una redada en la calle Lake", "es")]
    [InlineData("Waxaa jooga booliis iyo baabuur", "so")]
    [InlineData("Muaj tub ceev xwm nyob hauv tsev", "hmn")]
    [InlineData("There are agents at the corner store", "en")]
    [InlineData("Lake", null)]
    public void A_text_language_is_guessed_from_common_words(string body, string? language) =>
        Assert.Equal(language, SmsKeywords.GuessLanguage(body));
}

public class SmsInboundZoneMatcherTests
{
    private static readonly ZoneMatcher Matcher = new(DemoNetwork.Zones().Select(z => (z.Id, z.Name)).ToList());

    [Theory]
    [InlineData("powderhorn", "Powderhorn Park")]
    [InlineData("POWDERHORN PARK", "Powderhorn Park")]
    [InlineData("Powderhron", "Powderhorn Park")] // transposed letters
    [InlineData("powderhorn parc", "Powderhorn Park")]
    [InlineData("the powderhorn neighborhood", "Powderhorn Park")]
    [InlineData("Windom", "Windom")] // the exact name wins over Windom Park
    [InlineData("windom prak", "Windom Park")]
    [InlineData("Stevens Square", "Steven's Square - Loring Heights")]
    [InlineData("cedar riverside", "Cedar Riverside")]
    [InlineData("Cedar-Riverside", "Cedar Riverside")]
    [InlineData("Nicollet Island", "Nicollet Island - East Bank")]
    [InlineData("whitier", "Whittier")]
    [InlineData("northloop", "North Loop")]
    [InlineData("Marcy-Holmes", "Marcy Holmes")]
    public void A_zone_is_found_despite_case_typos_and_missing_words(string typed, string zone)
    {
        var m = Matcher.Match(typed);
        Assert.True(m.IsUnique, string.Join(" | ", m.Candidates.Select(c => c.Name)));
        Assert.Equal(zone, m.Candidates[0].Name);
    }

    [Theory]
    [InlineData("phillips", new[] { "East Phillips", "Midtown Phillips", "Phillips West" })]
    [InlineData("downtown", new[] { "Downtown East", "Downtown West" })]
    [InlineData("st anthony", new[] { "St. Anthony East", "St. Anthony West" })]
    public void Several_equally_good_zones_are_ambiguous(string typed, string[] names)
    {
        var m = Matcher.Match(typed);
        Assert.False(m.IsUnique);
        Assert.Equal(names, m.Candidates.Select(c => c.Name).Order());
    }

    [Fact]
    public void An_ambiguous_match_offers_at_most_three()
    {
        var m = Matcher.Match("park");
        Assert.Equal(ZoneMatcher.MaxCandidates, m.Candidates.Count);
    }

    [Theory]
    [InlineData("atlantis")]
    [InlineData("pow")]
    [InlineData("")]
    [InlineData("St Paul")]
    public void Nothing_close_is_no_match(string typed) => Assert.True(Matcher.Match(typed).IsNone);

    [Theory]
    [InlineData("ICE at Lake St in Powderhorn by the park", "Powderhorn Park")]
    [InlineData("agents at the Seward co-op", "Seward")]
    [InlineData("3 vans near Cedar Riverside light rail", "Cedar Riverside")]
    [InlineData("checkpoint on 35W", null)]
    public void A_zone_named_in_a_free_text_is_found(string text, string? zone) => Assert.Equal(zone, Matcher.FindIn(text)?.Name);

    [Theory]
    [InlineData("kitten", "sitting", 3, 3)]
    [InlineData("prak", "park", 1, 1)] // a swap is one edit
    [InlineData("kitten", "sitting", 2, null)]
    [InlineData("abc", "abc", 0, 0)]
    [InlineData("", "abc", 3, 3)]
    public void Levenshtein_is_bounded(string a, string b, int max, int? expected) => Assert.Equal(expected, ZoneMatcher.Levenshtein(a, b, max));
}

public class SmsInboundReportFactsTests
{
    [Fact]
    public void Facts_are_read_from_words_in_any_language_and_questions_follow_what_is_missing()
    {
        var r = new Report { Activity = Activity.Other };
        ReportFacts.Apply(r, "ICE agents outside the laundromat", null);
        Assert.Equal(Agency.Ice, r.Agency);
        Assert.Equal(SaluteQuestion.Where, ReportFacts.Next(r, []));
        Assert.Equal(SaluteQuestion.What, ReportFacts.Next(r, [SaluteQuestion.Where]));
        ReportFacts.Apply(r, "es un retén", SaluteQuestion.What);
        Assert.Equal(Activity.Checkpoint, r.Activity);
        ReportFacts.Apply(r, "4 agentes y 2 camionetas", SaluteQuestion.Size);
        Assert.Equal((4, 2), (r.Agents, r.Vehicles));
        Assert.Null(ReportFacts.Next(r, [SaluteQuestion.Where]));
    }

    [Theory]
    [InlineData("5", SaluteQuestion.Size, 5, null)]
    [InlineData("3 cars", SaluteQuestion.Size, null, 3)]
    [InlineData("two officers, 1 truck", SaluteQuestion.Size, null, 1)]
    [InlineData("5", SaluteQuestion.Where, null, null)] // a bare number is a count only when that was asked
    public void Counts_are_read_from_numbers(string text, SaluteQuestion q, int? agents, int? vehicles)
    {
        var r = new Report();
        ReportFacts.Apply(r, text, q);
        Assert.Equal((agents, vehicles), (r.Agents, r.Vehicles));
    }

    [Theory]
    [InlineData("border patrol trucks", Agency.Cbp)]
    [InlineData("la migra", Agency.Ice)]
    [InlineData("police", Agency.Police)]
    [InlineData("no se", Agency.Unknown)]
    public void The_agency_is_read_from_its_names(string text, Agency agency)
    {
        var r = new Report();
        ReportFacts.Apply(r, text, SaluteQuestion.Agency);
        Assert.Equal(agency, r.Agency);
    }
}

public class SmsInboundTemplateTests
{
    [Fact]
    public void Every_reply_fits_the_segment_budget_at_its_longest_and_English_fits_two()
    {
        var zones = new Geo.ZoneCatalog(DemoNetwork.Zones().Select(z => (z.Id, z.Name, z.GeoJson)));
        var samples = SmsInboundApi.Samples(zones);
        var replies = Alerts.DefaultTemplates.All().Where(t => t.Key.StartsWith("sms.", StringComparison.Ordinal)).ToList();
        Assert.Equal(17 * 4, replies.Count);
        foreach (var t in replies)
        {
            var text = Alerts.TemplateSet.Fill(t.Text, samples);
            Assert.DoesNotContain("{", text);
            var size = Delivery.Sms.SmsSize.Of(text);
            Assert.True(size.Segments <= (t.Language == "en" ? 2 : 3), $"{t.Language} {t.Key}: {size}");
        }
        // The first reply to a report is the thanks and the first question together.
        var en = Alerts.TemplateSet.From(Alerts.DefaultTemplates.All());
        foreach (var lang in Alerts.Languages.All)
            Assert.True(Delivery.Sms.SmsSize.Of(en.Get(lang, "sms.report.thanks") + " " + en.Get(lang, "sms.ask.where")).Segments <= 2, lang);
    }
}
