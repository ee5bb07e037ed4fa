namespace Whistle.Site;

public static partial class Ui
{
    private static readonly Dictionary<string, Dictionary<string, string>> Evidence13Texts = new()
    {
        ["en"] = new()
        {
            ["c.inc.fileCaptured"] = "From the file",
            ["c.inc.stated"] = "As stated",
            ["c.inc.app"] = "App",
        },
        ["es"] = new()
        {
            ["c.inc.fileCaptured"] = "Según el archivo",
            ["c.inc.stated"] = "Según quien lo subió",
            ["c.inc.app"] = "Aplicación",
        },
        ["so"] = new()
        {
            ["c.inc.fileCaptured"] = "Sida faylku sheegayo",
            ["c.inc.stated"] = "Sida la sheegay",
            ["c.inc.app"] = "Barnaamijka",
        },
        ["hmn"] = new()
        {
            ["c.inc.fileCaptured"] = "Raws li daim ntawv file hais",
            ["c.inc.stated"] = "Raws li tus xa tuaj hais",
            ["c.inc.app"] = "App siv",
        },
    };
}
