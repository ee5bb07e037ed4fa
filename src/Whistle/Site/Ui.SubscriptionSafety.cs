namespace Whistle.Site;

public static partial class Ui
{
    // Words for subscription safety (unsubscribe proof, code limits). Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> SubscriptionSafetyTexts = new()
    {
        ["en"] = new()
        {
            ["unsub.codeText"] = "If this address gets alerts, we sent it a 6-digit code. Type it here to stop them. Nothing changes until you do.",
            ["unsub.stopped"] = "This address will get no more alerts.",
            ["unsub.tooMany"] = "Too many codes were asked for this address today. Try again tomorrow, or reply STOP to a text from us.",
            ["c.codeLimits.title"] = "Codes sent to sign up and unsubscribe",
            ["c.codeLimits.line"] = "{channel}: {sent} of {cap} this hour",
            ["c.codeLimits.refused"] = "limit reached: {refused} requests refused in the last 24 hours",
        },
        ["es"] = new()
        {
            ["unsub.codeText"] = "Si esta dirección recibe alertas, le enviamos un código de 6 dígitos. Escríbalo aquí para detenerlas. Nada cambia hasta que lo haga.",
            ["unsub.stopped"] = "Esta dirección ya no recibirá alertas.",
            ["unsub.tooMany"] = "Se pidieron demasiados códigos para esta dirección hoy. Inténtelo mañana, o responda STOP a un mensaje nuestro.",
            ["c.codeLimits.title"] = "Códigos enviados para suscribirse y darse de baja",
            ["c.codeLimits.line"] = "{channel}: {sent} de {cap} esta hora",
            ["c.codeLimits.refused"] = "límite alcanzado: {refused} solicitudes rechazadas en las últimas 24 horas",
        },
        ["so"] = new()
        {
            ["unsub.codeText"] = "Haddii cinwaankan uu helo digniino, waxaan u dirnay kood 6 lambar ah. Halkan ku qor si aad u joojiso. Waxba isma beddelaan ilaa aad sidaas samayso.",
            ["unsub.stopped"] = "Cinwaankan ma heli doono digniino dambe.",
            ["unsub.tooMany"] = "Koodh aad u badan ayaa maanta loo codsaday cinwaankan. Isku day berri, ama ku jawaab STOP fariin naga timid.",
            ["c.codeLimits.title"] = "Koodhadhka loo diray is-diiwaangelinta iyo ka-bixitaanka",
            ["c.codeLimits.line"] = "{channel}: {sent} ka mid ah {cap} saacaddan",
            ["c.codeLimits.refused"] = "xadka waa la gaaray: {refused} codsi ayaa la diiday 24-kii saacadood ee la soo dhaafay",
        },
        ["hmn"] = new()
        {
            ["unsub.codeText"] = "Yog qhov chaw nyob no txais cov lus ceeb toom, peb tau xa ib tus lej 6 tus rau nws. Ntaus nws ntawm no kom tso tseg. Tsis muaj dab tsi hloov kom txog thaum koj ua.",
            ["unsub.stopped"] = "Qhov chaw nyob no yuav tsis txais lus ceeb toom ntxiv lawm.",
            ["unsub.tooMany"] = "Hnub no tau thov tus lej ntau dhau rau qhov chaw nyob no. Sim dua tag kis, los sis teb STOP rau ib tsab ntawv los ntawm peb.",
            ["c.codeLimits.title"] = "Cov lej xa mus rau kev sau npe thiab tso tseg",
            ["c.codeLimits.line"] = "{channel}: {sent} ntawm {cap} teev no",
            ["c.codeLimits.refused"] = "txog qhov txwv lawm: {refused} qhov kev thov raug tsis kam hauv 24 teev dhau los",
        },
    };
}
