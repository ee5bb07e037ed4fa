using System.Text;
using System.Xml;
using System.Xml.Linq;
using Whistle.Alerts;
using Whistle.Geo;
using Whistle.Platform;
using Whistle.Reports;

namespace Whistle.Tests.Unit;

/// <summary>The one text sanitizer (Platform/Text.cs) and the CAP/Atom writers fed any text at all.</summary>
public sealed class SafeTextTests
{
    [Theory]
    [InlineData("Bad\u0001place", "Badplace")]
    [InlineData("a\r\nb\rc\nd\te", "a\nb\nc\nd\te")]
    [InlineData("nul\0 del\u007F c1\u0085\u009F", "nul del c1")]
    [InlineData("non\uFFFE\uFFFF\uFDD0chars", "nonchars")]
    [InlineData("emoji 🚨 kept", "emoji 🚨 kept")]
    [InlineData("e\u0301", "é")] // NFC
    [InlineData("Xov xwm tshiab: Cedar-Riverside", "Xov xwm tshiab: Cedar-Riverside")]
    public void Clean_keeps_text_and_drops_what_no_one_can_read(string input, string expected)
    {
        Assert.Equal(expected, Text.Clean(input));
        Assert.Equal(expected, Text.Clean(Text.Clean(input)));
        Assert.True(Text.IsClean(Text.Clean(input)!));
    }

    [Fact]
    public void Lone_surrogates_go_and_pairs_stay()
    {
        // Built in code: attribute data cannot carry a lone surrogate intact.
        string input = "lone " + '\uD800' + " high, lone " + '\uDC00' + " low, pair " + "\uD83D\uDEA8" + ", reversed " + '\uDC00' + '\uD800';
        Assert.Equal("lone  high, lone  low, pair 🚨, reversed ", Text.Clean(input));
        Assert.False(Text.IsClean(input));
    }

    [Fact]
    public void CleanLine_puts_text_on_one_line() => Assert.Equal("a b c", Text.CleanLine("a\r\nb\tc"));

    [Fact]
    public void Supplementary_noncharacters_go_and_other_astral_characters_stay()
    {
        Assert.Equal("ab", Text.Clean("a" + char.ConvertFromUtf32(0x1FFFE) + "b"));
        Assert.Equal("a𝄞b", Text.Clean("a𝄞b"));
    }

    /// <summary>Random strings from every Unicode category, lone surrogates, U+FFFE, C0/C1 controls.</summary>
    internal static string Hostile(Random r, int max = 60)
    {
        char[] specials = ['\0', '\u0001', '\u0008', '\u000B', '\u000C', '\r', '\n', '\t', '\u001F', '\u007F', '\u0085', '\u009F',
            '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFE', '\uFFFF', '\uFDD0', '\uFEFF', '\u202E', '\u2028', '<', '&', '>', '"', '\'', ']'];
        var sb = new StringBuilder();
        int n = r.Next(max);
        for (int i = 0; i < n; i++)
        {
            switch (r.Next(4))
            {
                case 0: sb.Append(specials[r.Next(specials.Length)]); break;
                case 1: sb.Append((char)r.Next(0, 0x10000)); break; // any UTF-16 unit, surrogates included
                case 2: sb.Append(char.ConvertFromUtf32(r.Next(0x10000, 0x110000) is var cp && (cp & 0xFFFE) == 0xFFFE ? 0x1F6A8 : cp)); break;
                default: sb.Append((char)r.Next('a', 'z' + 1)); break;
            }
        }
        return sb.ToString();
    }

    [Fact]
    public void CAP_and_Atom_are_well_formed_and_CAP_valid_whatever_text_the_rows_hold()
    {
        var zones = new ZoneCatalog([]);
        for (int seed = 0; seed < 300; seed++)
        {
            var r = new Random(seed);
            var templates = TemplateSet.From(DefaultTemplates.All().Select(t =>
                { if (r.Next(4) == 0) t.Text = Hostile(r); return t; }));
            var now = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
            var alert = new Alert
            {
                Seq = 1, Kind = AlertKind.Alert, Activity = Activity.Checkpoint, Place = Hostile(r),
                CircleLat = 44.95, CircleLon = -93.25, CircleRadiusMeters = 500, SentAt = now, ExpiresAt = now.AddHours(1),
                Messages = Languages.All.ToDictionary(l => l, _ => Hostile(r, 200)),
            };
            var cancel = new Alert
            {
                Seq = 2, Kind = AlertKind.Cancel, ReferencesId = alert.Id, CancelReason = CancelReason.FalseAlarm, Activity = Activity.Checkpoint,
                Place = alert.Place, CircleLat = 44.95, CircleLon = -93.25, CircleRadiusMeters = 500, SentAt = now.AddMinutes(5), ExpiresAt = now.AddMinutes(5),
                Messages = Languages.All.ToDictionary(l => l, _ => Hostile(r, 200)),
            };
            var context = new CapContext("whistle@alerts.example.org", Hostile(r, 30), "https://alerts.example.org", templates, zones);

            var cap = Encoding.UTF8.GetString(CapApi.Bytes(CapMessage.Build(cancel, [alert, cancel], context)));
            CapSchema.Valid(cap);
            var atom = Encoding.UTF8.GetString(CapApi.Bytes(AtomFeed.Build([cancel, alert], context, now)));
            using var reader = XmlReader.Create(new StringReader(atom), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            var feed = XDocument.Load(reader);
            foreach (var embedded in feed.Descendants(CapSchema.Ns + "alert")) CapSchema.Valid(embedded);
        }
    }
}
