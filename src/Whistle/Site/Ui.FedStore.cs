namespace Whistle.Site;

// Issue 14 §2: a dispatcher hides a partner's message from the public, with a reason (console partners page).
public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> FedStoreTexts = new()
    {
        ["en"] = new()
        {
            ["c.partners.hide"] = "Hide from the public",
            ["c.partners.hideReason"] = "Why hide it? (seen by dispatchers only)",
            ["c.partners.hideNow"] = "Hide now",
            ["c.partners.hiddenBy"] = "Hidden from the public by",
            ["c.partners.unhide"] = "Show again",
        },
        ["es"] = new()
        {
            ["c.partners.hide"] = "Ocultar al público",
            ["c.partners.hideReason"] = "¿Por qué ocultarlo? (solo lo ven los despachadores)",
            ["c.partners.hideNow"] = "Ocultar ahora",
            ["c.partners.hiddenBy"] = "Ocultado al público por",
            ["c.partners.unhide"] = "Mostrar de nuevo",
        },
        ["so"] = new()
        {
            ["c.partners.hide"] = "Ka qari dadweynaha",
            ["c.partners.hideReason"] = "Maxaad u qarinaysaa? (dirayaasha oo keliya ayaa arka)",
            ["c.partners.hideNow"] = "Hadda qari",
            ["c.partners.hiddenBy"] = "Dadweynaha waxaa ka qariyay",
            ["c.partners.unhide"] = "Mar kale muuji",
        },
        ["hmn"] = new()
        {
            ["c.partners.hide"] = "Muab zais ntawm pej xeem",
            ["c.partners.hideReason"] = "Vim li cas thiaj zais? (tsuas yog cov neeg xa xov thiaj pom)",
            ["c.partners.hideNow"] = "Zais tam sim no",
            ["c.partners.hiddenBy"] = "Muab zais ntawm pej xeem los ntawm",
            ["c.partners.unhide"] = "Qhia dua",
        },
    };
}
