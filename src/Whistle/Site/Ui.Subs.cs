namespace Whistle.Site;

// Issue 13 (subs): the retention page's fixed period for sign-ups never confirmed, and recording a witness statement as audio.
public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> SubsTexts = new()
    {
        ["en"] = new()
        {
            ["c.retention.unconfirmed"] = "Sign-ups whose code never came back are deleted after {hours} hours (setting Whistle:Subscriptions:UnconfirmedHours).",
            ["c.retention.circles"] = "Subscribers' circles (a point and a radius) are stored only encrypted; zones are stored as they are.",
            ["c.audio.record"] = "Record audio",
            ["c.audio.stop"] = "Stop recording",
            ["c.audio.recording"] = "Recording…",
            ["c.audio.recorded"] = "Recorded: {seconds} s. It is uploaded as evidence when the statement is saved.",
            ["c.audio.discard"] = "Discard recording",
            ["c.audio.file"] = "Or choose an audio file",
            ["c.audio.denied"] = "The microphone could not be used. Choose an audio file instead.",
            ["c.audio.uploading"] = "Uploading the recording…",
            ["c.audio.label"] = "Audio of the statement",
            ["c.audio.failed"] = "The recording could not be uploaded; the statement was not saved. Try again.",
        },
        ["es"] = new()
        {
            ["c.retention.unconfirmed"] = "Las suscripciones cuyo código nunca se confirmó se borran después de {hours} horas (ajuste Whistle:Subscriptions:UnconfirmedHours).",
            ["c.retention.circles"] = "Los círculos de los suscriptores (un punto y un radio) se guardan solo cifrados; las zonas se guardan tal cual.",
            ["c.audio.record"] = "Grabar audio",
            ["c.audio.stop"] = "Detener la grabación",
            ["c.audio.recording"] = "Grabando…",
            ["c.audio.recorded"] = "Grabado: {seconds} s. Se sube como evidencia al guardar la declaración.",
            ["c.audio.discard"] = "Descartar la grabación",
            ["c.audio.file"] = "O elija un archivo de audio",
            ["c.audio.denied"] = "No se pudo usar el micrófono. Elija un archivo de audio.",
            ["c.audio.uploading"] = "Subiendo la grabación…",
            ["c.audio.label"] = "Audio de la declaración",
            ["c.audio.failed"] = "No se pudo subir la grabación; la declaración no se guardó. Inténtelo de nuevo.",
        },
        ["so"] = new()
        {
            ["c.retention.unconfirmed"] = "Is-diiwaangelinta aan koodhkeeda la xaqiijin waxaa la tirtiraa {hours} saacadood kadib (dejinta Whistle:Subscriptions:UnconfirmedHours).",
            ["c.retention.circles"] = "Goobaha wareegga ah ee macaamiisha (bar iyo gacan) waxaa lagu kaydiyaa oo keliya iyagoo sir ah; aagagga sidooda ayaa loo kaydiyaa.",
            ["c.audio.record"] = "Duub cod",
            ["c.audio.stop"] = "Jooji duubista",
            ["c.audio.recording"] = "Waa la duubayaa…",
            ["c.audio.recorded"] = "La duubay: {seconds} il. Waxaa loo soo geliyaa caddayn marka warbixinta la kaydiyo.",
            ["c.audio.discard"] = "Tuur duubista",
            ["c.audio.file"] = "Ama dooro fayl cod ah",
            ["c.audio.denied"] = "Makarafoonka lama isticmaali karin. Dooro fayl cod ah.",
            ["c.audio.uploading"] = "Duubista waa la soo gelinayaa…",
            ["c.audio.label"] = "Codka warbixinta",
            ["c.audio.failed"] = "Duubista lama soo gelin karin; warbixinta lama kaydin. Isku day mar kale.",
        },
        ["hmn"] = new()
        {
            ["c.retention.unconfirmed"] = "Cov kev sau npe uas tsis tau xa tus lej rov qab los raug muab rho tawm tom qab {hours} teev (qhov chaw teeb Whistle:Subscriptions:UnconfirmedHours).",
            ["c.retention.circles"] = "Cov voj voog ntawm cov neeg sau npe (ib qho chaw thiab ib lub vojvoog) tsuas khaws cia ua lus zais xwb; cov cheeb tsam khaws cia li qub.",
            ["c.audio.record"] = "Kaw suab",
            ["c.audio.stop"] = "Nres kev kaw suab",
            ["c.audio.recording"] = "Tab tom kaw suab…",
            ["c.audio.recorded"] = "Kaw tau: {seconds} vib nas this. Nws yuav raug xa mus ua pov thawj thaum khaws cov lus tim khawv.",
            ["c.audio.discard"] = "Muab lub suab kaw pov tseg",
            ["c.audio.file"] = "Los yog xaiv ib daim ntawv suab",
            ["c.audio.denied"] = "Siv tsis tau lub mic. Xaiv ib daim ntawv suab hloov.",
            ["c.audio.uploading"] = "Tab tom xa lub suab kaw…",
            ["c.audio.label"] = "Lub suab ntawm cov lus tim khawv",
            ["c.audio.failed"] = "Xa tsis tau lub suab kaw; cov lus tim khawv tsis tau khaws cia. Sim dua.",
        },
    };
}
