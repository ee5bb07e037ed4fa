namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> Reports13Texts = new()
    {
        ["en"] = new()
        {
            ["c.retention.coarsen"] = "Reports and sightings not in an incident file: keep only the neighbourhood after (days)",
            ["c.retention.deleteReports"] = "Reports and sightings not in an incident file: delete after (days)",
            ["c.retention.unconfirmed"] = "Sign-ups whose code never came back are deleted after {hours} hours.",
        },
        ["es"] = new()
        {
            ["c.retention.coarsen"] = "Reportes y avistamientos que no están en un expediente de incidente: guardar solo el barrio después de (días)",
            ["c.retention.deleteReports"] = "Reportes y avistamientos que no están en un expediente de incidente: borrar después de (días)",
            ["c.retention.unconfirmed"] = "Las inscripciones cuyo código nunca se confirmó se borran después de {hours} horas.",
        },
        ["so"] = new()
        {
            ["c.retention.coarsen"] = "Warbixinnada iyo aragtiyada aan ku jirin fayl dhacdo: kaliya xaafadda hay kadib (maalmo)",
            ["c.retention.deleteReports"] = "Warbixinnada iyo aragtiyada aan ku jirin fayl dhacdo: tirtir kadib (maalmo)",
            ["c.retention.unconfirmed"] = "Is-diiwaangelinta aan koodhkeeda la soo celin waa la tirtiraa kadib {hours} saacadood.",
        },
        ["hmn"] = new()
        {
            ["c.retention.coarsen"] = "Cov lus qhia thiab cov pom uas tsis nyob hauv ib daim ntawv teeb meem: tsuas khaws lub zej zog tom qab (hnub)",
            ["c.retention.deleteReports"] = "Cov lus qhia thiab cov pom uas tsis nyob hauv ib daim ntawv teeb meem: rho tawm tom qab (hnub)",
            ["c.retention.unconfirmed"] = "Cov kev sau npe uas tus lej tsis tau xa rov qab raug rho tawm tom qab {hours} teev.",
        },
    };
}
