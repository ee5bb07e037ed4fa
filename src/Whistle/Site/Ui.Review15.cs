namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> Review15Texts = new()
    {
        ["en"] = new()
        {
            ["review.msg.lawyer-may-contact"] = "Thank you for what you recorded. A lawyer working with the network may contact you about it.",
            ["review.msg.thank-you"] = "Thank you: your recording is now in the network's incident file.",
            ["review.msg.need-more"] = "Thank you for what you recorded. Could you send more detail about what happened? Reply to this message.",
        },
        ["es"] = new()
        {
            ["review.msg.lawyer-may-contact"] = "Gracias por lo que grabó. Un abogado que trabaja con la red podría comunicarse con usted al respecto.",
            ["review.msg.thank-you"] = "Gracias: su grabación ya está en el expediente del incidente de la red.",
            ["review.msg.need-more"] = "Gracias por lo que grabó. ¿Podría enviar más detalles sobre lo que pasó? Responda a este mensaje.",
        },
        ["so"] = new()
        {
            ["review.msg.lawyer-may-contact"] = "Waad ku mahadsan tahay waxaad duubtay. Qareen la shaqeeya shabakadda ayaa laga yaabaa inuu kaala soo xiriiro arrintaas.",
            ["review.msg.thank-you"] = "Waad ku mahadsan tahay: duubistaadu hadda waxay ku jirtaa faylka dhacdada ee shabakadda.",
            ["review.msg.need-more"] = "Waad ku mahadsan tahay waxaad duubtay. Ma noo soo diri kartaa faahfaahin dheeraad ah oo ku saabsan waxa dhacay? Ka jawaab fariintan.",
        },
        ["hmn"] = new()
        {
            ["review.msg.lawyer-may-contact"] = "Ua tsaug rau qhov koj tau kaw cia. Ib tug kws lij choj uas ua haujlwm nrog lub network yuav hu rau koj txog qhov no.",
            ["review.msg.thank-you"] = "Ua tsaug: koj daim kaw tam sim no nyob hauv lub network cov ntaub ntawv txog qhov xwm txheej.",
            ["review.msg.need-more"] = "Ua tsaug rau qhov koj tau kaw cia. Koj puas xa tau ntau ntxiv txog qhov tau tshwm sim? Teb rau tsab xov no.",
        },
    };
}
