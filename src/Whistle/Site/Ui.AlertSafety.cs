namespace Whistle.Site;

public static partial class Ui
{
    // Words for alert content safety (officer-identifying text, public words). Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> AlertSafetyTexts = new()
    {
        ["en"] = new()
        {
            ["c.officer.warning"] = "These public words look like they name or identify an officer. Alerts warn about an area; naming an officer, a badge or a plate can expose the network. Remove them, or send anyway with a reason (recorded with your name).",
            ["c.officer.badge_number"] = "badge number",
            ["c.officer.officer_name"] = "officer's name",
            ["c.officer.licence_plate"] = "licence plate",
            ["c.officer.override"] = "Send these words anyway",
            ["c.officer.reason"] = "Why they must go out as written",
            ["c.place.hint"] = "Public. Leave empty to use the zone's name. The reporter's words are never sent.",
        },
        ["es"] = new()
        {
            ["c.officer.warning"] = "Estas palabras públicas parecen nombrar o identificar a un agente. Las alertas avisan sobre una zona; nombrar a un agente, una placa o una matrícula puede exponer a la red. Quítelas, o envíe de todos modos con un motivo (queda registrado con su nombre).",
            ["c.officer.badge_number"] = "número de placa",
            ["c.officer.officer_name"] = "nombre de un agente",
            ["c.officer.licence_plate"] = "matrícula",
            ["c.officer.override"] = "Enviar estas palabras de todos modos",
            ["c.officer.reason"] = "Por qué deben salir tal como están",
            ["c.place.hint"] = "Público. Déjelo vacío para usar el nombre de la zona. Las palabras de quien reporta nunca se envían.",
        },
        ["so"] = new()
        {
            ["c.officer.warning"] = "Ereyadan dadweynaha ah waxay u muuqdaan inay magacaabayaan ama aqoonsanayaan sarkaal. Digniinuhu waxay ka digaan aag; magacaabidda sarkaal, taargo ama taarikada gaariga waxay khatar gelin kartaa shabakadda. Ka saar, ama dir si kastaba adigoo sabab sheegaya (waxaa lagu diiwaangelinayaa magacaaga).",
            ["c.officer.badge_number"] = "lambarka taargada",
            ["c.officer.officer_name"] = "magaca sarkaalka",
            ["c.officer.licence_plate"] = "taarikada gaariga",
            ["c.officer.override"] = "Dir ereyadan si kastaba",
            ["c.officer.reason"] = "Sababta ay sidan u baxayaan",
            ["c.place.hint"] = "Dadweyne. Banaan u dhaaf si loo isticmaalo magaca aagga. Ereyada qofka soo sheegay weligood lama diro.",
        },
        ["hmn"] = new()
        {
            ["c.officer.warning"] = "Cov lus no yuav tshaj tawm rau txhua tus thiab zoo li hais npe los yog qhia tias yog tus tub ceev xwm twg. Lus ceeb toom yog qhia txog ib thaj chaw xwb; hais npe, tus lej npav los yog phiaj tsheb tuaj yeem ua rau peb pab pawg raug kev phom sij. Muab tshem tawm, los yog xa thiab sau vim li cas (yuav sau tseg nrog koj lub npe).",
            ["c.officer.badge_number"] = "tus lej npav",
            ["c.officer.officer_name"] = "lub npe tub ceev xwm",
            ["c.officer.licence_plate"] = "phiaj tsheb",
            ["c.officer.override"] = "Xa cov lus no txawm li cas los xij",
            ["c.officer.reason"] = "Vim li cas yuav tsum xa raws li sau",
            ["c.place.hint"] = "Txhua tus yuav pom. Tso khoob kom siv lub npe ntawm thaj chaw. Tsis xa cov lus ntawm tus neeg qhia.",
        },
    };
}
