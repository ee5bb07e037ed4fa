namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> LimitsTexts = new()
    {
        ["en"] = new()
        {
            ["problem.limitsUnavailable"] = "Temporarily unavailable",
            ["problem.limitsUnavailableDetail"] = "Signing in is paused for a few seconds while this network's servers reconnect. Please try again shortly.",
        },
        ["es"] = new()
        {
            ["problem.limitsUnavailable"] = "No disponible por el momento",
            ["problem.limitsUnavailableDetail"] = "El inicio de sesión está en pausa unos segundos mientras los servidores de esta red se vuelven a conectar. Intente de nuevo en un momento.",
        },
        ["so"] = new()
        {
            ["problem.limitsUnavailable"] = "Si ku meel gaar ah looma heli karo",
            ["problem.limitsUnavailableDetail"] = "Gelitaanku wuu hakad yahay dhowr ilbiriqsi inta ay adeegayaasha shabakaddan dib isugu xirmayaan. Fadlan mar kale isku day wax yar kadib.",
        },
        ["hmn"] = new()
        {
            ["problem.limitsUnavailable"] = "Siv no tsis muaj",
            ["problem.limitsUnavailableDetail"] = "Kev nkag mus tseg ob peb feeb thaum lub network no cov servers rov txuas dua. Thov rov sim dua tom qab me ntsis.",
        },
    };
}
