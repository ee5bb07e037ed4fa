namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> Submit15Texts = new()
    {
        ["en"] = new()
        {
            ["problem.submit.language"] = "One of en, es, so, hmn.",
            ["problem.submit.observedAt"] = "A time in the past year, not in the future.",
            ["problem.submit.consent"] = "Choose who may see it: lawyersOnly, publishBlurred or publish.",
            ["problem.submit.contact"] = "A phone number such as 612-555-0142, or an e-mail address such as name@example.org.",
            ["problem.submit.noFiles"] = "Add at least one photo, video or audio recording.",
            ["problem.submit.tooManyFiles"] = "At most {max} files in one submission.",
            ["problem.submit.type"] = "Only photos, videos and audio recordings can be sent.",
            ["problem.submit.size"] = "A file of at most {mb} MB.",
            ["problem.submit.sha256"] = "The file's SHA-256: 64 hexadecimal characters.",
            ["problem.submit.budget"] = "The network is receiving many submissions. Please keep your recording and try again in a little while.",
            ["problem.submit.noSpace"] = "Not enough space",
            ["problem.submit.noSpaceDetail"] = "The network cannot take new files right now: its storage is nearly full. Please keep your recording and try again later.",
            ["problem.submit.alert"] = "That alert is not active any more. Send your recording without it.",
            ["problem.submit.sighting"] = "That sighting link is not one the network shared. Send your recording without it.",
            ["problem.submit.notFound"] = "No submission was found.",
        },
        ["es"] = new()
        {
            ["problem.submit.language"] = "Uno de en, es, so, hmn.",
            ["problem.submit.observedAt"] = "Una hora del último año, no del futuro.",
            ["problem.submit.consent"] = "Elija quién puede verlo: lawyersOnly, publishBlurred o publish.",
            ["problem.submit.contact"] = "Un número de teléfono como 612-555-0142, o un correo electrónico como nombre@ejemplo.org.",
            ["problem.submit.noFiles"] = "Agregue al menos una foto, un video o una grabación de audio.",
            ["problem.submit.tooManyFiles"] = "Como máximo {max} archivos en un envío.",
            ["problem.submit.type"] = "Solo se pueden enviar fotos, videos y grabaciones de audio.",
            ["problem.submit.size"] = "Un archivo de como máximo {mb} MB.",
            ["problem.submit.sha256"] = "El SHA-256 del archivo: 64 caracteres hexadecimales.",
            ["problem.submit.budget"] = "La red está recibiendo muchos envíos. Guarde su grabación e inténtelo de nuevo en un rato.",
            ["problem.submit.noSpace"] = "No hay espacio suficiente",
            ["problem.submit.noSpaceDetail"] = "La red no puede recibir archivos nuevos ahora: su almacenamiento está casi lleno. Guarde su grabación e inténtelo más tarde.",
            ["problem.submit.alert"] = "Esa alerta ya no está activa. Envíe su grabación sin ella.",
            ["problem.submit.sighting"] = "Ese enlace de avistamiento no es uno que la red haya compartido. Envíe su grabación sin él.",
            ["problem.submit.notFound"] = "No se encontró ningún envío.",
        },
        ["so"] = new()
        {
            ["problem.submit.language"] = "Mid ka mid ah en, es, so, hmn.",
            ["problem.submit.observedAt"] = "Waqti sanadkii la soo dhaafay ah, oo aan mustaqbalka ahayn.",
            ["problem.submit.consent"] = "Dooro cidda arki karta: lawyersOnly, publishBlurred ama publish.",
            ["problem.submit.contact"] = "Lambar taleefan sida 612-555-0142, ama cinwaan iimayl sida magac@tusaale.org.",
            ["problem.submit.noFiles"] = "Ku dar ugu yaraan hal sawir, muuqaal ama cod la duubay.",
            ["problem.submit.tooManyFiles"] = "Ugu badnaan {max} fayl hal dirid.",
            ["problem.submit.type"] = "Sawirro, muuqaallo iyo codad la duubay oo keliya ayaa la diri karaa.",
            ["problem.submit.size"] = "Fayl aan ka badnayn {mb} MB.",
            ["problem.submit.sha256"] = "SHA-256 ee faylka: 64 xaraf oo hexadecimal ah.",
            ["problem.submit.budget"] = "Shabakaddu waxay helaysaa diris badan. Fadlan hay duubistaada oo mar kale isku day wax yar kadib.",
            ["problem.submit.noSpace"] = "Meel kuma filna",
            ["problem.submit.noSpaceDetail"] = "Shabakaddu hadda ma qaadan karto fayl cusub: kaydkeedu wuxuu ku dhow yahay inuu buuxsamo. Fadlan hay duubistaada oo mar dambe isku day.",
            ["problem.submit.alert"] = "Digniintaasi hadda firfircoon ma aha. Dir duubistaada adigoon ku xirin.",
            ["problem.submit.sighting"] = "Xiriirkaas arag ma aha mid shabakaddu wadaagtay. Dir duubistaada adigoon ku xirin.",
            ["problem.submit.notFound"] = "Wax dirid ah lama helin.",
        },
        ["hmn"] = new()
        {
            ["problem.submit.language"] = "Ib hom ntawm en, es, so, hmn.",
            ["problem.submit.observedAt"] = "Ib lub sijhawm hauv ib xyoos dhau los, tsis yog yav tom ntej.",
            ["problem.submit.consent"] = "Xaiv leej twg thiaj pom tau: lawyersOnly, publishBlurred los sis publish.",
            ["problem.submit.contact"] = "Ib tus xov tooj xws li 612-555-0142, los sis ib qho email xws li npe@piv-txwv.org.",
            ["problem.submit.noFiles"] = "Ntxiv tsawg kawg ib daim duab, ib zaj video los sis ib zaj suab kaw.",
            ["problem.submit.tooManyFiles"] = "Ntau tshaj {max} cov ntaub ntawv hauv ib zaug xa.",
            ["problem.submit.type"] = "Tsuas xa tau duab, video thiab suab kaw xwb.",
            ["problem.submit.size"] = "Ib cov ntaub ntawv uas tsis loj tshaj {mb} MB.",
            ["problem.submit.sha256"] = "Cov ntaub ntawv SHA-256: 64 tus ntawv hexadecimal.",
            ["problem.submit.budget"] = "Lub network tab tom txais ntau yam xa tuaj. Thov khaws koj cov kaw thiab rov sim dua tom qab me ntsis.",
            ["problem.submit.noSpace"] = "Tsis muaj chaw txaus",
            ["problem.submit.noSpaceDetail"] = "Lub network txais tsis tau cov ntaub ntawv tshiab tam sim no: nws qhov chaw khaws yuav luag puv lawm. Thov khaws koj cov kaw thiab rov sim dua tom qab.",
            ["problem.submit.alert"] = "Qhov ceeb toom ntawd tsis ua haujlwm lawm. Xa koj cov kaw yam tsis muaj nws.",
            ["problem.submit.sighting"] = "Qhov txuas pom ntawd tsis yog ib qho uas lub network tau qhia. Xa koj cov kaw yam tsis muaj nws.",
            ["problem.submit.notFound"] = "Nrhiav tsis tau ib qho xa tuaj.",
        },
    };
}
