namespace Whistle.Site;

public static partial class Ui
{
    // Words for sending alerts deliberately, once: the send dialog's summary, the typed confirmation, the follow-up
    // confirmations. Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> SendingTexts = new()
    {
        ["en"] = new()
        {
            ["c.send.area"] = "Area",
            ["c.send.circle"] = "{radius} m around {lat}, {lon}",
            ["c.send.zones"] = "Neighbourhoods: {zones}",
            ["c.send.language"] = "Language",
            ["c.send.typed"] = "This alert goes to {n} people. To send it, type {n}:",
            ["c.send.typed.label"] = "Recipient count",
            ["c.send.active"] = "This sighting already has an active alert. Use “Send update” to change it.",
            ["c.send.closed"] = "This sighting is closed; no alert can be sent for it.",
            ["c.followup.title"] = "Send to the people who got the alert?",
            ["c.followup.allclear"] = "Send an all clear to {n} people?",
            ["c.followup.falsealarm"] = "Send a retraction (false alarm) to {n} people?",
            ["c.followup.update"] = "Send an update to {n} people?",
            ["c.followup.yes"] = "Send",
            ["c.followup.no"] = "Cancel",
        },
        ["es"] = new()
        {
            ["c.send.area"] = "Zona",
            ["c.send.circle"] = "{radius} m alrededor de {lat}, {lon}",
            ["c.send.zones"] = "Barrios: {zones}",
            ["c.send.language"] = "Idioma",
            ["c.send.typed"] = "Esta alerta llega a {n} personas. Para enviarla, escriba {n}:",
            ["c.send.typed.label"] = "Número de destinatarios",
            ["c.send.active"] = "Este avistamiento ya tiene una alerta activa. Use “Enviar actualización” para cambiarla.",
            ["c.send.closed"] = "Este avistamiento está cerrado; no se puede enviar ninguna alerta.",
            ["c.followup.title"] = "¿Enviar a las personas que recibieron la alerta?",
            ["c.followup.allclear"] = "¿Enviar un aviso de fin de peligro a {n} personas?",
            ["c.followup.falsealarm"] = "¿Enviar una retractación (falsa alarma) a {n} personas?",
            ["c.followup.update"] = "¿Enviar una actualización a {n} personas?",
            ["c.followup.yes"] = "Enviar",
            ["c.followup.no"] = "Cancelar",
        },
        ["so"] = new()
        {
            ["c.send.area"] = "Aagga",
            ["c.send.circle"] = "{radius} m agagaarka {lat}, {lon}",
            ["c.send.zones"] = "Xaafadaha: {zones}",
            ["c.send.language"] = "Luqadda",
            ["c.send.typed"] = "Digniintan waxay gaadhaysaa {n} qof. Si aad u dirto, qor {n}:",
            ["c.send.typed.label"] = "Tirada qaatayaasha",
            ["c.send.active"] = "Goobtan horeba waxay leedahay digniin firfircoon. Isticmaal “Dir cusboonaysiin” si aad u beddesho.",
            ["c.send.closed"] = "Goobtan waa la xidhay; digniin looma diri karo.",
            ["c.followup.title"] = "U dir dadkii helay digniinta?",
            ["c.followup.allclear"] = "U dir {n} qof ogeysiis ah in khatartu dhammaatay?",
            ["c.followup.falsealarm"] = "U dir {n} qof dib-u-celin (digniin been ah)?",
            ["c.followup.update"] = "U dir {n} qof cusboonaysiin?",
            ["c.followup.yes"] = "Dir",
            ["c.followup.no"] = "Jooji",
        },
        ["hmn"] = new()
        {
            ["c.send.area"] = "Thaj chaw",
            ["c.send.circle"] = "{radius} m ncig {lat}, {lon}",
            ["c.send.zones"] = "Cov zej zog: {zones}",
            ["c.send.language"] = "Lus",
            ["c.send.typed"] = "Daim ntawv ceeb toom no mus rau {n} tus neeg. Yuav xa, ntaus {n}:",
            ["c.send.typed.label"] = "Tus naj npawb neeg txais",
            ["c.send.active"] = "Qhov pom no twb muaj ib daim ntawv ceeb toom ua haujlwm lawm. Siv “Xa qhov hloov tshiab” los hloov nws.",
            ["c.send.closed"] = "Qhov pom no kaw lawm; xa tsis tau daim ntawv ceeb toom.",
            ["c.followup.title"] = "Xa rau cov neeg uas tau txais daim ntawv ceeb toom?",
            ["c.followup.allclear"] = "Xa xov tias dim txhua yam lawm rau {n} tus neeg?",
            ["c.followup.falsealarm"] = "Xa xov rho rov qab (ceeb toom cuav) rau {n} tus neeg?",
            ["c.followup.update"] = "Xa qhov hloov tshiab rau {n} tus neeg?",
            ["c.followup.yes"] = "Xa",
            ["c.followup.no"] = "Tso tseg",
        },
    };
}
