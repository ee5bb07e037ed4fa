using System.Globalization;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// One piece of text a network sends, in one language. A template that no native speaker has
/// approved carries <see cref="NeedsReview"/> until an admin who is one approves it.
/// </summary>
public class Template
{
    public int Id { get; set; }
    public string Language { get; set; } = "";
    public string Key { get; set; } = "";
    public string Text { get; set; } = "";
    public bool NeedsReview { get; set; }
    public string? ReviewedBy { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
}

public static class Languages
{
    public static readonly string[] All = ["en", "es", "so", "hmn"];
    public static bool IsKnown(string? code) => code is not null && All.Contains(code);
}

/// <summary>A language's templates, keyed; renders alert texts with their placeholders filled.</summary>
public sealed class TemplateSet(IReadOnlyDictionary<(string Language, string Key), string> texts)
{
    public static TemplateSet From(IEnumerable<Template> templates) =>
        new(templates.ToDictionary(t => (t.Language, t.Key), t => t.Text));

    public string Get(string language, string key) =>
        texts.TryGetValue((language, key), out var t) ? t
        : texts.TryGetValue(("en", key), out var en) ? en
        : throw new KeyNotFoundException($"No template '{key}' in any language.");

    /// <summary>The text, else the built-in default (a key added after the network's templates were seeded).</summary>
    public string GetOrDefault(string language, string key) =>
        texts.TryGetValue((language, key), out var t) ? t
        : DefaultTemplates.Text(language, key) ?? Get(language, key);

    public static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        values.Aggregate(template, (text, kv) => text.Replace("{" + kv.Key + "}", kv.Value, StringComparison.Ordinal)).Trim();

    /// <summary>The message for each language: alert, update or cancel, with the VERIFIED or DRILL marker.</summary>
    public Dictionary<string, string> Render(Alert alert, DateTimeOffset observedAt, TimeZoneInfo zone)
    {
        var result = new Dictionary<string, string>();
        foreach (var lang in Languages.All)
        {
            string key = alert.Kind switch
            {
                AlertKind.Alert => "alert",
                AlertKind.Update => "update",
                _ => alert.CancelReason == CancelReason.FalseAlarm ? "cancel.false_alarm" : "cancel.all_clear",
            };
            var values = new Dictionary<string, string>
            {
                ["marker"] = Get(lang, alert.Drill ? "marker.drill" : "marker.verified"),
                ["activity"] = Get(lang, "activity." + Names.Of(alert.Activity)),
                // An alert with no place words (outside every zone, none typed) says "the alert area" in each language.
                ["place"] = alert.Place.Length > 0 ? alert.Place : GetOrDefault(lang, "place.area"),
                ["time"] = LocalTime(observedAt, zone, lang),
                ["expires"] = LocalTime(alert.ExpiresAt, zone, lang),
                ["advice"] = Get(lang, "advice"),
            };
            var text = Fill(Get(lang, key), values);
            // A drill is labelled as such in every message, whatever the template says.
            if (alert.Drill && !text.Contains(values["marker"], StringComparison.Ordinal))
                text = values["marker"] + ": " + text;
            result[lang] = text;
        }
        return result;
    }

    /// <summary>A time in a message: the network's zone, the reader's language, named ("8:55 AM CST") — issue 12 §4.</summary>
    public static string LocalTime(DateTimeOffset t, TimeZoneInfo zone, string lang) => Network.Clock.TimeOfDay(t, zone, lang);
}

/// <summary>The templates every new network starts with. Only English is reviewed; the rest await a native speaker.</summary>
public static class DefaultTemplates
{
    public static IEnumerable<Template> All() =>
        Texts.SelectMany(lang => lang.Value.Select(kv => new Template
        {
            Language = lang.Key,
            Key = kv.Key,
            Text = kv.Value,
            NeedsReview = lang.Key != "en",
        }));

    public static string? Text(string language, string key) =>
        Texts.GetValueOrDefault(language)?.GetValueOrDefault(key) ?? Texts["en"].GetValueOrDefault(key);

