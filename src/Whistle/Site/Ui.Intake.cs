namespace Whistle.Site;

public static partial class Ui
{
    // Words for report intake (surge lane, sources, paging). Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    // {reports}, {sources}, {minutes}, {place} are filled in by the console's script.
    private static readonly Dictionary<string, Dictionary<string, string>> IntakeTexts = new()
    {
        ["en"] = new()
        {
            ["c.intake.sources"] = "{reports} reports from {sources} sources",
            ["c.intake.trusted"] = "Trusted reporter",
            ["c.intake.more"] = "Load more",
            ["c.intake.surge"] = "Surge: {reports} reports from {sources} sources in {minutes} min around {place}",
            ["c.intake.surge.network"] = "the whole network",
            ["c.intake.surge.hint"] = "Reports that came in past the intake budget are held here, not spread through the queue. Nothing is lost.",
            ["c.intake.surge.read"] = "Read the reports",
            ["c.intake.promote"] = "Make it a sighting",
            ["c.intake.promoted"] = "In the queue",
            ["c.intake.dismiss"] = "Dismiss the surge",
        },
        ["es"] = new()
        {
            ["c.intake.sources"] = "{reports} reportes de {sources} fuentes",
            ["c.intake.trusted"] = "Reportero de confianza",
            ["c.intake.more"] = "Cargar más",
            ["c.intake.surge"] = "Avalancha: {reports} reportes de {sources} fuentes en {minutes} min cerca de {place}",
            ["c.intake.surge.network"] = "toda la red",
            ["c.intake.surge.hint"] = "Los reportes que llegaron por encima del límite de entrada se guardan aquí, no se mezclan en la cola. No se pierde nada.",
            ["c.intake.surge.read"] = "Leer los reportes",
            ["c.intake.promote"] = "Convertir en avistamiento",
            ["c.intake.promoted"] = "En la cola",
            ["c.intake.dismiss"] = "Descartar la avalancha",
        },
        ["so"] = new()
        {
            ["c.intake.sources"] = "{reports} warbixinood oo ka yimid {sources} ilood",
            ["c.intake.trusted"] = "Wariye la isku halleyn karo",
            ["c.intake.more"] = "Soo rar kuwo kale",
            ["c.intake.surge"] = "Mowjad: {reports} warbixinood oo ka yimid {sources} ilood {minutes} daqiiqo gudahood agagaarka {place}",
            ["c.intake.surge.network"] = "shabakadda oo dhan",
            ["c.intake.surge.hint"] = "Warbixinnada yimid ka dib xadka qaadashada halkan ayaa lagu hayaa, kuma faafaan safka. Waxba ma lumaan.",
            ["c.intake.surge.read"] = "Akhri warbixinnada",
            ["c.intake.promote"] = "Ka dhig arag",
            ["c.intake.promoted"] = "Safka ayuu ku jiraa",
            ["c.intake.dismiss"] = "Iska dhaaf mowjadda",
        },
        ["hmn"] = new()
        {
            ["c.intake.sources"] = "{reports} daim ntawv qhia los ntawm {sources} qhov chaw",
            ["c.intake.trusted"] = "Tus neeg qhia uas ntseeg tau",
            ["c.intake.more"] = "Qhib ntxiv",
            ["c.intake.surge"] = "Nthwv dej: {reports} daim ntawv qhia los ntawm {sources} qhov chaw hauv {minutes} feeb ze {place}",
            ["c.intake.surge.network"] = "tag nrho lub network",
            ["c.intake.surge.hint"] = "Cov ntawv qhia uas tuaj dhau qhov txwv raug muab khaws rau ntawm no, tsis muab tso sib xyaw rau hauv kab. Tsis muaj dab tsi ploj.",
            ["c.intake.surge.read"] = "Nyeem cov ntawv qhia",
            ["c.intake.promote"] = "Muab ua ib qho pom",
            ["c.intake.promoted"] = "Nyob hauv kab lawm",
            ["c.intake.dismiss"] = "Tso tseg qhov nthwv dej",
        },
    };
}
