namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> Registry14Texts = new()
    {
        ["en"] = new()
        {
            ["registry.allAreas"] = "All areas",
            ["registry.fewerThan"] = "fewer than {k}",
            ["registry.notShown"] = "Not listed (too few to group)",
            ["registry.smallNumbers.title"] = "Small numbers",
            ["registry.smallNumbers"] = "So that no row points to one household, each row shares its place, its period and its kind of incident with at least {k} incidents. Where there are fewer, the month becomes a quarter (Q1 = January to March) or a year, and the neighbourhood becomes all areas. Incidents that still cannot be grouped are counted but not listed, and any count below {k} reads \"fewer than {k}\".",
        },
        ["es"] = new()
        {
            ["registry.allAreas"] = "Todas las zonas",
            ["registry.fewerThan"] = "menos de {k}",
            ["registry.notShown"] = "No listados (demasiado pocos para agrupar)",
            ["registry.smallNumbers.title"] = "Números pequeños",
            ["registry.smallNumbers"] = "Para que ninguna fila señale a un hogar, cada fila comparte su lugar, su periodo y su tipo de incidente con al menos {k} incidentes. Donde hay menos, el mes pasa a ser un trimestre (Q1 = de enero a marzo) o un año, y el barrio pasa a ser todas las zonas. Los incidentes que aun así no se pueden agrupar se cuentan pero no se listan, y todo número menor que {k} se muestra como \"menos de {k}\".",
        },
        ["so"] = new()
        {
            ["registry.allAreas"] = "Dhammaan xaafadaha",
            ["registry.fewerThan"] = "ka yar {k}",
            ["registry.notShown"] = "Aan liiska lagu qorin (aad u yar si loo isku geeyo)",
            ["registry.smallNumbers.title"] = "Tirooyin yar",
            ["registry.smallNumbers"] = "Si aysan saf keliya u tilmaamin hal qoys, saf kastaa wuxuu meeshiisa, muddadiisa iyo nooca dhacdadiisa la wadaagaa ugu yaraan {k} dhacdo. Halka ay ka yar yihiin, bisha waxay noqotaa rubuc (Q1 = Janaayo ilaa Maarso) ama sannad, xaafadduna waxay noqotaa dhammaan xaafadaha. Dhacdooyinka aan weli la isku geyn karin waa la tiriyaa laakiin liiska laguma qoro, tiro kasta oo ka yar {k} waxay u muuqataa \"ka yar {k}\".",
        },
        ["hmn"] = new()
        {
            ["registry.allAreas"] = "Txhua thaj chaw",
            ["registry.fewerThan"] = "tsawg dua {k}",
            ["registry.notShown"] = "Tsis teev (tsawg dhau los muab ua pawg)",
            ["registry.smallNumbers.title"] = "Cov lej me",
            ["registry.smallNumbers"] = "Kom tsis muaj ib kab twg taw rau ib tsev neeg, txhua kab muaj tib qhov chaw, tib lub sij hawm thiab tib hom xwm txheej nrog tsawg kawg {k} xwm txheej. Qhov twg tsawg dua, lub hli hloov ua peb lub hlis (Q1 = Ib Hlis txog Peb Hlis) los yog ib xyoos, thiab lub zej zog hloov ua txhua thaj chaw. Cov xwm txheej uas tseem muab tsis tau ua pawg tsuas yog suav xwb tsis teev, thiab tus lej twg tsawg dua {k} yuav sau tias \"tsawg dua {k}\".",
        },
    };
}
