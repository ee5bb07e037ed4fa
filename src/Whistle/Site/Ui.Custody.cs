namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> CustodyTexts = new()
    {
        ["en"] = new()
        {
            ["c.custody.records"] = "Records that differ from their custody log:",
            ["c.custody.type.incident"] = "Incident",
            ["c.custody.type.timeline"] = "Timeline entry",
            ["c.custody.type.witness"] = "Witness statement",
            ["c.custody.type.claim"] = "Claim",
            ["c.custody.type.claim_evidence"] = "Claim–evidence link",
            ["c.custody.type.follow_up"] = "Follow-up",
            ["c.custody.type.evidence"] = "Evidence item",
            ["c.custody.changed"] = "changed outside Whistle",
            ["c.custody.field"] = "field changed outside Whistle:",
            ["c.custody.missing"] = "deleted outside Whistle",
            ["c.custody.unrecorded"] = "added outside Whistle (not in the custody log)",
        },
        ["es"] = new()
        {
            ["c.custody.records"] = "Registros que no coinciden con su registro de custodia:",
            ["c.custody.type.incident"] = "Incidente",
            ["c.custody.type.timeline"] = "Entrada de la cronología",
            ["c.custody.type.witness"] = "Declaración de testigo",
            ["c.custody.type.claim"] = "Afirmación",
            ["c.custody.type.claim_evidence"] = "Vínculo entre afirmación y prueba",
            ["c.custody.type.follow_up"] = "Seguimiento",
            ["c.custody.type.evidence"] = "Prueba",
            ["c.custody.changed"] = "modificado fuera de Whistle",
            ["c.custody.field"] = "campo modificado fuera de Whistle:",
            ["c.custody.missing"] = "borrado fuera de Whistle",
            ["c.custody.unrecorded"] = "añadido fuera de Whistle (no está en el registro de custodia)",
        },
        ["so"] = new()
        {
            ["c.custody.records"] = "Diiwaanno aan la mid ahayn diiwaankooda haynta:",
            ["c.custody.type.incident"] = "Dhacdo",
            ["c.custody.type.timeline"] = "Qoraal jadwalka",
            ["c.custody.type.witness"] = "Warbixinta markhaatiga",
            ["c.custody.type.claim"] = "Sheegasho",
            ["c.custody.type.claim_evidence"] = "Xiriirka sheegashada iyo caddaynta",
            ["c.custody.type.follow_up"] = "Dabagal",
            ["c.custody.type.evidence"] = "Caddayn",
            ["c.custody.changed"] = "waxaa lagu beddelay meel ka baxsan Whistle",
            ["c.custody.field"] = "goob lagu beddelay meel ka baxsan Whistle:",
            ["c.custody.missing"] = "waxaa lagu tirtiray meel ka baxsan Whistle",
            ["c.custody.unrecorded"] = "waxaa lagu daray meel ka baxsan Whistle (kuma jiro diiwaanka haynta)",
        },
        ["hmn"] = new()
        {
            ["c.custody.records"] = "Cov ntaub ntawv uas tsis raug li phau ntawv khaws cia:",
            ["c.custody.type.incident"] = "Xwm txheej",
            ["c.custody.type.timeline"] = "Kab lus hauv lub sijhawm",
            ["c.custody.type.witness"] = "Lus tim khawv",
            ["c.custody.type.claim"] = "Lus hais",
            ["c.custody.type.claim_evidence"] = "Kev txuas lus hais rau pov thawj",
            ["c.custody.type.follow_up"] = "Kev ua ntxiv",
            ["c.custody.type.evidence"] = "Pov thawj",
            ["c.custody.changed"] = "raug hloov sab nraum Whistle",
            ["c.custody.field"] = "qhov raug hloov sab nraum Whistle:",
            ["c.custody.missing"] = "raug rho tawm sab nraum Whistle",
            ["c.custody.unrecorded"] = "raug ntxiv sab nraum Whistle (tsis muaj nyob hauv phau ntawv khaws cia)",
        },
    };
}
