using Whistle.Alerts;

namespace Whistle.Tests.Unit;

/// <summary>
/// The officer-identifying heuristic (Alerts/OfficerText.cs) in en, es, so and hmn. The non-English words are
/// machine-assisted and flagged for a native speaker's review (docs/decisions/0013-public-words-and-safe-text.md).
/// </summary>
public sealed class OfficerTextTests
{
    [Theory]
    // en
    [InlineData("en", "Lake St, officer Smith badge 4521", OfficerText.BadgeNumber)]
    [InlineData("en", "Lake St, officer Smith badge 4521", OfficerText.OfficerName)]
    [InlineData("en", "Agent Rodriguez at the Cub Foods", OfficerText.OfficerName)]
    [InlineData("en", "Sgt. O'Brien near 5th", OfficerText.OfficerName)]
    [InlineData("en", "Deputy J. Walker", OfficerText.OfficerName)]
    [InlineData("en", "a man named Johnson in a vest", OfficerText.OfficerName)]
    [InlineData("en", "badge #88213 by the school", OfficerText.BadgeNumber)]
    [InlineData("en", "grey SUV plate ABC 1234", OfficerText.LicencePlate)]
    [InlineData("en", "grey SUV licence plate: 7XYZ123", OfficerText.LicencePlate)]
    [InlineData("en", "white van KGT-552 on Lake", OfficerText.LicencePlate)]
    // es
    [InlineData("es", "el agente Ramírez en la esquina", OfficerText.OfficerName)]
    [InlineData("es", "oficial Gómez, placa 3312", OfficerText.OfficerName)]
    [InlineData("es", "oficial Gómez, placa 3312", OfficerText.BadgeNumber)]
    [InlineData("es", "camioneta con matrícula ABC123", OfficerText.LicencePlate)]
    [InlineData("es", "un hombre llamado Pérez", OfficerText.OfficerName)]
    [InlineData("es", "número de placa 55120", OfficerText.BadgeNumber)]
    // so
    [InlineData("so", "sarkaal Cabdi oo jooga suuqa", OfficerText.OfficerName)]
    [InlineData("so", "askari Xasan meel u dhow masjidka", OfficerText.OfficerName)]
    [InlineData("so", "taargo 4471", OfficerText.BadgeNumber)]
    [InlineData("so", "lambarka 90210", OfficerText.BadgeNumber)]
    [InlineData("so", "gaari cad, taarikada 4KD882", OfficerText.LicencePlate)]
    [InlineData("so", "nin magaciisu Faarax", OfficerText.OfficerName)]
    // hmn
    [InlineData("hmn", "tub ceev xwm Vang nyob ntawm lub khw", OfficerText.OfficerName)]
    [InlineData("hmn", "tub rog Lee ze tsev kawm ntawv", OfficerText.OfficerName)]
    [InlineData("hmn", "daim npav 7731", OfficerText.BadgeNumber)]
    [InlineData("hmn", "tsheb dawb phiaj tsheb MN 4TR 771", OfficerText.LicencePlate)]
    [InlineData("hmn", "ib tug txiv neej npe hu ua Xiong", OfficerText.OfficerName)]
    public void Flags_what_looks_like_it_identifies_an_officer(string lang, string text, string kind)
    {
        var findings = OfficerText.Check(text, lang);
        Assert.Contains(findings, f => f.Kind == kind);
        Assert.All(findings, f => Assert.Contains(f.Match, text));
    }

    [Theory]
    [InlineData("en", "Lake St & Bloomington Ave")]
    [InlineData("en", "ICE agents near the school on 24th")]
    [InlineData("en", "Agents at Cub Foods, Hwy 55 and Hiawatha")]
    [InlineData("en", "officers near HWY 169, exit 12")]
    [InlineData("en", "Midtown Phillips, 2800 block of Chicago Ave")]
    [InlineData("en", "Apt 204, Cedar-Riverside")]
    [InlineData("en", "agent ICE vehicles")]
    [InlineData("es", "agentes de ICE cerca de la escuela")]
    [InlineData("es", "Lake St y la avenida 14")]
    [InlineData("so", "saraakiil badan oo ku sugan suuqa Karmel")]
    [InlineData("so", "meel u dhow masjidka Abubakar As-Saddique")]
    [InlineData("hmn", "tub ceev xwm coob coob ze Hmongtown Marketplace")]
    [InlineData("hmn", "ze lub tsev kawm ntawv")]
    [InlineData("en", "")]
    public void Leaves_ordinary_places_alone(string lang, string text) =>
        Assert.Empty(OfficerText.Check(text, lang));

    [Fact]
    public void No_demo_neighbourhood_name_and_no_default_template_is_flagged()
    {
        // A dispatcher often types a neighbourhood's name; the templates are what every alert says.
        var zoneNames = Whistle.Network.DemoNetwork.Zones().Select(z => z.Name).ToList();
        Assert.Equal(87, zoneNames.Count);
        Assert.All(zoneNames, n => Assert.Empty(OfficerText.Check(n)));
        Assert.All(DefaultTemplates.All(), t => Assert.True(OfficerText.Check(t.Text, t.Language).Count == 0, $"{t.Language}/{t.Key}: {t.Text}"));
    }

    [Fact]
    public void Describe_names_each_finding_for_the_problem_and_the_record()
    {
        var findings = OfficerText.Check("officer Smith badge 4521");
        Assert.Equal("badge number: \"badge 4521\"; officer name: \"officer Smith\"", OfficerText.Describe(findings));
    }
}
