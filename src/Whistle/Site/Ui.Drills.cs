namespace Whistle.Site;

public static partial class Ui
{
    // Words for drills and their audience (issue 12 §3) and for times (§4). Console keys start with "c.".
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> DrillsTexts = new()
    {
        ["en"] = new()
        {
            ["c.inc.precision"] = "Known to the",
            ["c.inc.precision.minute"] = "Minute",
            ["c.inc.precision.day"] = "Day only (no time of day)",
            ["c.inc.precision.month"] = "Month only",
            ["c.inc.precision.exact"] = "Second (exact)",
            ["sub.drills"] = "Also send me drills (test messages, clearly marked DRILL)",
            ["sub.drills.hint"] = "Drills test the network. Leave this unticked to get only real alerts.",
            ["c.drill.audience"] = "Who gets the drill",
            ["c.drill.test"] = "Test audience: staff and subscribers who opted into drills",
            ["c.drill.public"] = "General public in the area (admin override, recorded)",
            ["c.drill.reason"] = "Why this drill must reach the general public",
            ["c.drill.to.test"] = "Drill — test audience: {staff} staff, {subscribers} subscribers who opted in",
            ["c.drill.to.public"] = "Drill — GENERAL PUBLIC (admin override)",
            ["c.time.zone"] = "Times are in the network's time zone",
            ["time.zone"] = "Times are in the network's time zone",
        },
        ["es"] = new()
        {
            ["c.inc.precision"] = "Se conoce hasta el",
            ["c.inc.precision.minute"] = "Minuto",
            ["c.inc.precision.day"] = "Solo el día (sin hora)",
            ["c.inc.precision.month"] = "Solo el mes",
            ["c.inc.precision.exact"] = "Segundo (exacto)",
            ["sub.drills"] = "Envíenme también simulacros (mensajes de prueba, marcados claramente como SIMULACRO)",
            ["sub.drills.hint"] = "Los simulacros ponen a prueba la red. Deje esto sin marcar para recibir solo alertas reales.",
            ["c.drill.audience"] = "Quién recibe el simulacro",
            ["c.drill.test"] = "Público de prueba: personal y suscriptores que aceptaron simulacros",
            ["c.drill.public"] = "Público general del área (excepción de administrador, registrada)",
            ["c.drill.reason"] = "Por qué este simulacro debe llegar al público general",
            ["c.drill.to.test"] = "Simulacro — público de prueba: {staff} del personal, {subscribers} suscriptores que aceptaron",
            ["c.drill.to.public"] = "Simulacro — PÚBLICO GENERAL (excepción de administrador)",
            ["c.time.zone"] = "Las horas están en la zona horaria de la red",
            ["time.zone"] = "Las horas están en la zona horaria de la red",
        },
        ["so"] = new()
        {
            ["c.inc.precision"] = "Waxaa la yaqaan ilaa",
            ["c.inc.precision.minute"] = "Daqiiqad",
            ["c.inc.precision.day"] = "Maalinta oo kaliya (saacad la'aan)",
            ["c.inc.precision.month"] = "Bisha oo kaliya",
            ["c.inc.precision.exact"] = "Ilbiriqsi (sax ah)",
            ["sub.drills"] = "Sidoo kale ii soo dir tijaabooyinka (fariimo imtixaan ah, si cad loogu calaamadeeyay TIJAABO)",
            ["sub.drills.hint"] = "Tijaabooyinku waxay imtixaamaan shabakadda. Ha calaamadin si aad u hesho digniinaha dhabta ah oo kaliya.",
            ["c.drill.audience"] = "Cidda helaysa tijaabada",
            ["c.drill.test"] = "Dhageystayaasha tijaabada: shaqaalaha iyo macaamiisha oggolaaday tijaabooyinka",
            ["c.drill.public"] = "Dadweynaha guud ee aagga (ka-reebis maamule, waa la diiwaangeliyay)",
            ["c.drill.reason"] = "Sababta tijaabadani ay u gaadhayso dadweynaha guud",
            ["c.drill.to.test"] = "Tijaabo — dhageystayaasha tijaabada: {staff} shaqaale, {subscribers} macaamiil oggolaaday",
            ["c.drill.to.public"] = "Tijaabo — DADWEYNAHA GUUD (ka-reebis maamule)",
            ["c.time.zone"] = "Waqtiyadu waxay ku jiraan aagga waqtiga ee shabakadda",
            ["time.zone"] = "Waqtiyadu waxay ku jiraan aagga waqtiga ee shabakadda",
        },
        ["hmn"] = new()
        {
            ["c.inc.precision"] = "Paub txog",
            ["c.inc.precision.minute"] = "Feeb",
            ["c.inc.precision.day"] = "Tsuas yog hnub (tsis paub sijhawm)",
            ["c.inc.precision.month"] = "Tsuas yog lub hli",
            ["c.inc.precision.exact"] = "Ob peb vib nas this (raug nkaus)",
            ["sub.drills"] = "Xa kev xyaum tuaj rau kuv thiab (cov lus sim, sau meej tias KEV XYAUM)",
            ["sub.drills.hint"] = "Kev xyaum yog sim lub network. Tsis txhob kos qhov no kom tau tsuas yog cov lus ceeb toom tiag.",
            ["c.drill.audience"] = "Leej twg tau txais kev xyaum",
            ["c.drill.test"] = "Pawg sim: cov neeg ua haujlwm thiab cov neeg sau npe uas xaiv kev xyaum",
            ["c.drill.public"] = "Pej xeem hauv thaj chaw (tus thawj tswj hwm tso cai, muaj sau tseg)",
            ["c.drill.reason"] = "Vim li cas kev xyaum no yuav tsum mus txog pej xeem",
            ["c.drill.to.test"] = "Kev xyaum — pawg sim: {staff} tus neeg ua haujlwm, {subscribers} tus neeg sau npe uas xaiv",
            ["c.drill.to.public"] = "Kev xyaum — PEJ XEEM (tus thawj tswj hwm tso cai)",
            ["c.time.zone"] = "Lub sijhawm yog raws li lub network lub sijhawm",
            ["time.zone"] = "Lub sijhawm yog raws li lub network lub sijhawm",
        },
    };
}
