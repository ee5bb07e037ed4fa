namespace Whistle.Content;

/// <summary>
/// The pages Whistle ships with, per language, until an admin edits them. General information about rights in
/// the United States, not legal advice; the Spanish, Somali and Hmong were machine-assisted and need a native
/// speaker's (and a lawyer's) review, like the message templates.
/// </summary>
public static class DefaultPages
{
    public static readonly string[] Slugs = ["rights"];

    public static string? Get(string slug, string language) =>
        slug == "rights" ? Rights.GetValueOrDefault(language) ?? Rights["en"] : null;

    private static readonly Dictionary<string, string> Rights = new()
    {
        ["en"] = """
            # Know your rights

            Everyone in the United States has these rights, whatever their immigration status.

            - **You have the right to remain silent.** You do not have to answer questions about where you were born, your immigration status or how you entered the country. Say: "I am exercising my right to remain silent."
            - **Do not open the door** unless the agents show a **judicial warrant signed by a judge** with your name and address. An ICE form (I-200 or I-205) signed by an officer is not a judicial warrant. Ask them to pass it under the door or show it at the window.
            - **Do not sign anything** you do not understand or that you have not shown to a lawyer.
            - **Ask for a lawyer.** You have the right to speak to a lawyer. Say: "I want to speak to a lawyer."
            - **Do not lie and do not show false documents.** Staying silent is your right; lying can hurt you.
            - **If you see agents, observe and record from a safe distance.** You may film in public places. Do not interfere, do not block, do not touch anyone. Note the time, place, number of agents and vehicles, and report it.

            This is general information, not legal advice. Keep the number of a local legal-aid or rapid-response hotline with you.
            """,
        ["es"] = """
            # Conozca sus derechos

            Todas las personas en los Estados Unidos tienen estos derechos, sin importar su estatus migratorio.

            - **Tiene derecho a guardar silencio.** No tiene que responder preguntas sobre dónde nació, su estatus migratorio o cómo entró al país. Diga: "Ejerzo mi derecho a guardar silencio".
            - **No abra la puerta** a menos que los agentes muestren una **orden judicial firmada por un juez** con su nombre y dirección. Un formulario de ICE (I-200 o I-205) firmado por un oficial no es una orden judicial. Pida que la pasen por debajo de la puerta o la muestren por la ventana.
            - **No firme nada** que no entienda o que no haya revisado con un abogado.
            - **Pida un abogado.** Tiene derecho a hablar con un abogado. Diga: "Quiero hablar con un abogado".
            - **No mienta ni muestre documentos falsos.** Guardar silencio es su derecho; mentir puede perjudicarle.
            - **Si ve agentes, observe y grabe desde una distancia segura.** Puede filmar en lugares públicos. No interfiera, no bloquee, no toque a nadie. Anote la hora, el lugar, el número de agentes y vehículos, y repórtelo.

            Esta es información general, no asesoría legal. Lleve consigo el número de una línea local de ayuda legal o de respuesta rápida.
            """,
        ["so"] = """
            # Ogow xuquuqdaada

            Qof kasta oo Maraykanka jooga wuxuu leeyahay xuquuqdan, iyadoon loo eegin xaaladdiisa socdaal.

            - **Waxaad xaq u leedahay inaad aamusnaato.** Uma baahnid inaad ka jawaabto su'aalaha ku saabsan meesha aad ku dhalatay, xaaladdaada socdaal ama sida aad dalka u soo gashay. Dheh: "Waxaan isticmaalayaa xaqayga aamusnaanta."
            - **Ha furin albaabka** ilaa saraakiishu ay kuu muujiyaan **amar maxkamadeed oo uu saxiixay garsoore** oo ay ku qoran yihiin magacaaga iyo cinwaankaaga. Foomka ICE (I-200 ama I-205) ee sarkaal saxiixay ma aha amar maxkamadeed. Ka codso inay albaabka hoostiisa soo mariyaan ama daaqadda kaa tusaan.
            - **Waxba ha saxiixin** haddii aadan fahmin ama aadan qareen tusin.
            - **Codso qareen.** Waxaad xaq u leedahay inaad la hadasho qareen. Dheh: "Waxaan rabaa inaan la hadlo qareen."
            - **Ha been sheegin hana muujin dukumentiyo been ah.** Aamusnaantu waa xaqaaga; beentu way ku dhaawici kartaa.
            - **Haddii aad aragto saraakiil, ka daawo oo duub meel fog oo ammaan ah.** Waxaad ku duubi kartaa meelaha dadweynaha. Ha faragelin, ha xirin jidka, qofna ha taaban. Qor wakhtiga, goobta, tirada saraakiisha iyo gaadiidka, kadibna soo sheeg.

            Tani waa macluumaad guud, ma aha talo sharci. Haysto lambarka khadka caawimaadda sharciga ama jawaabta degdegga ah ee deegaankaaga.
            """,
        ["hmn"] = """
            # Paub koj txoj cai

            Txhua tus neeg nyob hauv Tebchaws Meskas muaj cov cai no, txawm koj muaj ntaub ntawv nkag teb chaws li cas los xij.

            - **Koj muaj cai nyob twj ywm.** Koj tsis tas teb cov lus nug txog koj yug qhov twg, koj cov ntaub ntawv nkag teb chaws los sis koj nkag los rau hauv lub teb chaws li cas. Hais tias: "Kuv siv kuv txoj cai nyob twj ywm."
            - **Tsis txhob qhib qhov rooj** tshwj tsis yog cov tub ceev xwm qhia ib daim **ntawv tso cai los ntawm lub tsev hais plaub uas tus kws txiav txim tau kos npe** uas muaj koj lub npe thiab chaw nyob. Daim ntawv ICE (I-200 los sis I-205) uas ib tug tub ceev xwm kos npe tsis yog ntawv tso cai los ntawm tsev hais plaub. Hais kom lawv muab xa hauv qab qhov rooj los sis qhia ntawm qhov rais.
            - **Tsis txhob kos npe rau dab tsi** uas koj tsis nkag siab los sis tsis tau qhia rau ib tug kws lij choj.
            - **Thov ib tug kws lij choj.** Koj muaj cai tham nrog ib tug kws lij choj. Hais tias: "Kuv xav tham nrog ib tug kws lij choj."
            - **Tsis txhob dag thiab tsis txhob qhia cov ntaub ntawv cuav.** Nyob twj ywm yog koj txoj cai; kev dag tuaj yeem ua rau koj raug mob.
            - **Yog koj pom cov tub ceev xwm, saib thiab kaw duab ntawm qhov deb uas nyab xeeb.** Koj tuaj yeem kaw duab hauv qhov chaw pej xeem. Tsis txhob cuam tshuam, tsis txhob thaiv, tsis txhob kov leej twg. Sau lub sij hawm, qhov chaw, pes tsawg tus tub ceev xwm thiab tsheb, thiab qhia rau peb.

            Qhov no yog cov ntaub ntawv dav dav xwb, tsis yog kev qhia txog kev cai lij choj. Nqa tus xov tooj ntawm ib lub chaw pab txog kev cai lij choj los sis kab xov tooj teb sai hauv koj cheeb tsam nrog koj.
            """,
    };
}
