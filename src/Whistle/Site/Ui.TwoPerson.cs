namespace Whistle.Site;

public static partial class Ui
{
    // Words for the two-person rule (issue 12 §2). Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> TwoPersonTexts = new()
    {
        ["en"] = new()
        {
            ["c.approval.waiting"] = "Waiting for a second dispatcher's approval. Nothing has been sent yet.",
            ["c.approval.ask"] = "This alert waits for a second dispatcher. Check what it says and who it reaches, then approve or reject it.",
            ["c.approval.approve"] = "Review and approve…",
            ["c.approval.reject"] = "Reject",
            ["c.approval.reason"] = "Why it should not go out",
            ["c.approval.rejected"] = "Rejected: this alert was not sent.",
            ["c.approval.by"] = "Written by",
            ["c.twoperson.title"] = "Two-person rule",
            ["c.twoperson.intro"] = "An alert to more people than this waits until a second dispatcher approves it. Drills to the test audience are exempt.",
            ["c.twoperson.enabled"] = "Require a second dispatcher's approval",
            ["c.twoperson.above"] = "Above how many recipients",
            ["c.twoperson.save"] = "Apply the rule",
            ["c.twoperson.saved"] = "Saved.",
        },
        ["es"] = new()
        {
            ["c.approval.waiting"] = "Esperando la aprobación de un segundo despachador. Todavía no se ha enviado nada.",
            ["c.approval.ask"] = "Esta alerta espera a un segundo despachador. Revise lo que dice y a quién llega, y luego apruébela o recházela.",
            ["c.approval.approve"] = "Revisar y aprobar…",
            ["c.approval.reject"] = "Rechazar",
            ["c.approval.reason"] = "Por qué no debe enviarse",
            ["c.approval.rejected"] = "Rechazada: esta alerta no se envió.",
            ["c.approval.by"] = "Escrita por",
            ["c.twoperson.title"] = "Regla de dos personas",
            ["c.twoperson.intro"] = "Una alerta a más personas que esto espera hasta que un segundo despachador la apruebe. Los simulacros al público de prueba están exentos.",
            ["c.twoperson.enabled"] = "Exigir la aprobación de un segundo despachador",
            ["c.twoperson.above"] = "A partir de cuántos destinatarios",
            ["c.twoperson.save"] = "Aplicar la regla",
            ["c.twoperson.saved"] = "Guardado.",
        },
        ["so"] = new()
        {
            ["c.approval.waiting"] = "Waxaa la sugayaa oggolaanshaha dir-bixiye labaad. Weli waxba lama dirin.",
            ["c.approval.ask"] = "Digniintan waxay sugaysaa dir-bixiye labaad. Hubi waxa ay leedahay iyo cidda ay gaarayso, kadibna oggolow ama diid.",
            ["c.approval.approve"] = "Dib u eeg oo oggolow…",
            ["c.approval.reject"] = "Diid",
            ["c.approval.reason"] = "Sababta aysan u bixin",
            ["c.approval.rejected"] = "Waa la diiday: digniintan lama dirin.",
            ["c.approval.by"] = "Waxaa qoray",
            ["c.twoperson.title"] = "Xeerka laba qof",
            ["c.twoperson.intro"] = "Digniin loo dirayo dad ka badan tiradan waxay sugaysaa ilaa dir-bixiye labaad oggolaado. Tababarrada dhagaystayaasha tijaabada waa laga reebay.",
            ["c.twoperson.enabled"] = "U baahan oggolaanshaha dir-bixiye labaad",
            ["c.twoperson.above"] = "Wixii ka badan immisa qaataha",
            ["c.twoperson.save"] = "Dabaq xeerka",
            ["c.twoperson.saved"] = "Waa la kaydiyay.",
        },
        ["hmn"] = new()
        {
            ["c.approval.waiting"] = "Tab tom tos tus xa thib ob pom zoo. Tseem tsis tau xa dab tsi.",
            ["c.approval.ask"] = "Daim ntawv ceeb toom no tos tus tus xa thib ob. Saib seb nws hais li cas thiab mus txog leej twg, ces pom zoo los yog tsis lees.",
            ["c.approval.approve"] = "Saib thiab pom zoo…",
            ["c.approval.reject"] = "Tsis lees",
            ["c.approval.reason"] = "Vim li cas nws tsis txhob xa",
            ["c.approval.rejected"] = "Tsis lees: daim ntawv ceeb toom no tsis tau xa.",
            ["c.approval.by"] = "Sau los ntawm",
            ["c.twoperson.title"] = "Txoj cai ob tug neeg",
            ["c.twoperson.intro"] = "Daim ntawv ceeb toom mus rau neeg coob tshaj no yuav tos kom tus xa thib ob pom zoo. Kev xyaum rau cov neeg sim tsis suav.",
            ["c.twoperson.enabled"] = "Yuav tsum muaj tus xa thib ob pom zoo",
            ["c.twoperson.above"] = "Tshaj pes tsawg tus neeg txais",
            ["c.twoperson.save"] = "Siv txoj cai",
            ["c.twoperson.saved"] = "Khaws tseg lawm.",
        },
    };
}
