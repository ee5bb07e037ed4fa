using System.Text.RegularExpressions;
using Whistle.Site;

namespace Whistle.Tests.Unit;

/// <summary>The translation files (Resources/i18n/*.po) and how Whistle reads them.</summary>
public sealed partial class TranslationFileTests
{
    [Fact]
    public void A_po_entry_is_keyed_by_its_context_and_an_empty_translation_is_left_out()
    {
        var words = PoFile.Read(new StringReader("""
            # a comment
            msgid ""
            msgstr ""
            "Language: es\n"

            #, fuzzy
            msgctxt "nav.alerts"
            msgid "Alerts"
            msgstr "Alertas"

            msgctxt "c.long"
            msgid "A \"quoted\" "
            "line"
            msgstr "Una \"línea\" "
            "larga\\n"

            msgctxt "c.untranslated"
            msgid "English"
            msgstr ""
            """));
        Assert.Equal("Alertas", words["nav.alerts"]);
        Assert.Equal("Una \"línea\" larga\\n", words["c.long"]);
        Assert.False(words.ContainsKey("c.untranslated"));
        Assert.False(words.ContainsKey(""));
    }

    [Fact]
    public void Every_language_file_holds_exactly_the_english_keys()
    {
        var english = PoFile.ReadEmbedded("en");
        Assert.True(english.Count > 500);
        foreach (var lang in Ui.Languages)
        {
            var words = PoFile.ReadEmbedded(lang);
            Assert.Empty(words.Keys.Except(english.Keys));
        }
    }

    [Theory]
    [InlineData("es")]
    [InlineData("so")]
    [InlineData("hmn")]
    public void A_translation_keeps_every_placeholder_of_the_english(string lang)
    {
        var english = PoFile.ReadEmbedded("en");
        foreach (var (key, text) in PoFile.ReadEmbedded(lang))
        {
            var want = Placeholder().Matches(english[key]).Select(m => m.Value).Order();
            var got = Placeholder().Matches(text).Select(m => m.Value).Order();
            Assert.True(want.SequenceEqual(got), $"{lang} {key}: {text}");
        }
    }

    [Fact]
    public void A_server_message_with_values_is_translated_with_its_values()
    {
        Assert.Equal("Como máximo 2000 caracteres (se dieron 2001).", ProblemWords.Translate("es", "At most 2000 characters (2001 given)."));
        Assert.Equal("Ese código es incorrecto o ya venció. Pida uno nuevo suscribiéndose otra vez.",
            ProblemWords.Translate("es", "That code is wrong or has expired. Ask for a new one by subscribing again."));
        Assert.Equal("An unknown message.", ProblemWords.Translate("so", "An unknown message."));
    }

    [Fact]
    public void Checkpoint_is_one_term_on_the_public_and_the_console_pages()
    {
        // Seen: Somali "Kontarool" on the console, "Baaritaan waddo" on the report form, for the same activity.
        Assert.Equal("Baaritaan waddo", Ui.ConsoleTextsFor("so")["activity.checkpoint"]);
        foreach (var lang in Ui.Languages)
        {
            var console = Ui.ConsoleTextsFor(lang);
            Assert.DoesNotContain(console.Keys, k => k.StartsWith("c.activity.", StringComparison.Ordinal) || k.StartsWith("c.inc.category.", StringComparison.Ordinal)
                || k.StartsWith("c.inc.agency.", StringComparison.Ordinal) || k.StartsWith("c.inc.status.", StringComparison.Ordinal));
            foreach (var activity in new[] { "home_raid", "workplace_raid", "checkpoint", "arrest", "patrol", "other" })
                Assert.Equal(Ui.T(lang, "activity." + activity), console["activity." + activity]);
        }
    }

    [Fact]
    public void One_english_term_has_one_key_among_the_shared_terms()
    {
        // an activity, an incident category, agency or status: the same English under two keys is a second source
        var shared = Ui.English.Where(e => e.Key.StartsWith("activity.", StringComparison.Ordinal) || e.Key.StartsWith("incident.", StringComparison.Ordinal)
            || e.Key.StartsWith("c.", StringComparison.Ordinal)).ToList();
        // "Other" is not a term: it takes the gender of what it stands for (Spanish otro/otra), so it may differ
        var twice = shared.Where(e => e.Value != "Other").GroupBy(e => e.Value.ToLowerInvariant())
            .Where(g => g.Any(e => !e.Key.StartsWith("c.", StringComparison.Ordinal)) && g.Any(e => e.Key.StartsWith("c.", StringComparison.Ordinal)))
            .Select(g => string.Join(", ", g.Select(e => e.Key))).ToList();
        Assert.Empty(twice);
    }

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex Placeholder();
}