    private static readonly Dictionary<string, Dictionary<string, string>> Texts = new()
    {
        ["en"] = new()
        {
            ["marker.verified"] = "VERIFIED",
            ["marker.drill"] = "DRILL - TEST ONLY",
            ["alert"] = "{marker}: {activity} near {place}, {time}. {advice} Until {expires}.",
            ["update"] = "{marker} UPDATE: {activity} near {place}, {time}. {advice}",
            ["cancel.all_clear"] = "ALL CLEAR: the alert about {activity} near {place} ({time}) has ended.",
            ["cancel.false_alarm"] = "FALSE ALARM: the alert about {activity} near {place} ({time}) was wrong. Please disregard it.",
            ["place.area"] = "the alert area",
            ["advice"] = "Know your rights: do not open the door, stay silent, sign nothing.",
            ["activity.home_raid"] = "home raid",
            ["activity.workplace_raid"] = "workplace raid",
            ["activity.checkpoint"] = "checkpoint",
            ["activity.arrest"] = "arrest",
            ["activity.patrol"] = "agent vehicles/patrol",
            ["activity.other"] = "agent activity",
            ["confirm.code"] = "Whistle: your code is {code}. Enter it to receive verified alerts. If you did not ask for this, ignore it.",
            ["unsubscribed"] = "Whistle: you will not receive alerts any more.",
            ["unsubscribe.code"] = "Whistle: your code to stop alerts is {code}. Enter it on the unsubscribe page. If you did not ask for this, ignore it: nothing changes.",
            ["dispatch"] = "Whistle: please verify: {activity} near {place}, reported {time}. Open {link} to accept, then confirm or deny. Observe only; do not interfere.",
            ["sms.help"] = "{network}: community alerts about immigration enforcement. Text what you see and where to report it. JOIN + neighborhood for alerts. STOP to end. Msg & data rates may apply.",
            ["sms.join.code"] = "{network}: reply {code} to confirm verified alerts for {zone}. Msg & data rates may apply. Reply STOP to end, HELP for help.",
            ["sms.join.ambiguous"] = "Which neighborhood? Reply JOIN and one of: {candidates}",
            ["sms.join.unknown"] = "We could not find that neighborhood. Reply JOIN and its name, e.g. JOIN {example}. All names: {link}",
            ["sms.join.missing"] = "To get alerts, reply JOIN and your neighborhood, e.g. JOIN {example}.",
            ["sms.confirmed"] = "{network}: you will get verified alerts for {zones}. Reply STOP to end, HELP for help. Msg & data rates may apply.",
            ["sms.code.wrong"] = "That code is wrong or has expired. Reply JOIN and your neighborhood for a new one.",
            ["sms.resumed"] = "{network}: alerts resumed for {zones}. Reply STOP to end.",
            ["sms.stopped"] = "{network}: you are unsubscribed and will get no more messages. Reply START to resume.",
            ["sms.language"] = "{network}: we will write to you in English.",
            ["sms.report.thanks"] = "Thank you, your report reached our volunteers.",
            ["sms.ask.where"] = "Where is it? Street and cross street, or neighborhood.",
            ["sms.ask.what"] = "What is happening? (raid, checkpoint, arrest, patrol)",
            ["sms.ask.size"] = "How many agents and vehicles?",
            ["sms.ask.agency"] = "Which agency or uniform? (ICE, CBP, police, unknown)",
            ["sms.report.done"] = "Thank you. Volunteers check before any alert goes out. Stay safe: observe, do not interfere.",
            ["sms.empty"] = "Your message was empty. Text what you see and where, or HELP.",
        },
        ["es"] = new()
        {
            ["marker.verified"] = "VERIFICADO",
            ["marker.drill"] = "SIMULACRO - SOLO PRUEBA",
            ["alert"] = "{marker}: {activity} cerca de {place}, {time}. {advice} Vigente hasta {expires}.",
            ["update"] = "{marker} ACTUALIZACIÓN: {activity} cerca de {place}, {time}. {advice}",
            ["cancel.all_clear"] = "FIN DE ALERTA: terminó la alerta de {activity} cerca de {place} ({time}).",
            ["cancel.false_alarm"] = "FALSA ALARMA: la alerta de {activity} cerca de {place} ({time}) era un error. No la tome en cuenta.",
            ["place.area"] = "el área de la alerta",
            ["advice"] = "Conozca sus derechos: no abra la puerta, guarde silencio, no firme nada.",
            ["activity.home_raid"] = "redada en vivienda",
            ["activity.workplace_raid"] = "redada en lugar de trabajo",
            ["activity.checkpoint"] = "retén",
            ["activity.arrest"] = "arresto",
            ["activity.patrol"] = "vehículos/patrullas de agentes",
            ["activity.other"] = "actividad de agentes",
            ["confirm.code"] = "Whistle: su código es {code}. Ingréselo para recibir alertas verificadas. Si no lo pidió, ignore este mensaje.",
            ["unsubscribed"] = "Whistle: ya no recibirá alertas.",
            ["unsubscribe.code"] = "Whistle: su código para dejar de recibir alertas es {code}. Ingréselo en la página para darse de baja. Si no lo pidió, ignore este mensaje: nada cambia.",
            ["dispatch"] = "Whistle: verifique por favor: {activity} cerca de {place}, reportado {time}. Abra {link} para aceptar y luego confirmar o negar. Solo observe; no intervenga.",
            ["sms.help"] = "{network}: alertas comunitarias de operativos migratorios. Reporte: envíe qué ve y dónde. ALTA + barrio: alertas. BAJA: terminar. Aplican tarifas de msj y datos.",
            ["sms.join.code"] = "{network}: responda {code} para confirmar alertas verificadas de {zone}. Aplican tarifas de msj y datos. BAJA para terminar.",
            ["sms.join.ambiguous"] = "¿Qué barrio? Responda ALTA y uno de: {candidates}",
            ["sms.join.unknown"] = "No encontramos ese barrio. Responda ALTA y su nombre, p. ej. ALTA {example}. Todos: {link}",
            ["sms.join.missing"] = "Para recibir alertas, responda ALTA y su barrio, p. ej. ALTA {example}.",
            ["sms.confirmed"] = "{network}: le enviaremos alertas verificadas de {zones}. BAJA: terminar. AYUDA: ayuda. Aplican tarifas de msj y datos.",
            ["sms.code.wrong"] = "El código es incorrecto o venció. Responda ALTA y su barrio para recibir otro.",
            ["sms.resumed"] = "{network}: alertas reanudadas para {zones}. BAJA para terminar.",
            ["sms.stopped"] = "{network}: su suscripción terminó y no recibirá más mensajes. Responda START para reanudar.",
            ["sms.language"] = "{network}: le escribiremos en español.",
            ["sms.report.thanks"] = "Gracias, su reporte llegó a nuestros voluntarios.",
            ["sms.ask.where"] = "¿Dónde es? Calle y esquina, o barrio.",
            ["sms.ask.what"] = "¿Qué está pasando? (redada, retén, arresto, patrulla)",
            ["sms.ask.size"] = "¿Cuántos agentes y vehículos?",
            ["sms.ask.agency"] = "¿Qué agencia o uniforme? (ICE, CBP, policía, no sé)",
            ["sms.report.done"] = "Gracias. Voluntarios verifican antes de enviar una alerta. Cuídese: observe, no intervenga.",
            ["sms.empty"] = "Su mensaje llegó vacío. Envíe qué ve y dónde, o AYUDA.",
        },
        ["so"] = new()
        {
            ["marker.verified"] = "LA XAQIIJIYAY",
            ["marker.drill"] = "TIJAABO - IMTIXAAN KALIYA",
            ["alert"] = "{marker}: {activity} meel u dhow {place}, {time}. {advice} Waxay socotaa ilaa {expires}.",
            ["update"] = "{marker} WAR CUSUB: {activity} meel u dhow {place}, {time}. {advice}",
            ["cancel.all_clear"] = "DIGNIINTII WAY DHAMAATAY: {activity} meel u dhow {place} ({time}).",
            ["cancel.false_alarm"] = "DIGNIIN BEEN AH: digniintii {activity} ee {place} ({time}) waxay ahayd qalad. Iska indha tir.",
            ["place.area"] = "aagga digniinta",
            ["advice"] = "Ogow xuquuqdaada: ha furin albaabka, aamus, waxba ha saxiixin.",
            ["activity.home_raid"] = "weerar guri",
            ["activity.workplace_raid"] = "weerar goob shaqo",
            ["activity.checkpoint"] = "baaritaan waddo",
            ["activity.arrest"] = "xarig",
            ["activity.patrol"] = "baabuurta/ilaalada wakiilada",
            ["activity.other"] = "dhaqdhaqaaq wakiilo",
            ["confirm.code"] = "Whistle: koodhkaagu waa {code}. Geli si aad u hesho digniino la xaqiijiyay. Haddii aadan codsan, iska indha tir.",
            ["unsubscribed"] = "Whistle: digniino dambe ma heli doontid.",
            ["unsubscribe.code"] = "Whistle: koodhka lagu joojiyo digniinaha waa {code}. Geli bogga ka-bixitaanka. Haddii aadan codsan, iska indha tir: waxba isma beddelaan.",
            ["dispatch"] = "Whistle: fadlan xaqiiji: {activity} meel u dhow {place}, la soo sheegay {time}. Fur {link} si aad u aqbasho, kadibna xaqiiji ama beeni. Kaliya daawo; ha faragelin.",
            ["sms.help"] = "{network}: digniinaha bulshada ee howlgallada socdaalka. Si aad u soo sheegto, qor waxa aad aragto iyo meesha. KU BIIR + xaafad: digniino. JOOJI: jooji. Kharash fariimo ayaa dhici kara.",
            ["sms.join.code"] = "{network}: ku jawaab {code} si aad u xaqiijiso digniinaha {zone}. Kharash fariimo ayaa dhici kara. JOOJI si aad u joojiso.",
            ["sms.join.ambiguous"] = "Xaafaddee? Ku jawaab KU BIIR iyo mid ka mid ah: {candidates}",
            ["sms.join.unknown"] = "Xaafaddaas lama helin. Ku jawaab KU BIIR iyo magaceeda, tusaale KU BIIR {example}. Dhammaan: {link}",
            ["sms.join.missing"] = "Si aad digniino u hesho, ku jawaab KU BIIR iyo xaafaddaada, tusaale KU BIIR {example}.",
            ["sms.confirmed"] = "{network}: waxaad heli doontaa digniino la xaqiijiyay ee {zones}. JOOJI si aad u joojiso, CAAWIMAAD si aad caawimo u hesho.",
            ["sms.code.wrong"] = "Koodhku waa khalad ama wuu dhacay. Ku jawaab KU BIIR iyo xaafaddaada si aad mid cusub u hesho.",
            ["sms.resumed"] = "{network}: digniinaha {zones} waa la sii waday. JOOJI si aad u joojiso.",
            ["sms.stopped"] = "{network}: waa lagaa saaray, fariimo dambe ma heli doontid. Ku jawaab START si aad dib ugu bilowdo.",
            ["sms.language"] = "{network}: waxaan kuugu qori doonnaa af Soomaali.",
            ["sms.report.thanks"] = "Mahadsanid, warbixintaadu waxay gaartay mutadawaciintayada.",
            ["sms.ask.where"] = "Xaggee? Waddada iyo isgoyska, ama xaafadda.",
            ["sms.ask.what"] = "Maxaa dhacaya? (weerar, baaritaan waddo, xarig, ilaalo)",
            ["sms.ask.size"] = "Immisa sarkaal iyo baabuur?",
            ["sms.ask.agency"] = "Hay'addee ama labiskee? (ICE, CBP, booliis, lama yaqaan)",
            ["sms.report.done"] = "Mahadsanid. Mutadawaciin ayaa hubin doona ka hor digniin kasta. Ammaan ahaw: daawo, ha faragelin.",
            ["sms.empty"] = "Fariintaadu way madhnayd. Qor waxa aad aragto iyo meesha, ama CAAWIMAAD.",
        },
        ["hmn"] = new()
        {
            ["marker.verified"] = "TAU TXHEEB XYUAS LAWM",
            ["marker.drill"] = "KEV XYAUM - TSUAS YOG KEV SIM XWB",
            ["alert"] = "{marker}: {activity} ze {place}, {time}. {advice} Siv tau txog {expires}.",
            ["update"] = "{marker} XOV XWM TSHIAB: {activity} ze {place}, {time}. {advice}",
            ["cancel.all_clear"] = "TSIS MUAJ TEEB MEEM LAWM: {activity} ze {place} ({time}) tau xaus lawm.",
            ["cancel.false_alarm"] = "TSIS TSEEB: cov lus ceeb toom txog {activity} ze {place} ({time}) yog yuam kev. Tsis txhob ntseeg.",
            ["place.area"] = "thaj chaw ceeb toom",
            ["advice"] = "Paub koj txoj cai: tsis txhob qhib qhov rooj, nyob twj ywm, tsis txhob kos npe.",
            ["activity.home_raid"] = "tuaj ntes neeg hauv tsev",
            ["activity.workplace_raid"] = "tuaj ntes neeg hauv chaw ua haujlwm",
            ["activity.checkpoint"] = "chaw nres tshuaj xyuas",
            ["activity.arrest"] = "ntes neeg",
            ["activity.patrol"] = "tsheb tub ceev xwm ncig",
            ["activity.other"] = "tub ceev xwm ua haujlwm",
            ["confirm.code"] = "Whistle: koj tus lej yog {code}. Ntaus nws kom tau txais cov lus ceeb toom. Yog koj tsis tau thov, tsis txhob quav ntsej.",
            ["unsubscribed"] = "Whistle: koj yuav tsis tau txais cov lus ceeb toom ntxiv lawm.",
            ["unsubscribe.code"] = "Whistle: koj tus lej los tso tseg cov lus ceeb toom yog {code}. Ntaus nws rau nplooj ntawv tso tseg. Yog koj tsis tau thov, tsis txhob quav ntsej: tsis muaj dab tsi hloov.",
            ["dispatch"] = "Whistle: thov mus xyuas: {activity} ze {place}, qhia thaum {time}. Qhib {link} txais, ces lees tias muaj lossis tsis muaj. Saib xwb; tsis txhob cuam tshuam.",
            ["sms.help"] = "{network}: lus ceeb toom hauv zej zog txog tub ceev xwm nkag tebchaws. Xa qhov koj pom thiab qhov chaw los qhia. KOOM + zej zog: tau lus ceeb toom. NRES: nres. Tej zaum yuav raug nqi xov.",
            ["sms.join.code"] = "{network}: teb {code} los lees paub cov lus ceeb toom rau {zone}. Tej zaum yuav raug nqi xov. NRES los nres.",
            ["sms.join.ambiguous"] = "Zej zog twg? Teb KOOM thiab ib qho: {candidates}",
            ["sms.join.unknown"] = "Nrhiav tsis tau zej zog ntawd. Teb KOOM thiab nws lub npe, xws li KOOM {example}. Tag nrho: {link}",
            ["sms.join.missing"] = "Yuav tau lus ceeb toom, teb KOOM thiab koj lub zej zog, xws li KOOM {example}.",
            ["sms.confirmed"] = "{network}: koj yuav tau txais cov lus ceeb toom rau {zones}. NRES los nres, PAB yog xav tau kev pab.",
            ["sms.code.wrong"] = "Tus lej tsis yog lossis tas sij hawm lawm. Teb KOOM thiab koj lub zej zog kom tau tus tshiab.",
            ["sms.resumed"] = "{network}: rov qab xa lus ceeb toom rau {zones}. NRES los nres.",
            ["sms.stopped"] = "{network}: koj tau tawm lawm thiab yuav tsis tau txais lus ntxiv. Teb START kom rov pib.",
            ["sms.language"] = "{network}: peb yuav sau ntawv rau koj ua lus Hmoob.",
            ["sms.report.thanks"] = "Ua tsaug, koj cov lus qhia tau mus txog peb cov neeg pab dawb.",
            ["sms.ask.where"] = "Nyob qhov twg? Txoj kev thiab kev sib tshuam, lossis zej zog.",
            ["sms.ask.what"] = "Muaj dab tsi? (ntes neeg hauv tsev, chaw nres tshuaj xyuas, ntes neeg, tsheb ncig)",
            ["sms.ask.size"] = "Muaj pes tsawg tus tub ceev xwm thiab tsheb?",
            ["sms.ask.agency"] = "Koom haum twg los yog khaub ncaws li cas? (ICE, CBP, tub ceev xwm, tsis paub)",
            ["sms.report.done"] = "Ua tsaug. Cov neeg pab dawb yuav xyuas ua ntej xa lus ceeb toom. Nyob kom nyab xeeb: saib xwb, tsis txhob cuam tshuam.",
            ["sms.empty"] = "Koj cov lus khoob. Xa qhov koj pom thiab qhov chaw, lossis PAB.",
        },
    };
}
