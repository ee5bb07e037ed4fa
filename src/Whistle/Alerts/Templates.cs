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
                ["place"] = alert.Place,
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

    public static string LocalTime(DateTimeOffset t, TimeZoneInfo zone, string lang)
    {
        var local = TimeZoneInfo.ConvertTime(t, zone);
        return lang == "en" ? local.ToString("h:mm tt", CultureInfo.InvariantCulture) : local.ToString("HH:mm", CultureInfo.InvariantCulture);
    }
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
            ["advice"] = "Know your rights: do not open the door, stay silent, sign nothing.",
            ["activity.home_raid"] = "home raid",
            ["activity.workplace_raid"] = "workplace raid",
            ["activity.checkpoint"] = "checkpoint",
            ["activity.arrest"] = "arrest",
            ["activity.patrol"] = "agent vehicles/patrol",
            ["activity.other"] = "agent activity",
            ["confirm.code"] = "Whistle: your code is {code}. Enter it to receive verified alerts. If you did not ask for this, ignore it.",
            ["unsubscribed"] = "Whistle: you will not receive alerts any more.",
            ["dispatch"] = "Whistle: please verify: {activity} near {place}, reported {time}. Open {link} to accept, then confirm or deny. Observe only; do not interfere.",
        },
        ["es"] = new()
        {
            ["marker.verified"] = "VERIFICADO",
            ["marker.drill"] = "SIMULACRO - SOLO PRUEBA",
            ["alert"] = "{marker}: {activity} cerca de {place}, {time}. {advice} Vigente hasta {expires}.",
            ["update"] = "{marker} ACTUALIZACIÓN: {activity} cerca de {place}, {time}. {advice}",
            ["cancel.all_clear"] = "FIN DE ALERTA: terminó la alerta de {activity} cerca de {place} ({time}).",
            ["cancel.false_alarm"] = "FALSA ALARMA: la alerta de {activity} cerca de {place} ({time}) era un error. No la tome en cuenta.",
            ["advice"] = "Conozca sus derechos: no abra la puerta, guarde silencio, no firme nada.",
            ["activity.home_raid"] = "redada en vivienda",
            ["activity.workplace_raid"] = "redada en lugar de trabajo",
            ["activity.checkpoint"] = "retén",
            ["activity.arrest"] = "arresto",
            ["activity.patrol"] = "vehículos/patrullas de agentes",
            ["activity.other"] = "actividad de agentes",
            ["confirm.code"] = "Whistle: su código es {code}. Ingréselo para recibir alertas verificadas. Si no lo pidió, ignore este mensaje.",
            ["unsubscribed"] = "Whistle: ya no recibirá alertas.",
            ["dispatch"] = "Whistle: verifique por favor: {activity} cerca de {place}, reportado {time}. Abra {link} para aceptar y luego confirmar o negar. Solo observe; no intervenga.",
        },
        ["so"] = new()
        {
            ["marker.verified"] = "LA XAQIIJIYAY",
            ["marker.drill"] = "TIJAABO - IMTIXAAN KALIYA",
            ["alert"] = "{marker}: {activity} meel u dhow {place}, {time}. {advice} Waxay socotaa ilaa {expires}.",
            ["update"] = "{marker} WAR CUSUB: {activity} meel u dhow {place}, {time}. {advice}",
            ["cancel.all_clear"] = "DIGNIINTII WAY DHAMAATAY: {activity} meel u dhow {place} ({time}).",
            ["cancel.false_alarm"] = "DIGNIIN BEEN AH: digniintii {activity} ee {place} ({time}) waxay ahayd qalad. Iska indha tir.",
            ["advice"] = "Ogow xuquuqdaada: ha furin albaabka, aamus, waxba ha saxiixin.",
            ["activity.home_raid"] = "weerar guri",
            ["activity.workplace_raid"] = "weerar goob shaqo",
            ["activity.checkpoint"] = "baaritaan waddo",
            ["activity.arrest"] = "xarig",
            ["activity.patrol"] = "baabuurta/ilaalada wakiilada",
            ["activity.other"] = "dhaqdhaqaaq wakiilo",
            ["confirm.code"] = "Whistle: koodhkaagu waa {code}. Geli si aad u hesho digniino la xaqiijiyay. Haddii aadan codsan, iska indha tir.",
            ["unsubscribed"] = "Whistle: digniino dambe ma heli doontid.",
            ["dispatch"] = "Whistle: fadlan xaqiiji: {activity} meel u dhow {place}, la soo sheegay {time}. Fur {link} si aad u aqbasho, kadibna xaqiiji ama beeni. Kaliya daawo; ha faragelin.",
        },
        ["hmn"] = new()
        {
            ["marker.verified"] = "TAU TXHEEB XYUAS LAWM",
            ["marker.drill"] = "KEV XYAUM - TSUAS YOG KEV SIM XWB",
            ["alert"] = "{marker}: {activity} ze {place}, {time}. {advice} Siv tau txog {expires}.",
            ["update"] = "{marker} XOV XWM TSHIAB: {activity} ze {place}, {time}. {advice}",
            ["cancel.all_clear"] = "TSIS MUAJ TEEB MEEM LAWM: {activity} ze {place} ({time}) tau xaus lawm.",
            ["cancel.false_alarm"] = "TSIS TSEEB: cov lus ceeb toom txog {activity} ze {place} ({time}) yog yuam kev. Tsis txhob ntseeg.",
            ["advice"] = "Paub koj txoj cai: tsis txhob qhib qhov rooj, nyob twj ywm, tsis txhob kos npe.",
            ["activity.home_raid"] = "tuaj ntes neeg hauv tsev",
            ["activity.workplace_raid"] = "tuaj ntes neeg hauv chaw ua haujlwm",
            ["activity.checkpoint"] = "chaw nres tshuaj xyuas",
            ["activity.arrest"] = "ntes neeg",
            ["activity.patrol"] = "tsheb tub ceev xwm ncig",
            ["activity.other"] = "tub ceev xwm ua haujlwm",
            ["confirm.code"] = "Whistle: koj tus lej yog {code}. Ntaus nws kom tau txais cov lus ceeb toom. Yog koj tsis tau thov, tsis txhob quav ntsej.",
            ["unsubscribed"] = "Whistle: koj yuav tsis tau txais cov lus ceeb toom ntxiv lawm.",
            ["dispatch"] = "Whistle: thov mus xyuas: {activity} ze {place}, qhia thaum {time}. Qhib {link} txais, ces lees tias muaj lossis tsis muaj. Saib xwb; tsis txhob cuam tshuam.",
        },
    };
}
