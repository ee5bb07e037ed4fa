namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> PinningTexts = new()
    {
        ["en"] = new()
        {
            ["c.pin.none"] = "Not independently timestamped: no time-stamping authority is configured, so only the network's own signature vouches for this custody log.",
            ["c.pin.pending"] = "Not independently timestamped yet: the latest state of this custody log has not been confirmed by the time-stamping authority.",
            ["c.pin.at"] = "Independently timestamped: the time-stamping authority last confirmed this custody log at {time}.",
        },
        ["es"] = new()
        {
            ["c.pin.none"] = "Sin sello de tiempo independiente: no hay una autoridad de sellado de tiempo configurada, así que solo la firma de la propia red respalda este registro de custodia.",
            ["c.pin.pending"] = "Todavía sin sello de tiempo independiente: la autoridad de sellado de tiempo aún no ha confirmado el estado más reciente de este registro de custodia.",
            ["c.pin.at"] = "Con sello de tiempo independiente: la autoridad de sellado de tiempo confirmó este registro de custodia por última vez el {time}.",
        },
        ["so"] = new()
        {
            ["c.pin.none"] = "Waqti lagama helin hay'ad madax-bannaan: ma jiro hay'ad waqti-calaamadeysa oo la dejiyay, sidaa darteed diiwaankan haynta waxaa xaqiijinaya saxiixa shabakadda oo keliya.",
            ["c.pin.pending"] = "Weli waqti lagama helin hay'ad madax-bannaan: hay'adda waqti-calaamadeysa weli ma xaqiijin xaaladda ugu dambeysa ee diiwaankan haynta.",
            ["c.pin.at"] = "Waqti laga helay hay'ad madax-bannaan: hay'adda waqti-calaamadeysa waxay diiwaankan haynta ugu dambeysay xaqiijisay {time}.",
        },
        ["hmn"] = new()
        {
            ["c.pin.none"] = "Tsis tau muaj lub koom haum sab nraud lees paub lub sij hawm: tsis tau teeb ib lub koom haum ntaus sij hawm, yog li tsuas yog lub network tus kheej kos npe lees paub daim ntawv khaws pov thawj no xwb.",
            ["c.pin.pending"] = "Tseem tsis tau muaj lub koom haum sab nraud lees paub lub sij hawm: lub koom haum ntaus sij hawm tseem tsis tau lees paub daim ntawv khaws pov thawj no li tam sim no.",
            ["c.pin.at"] = "Muaj lub koom haum sab nraud lees paub lub sij hawm: lub koom haum ntaus sij hawm lees paub daim ntawv khaws pov thawj no zaum kawg thaum {time}.",
        },
    };
}
