namespace Whistle.Site;

public static partial class Ui
{
    // The partners page: which partner is slow (issue 14 §3) and which may reach private addresses (§4).
    private static readonly Dictionary<string, Dictionary<string, string>> FedPollTexts = new()
    {
        ["en"] = new()
        {
            ["c.partners.lastPoll"] = "Last poll",
            ["c.partners.pollingSince"] = "Polling since",
            ["c.partners.took"] = "took {seconds} s",
            ["c.partners.budgetRanOut"] = "budget ran out: the rest waits for the next poll",
            ["c.partners.budgetRuns"] = "Budget ran out",
            ["c.partners.timeouts"] = "Timeouts",
            ["c.partners.privateNetwork"] = "may reach private addresses",
        },
        ["es"] = new()
        {
            ["c.partners.lastPoll"] = "Última consulta",
            ["c.partners.pollingSince"] = "Consultando desde",
            ["c.partners.took"] = "tardó {seconds} s",
            ["c.partners.budgetRanOut"] = "se agotó el límite: el resto espera a la próxima consulta",
            ["c.partners.budgetRuns"] = "Límite agotado",
            ["c.partners.timeouts"] = "Tiempos agotados",
            ["c.partners.privateNetwork"] = "puede llegar a direcciones privadas",
        },
        ["so"] = new()
        {
            ["c.partners.lastPoll"] = "Hubintii ugu dambeysay",
            ["c.partners.pollingSince"] = "Hubinaya tan iyo",
            ["c.partners.took"] = "waxay qaadatay {seconds} ilbiriqsi",
            ["c.partners.budgetRanOut"] = "xadkii waa dhammaaday: inta kale waxay sugaysaa hubinta xigta",
            ["c.partners.budgetRuns"] = "Xadkii waa dhammaaday",
            ["c.partners.timeouts"] = "Waqtigii oo dhammaaday",
            ["c.partners.privateNetwork"] = "waxay gaari kartaa cinwaanno gaar ah",
        },
        ["hmn"] = new()
        {
            ["c.partners.lastPoll"] = "Zaum kawg kuaj",
            ["c.partners.pollingSince"] = "Tab tom kuaj txij thaum",
            ["c.partners.took"] = "siv {seconds} vib nas this",
            ["c.partners.budgetRanOut"] = "siv tag lub sij hawm txwv: qhov seem tos zaum kuaj tom ntej",
            ["c.partners.budgetRuns"] = "Siv tag lub sij hawm txwv",
            ["c.partners.timeouts"] = "Tos ntev dhau",
            ["c.partners.privateNetwork"] = "mus txog tau cov chaw nyob ntiag tug",
        },
    };
}
