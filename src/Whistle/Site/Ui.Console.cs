namespace Whistle.Site;

public static partial class Ui
{
    /// <summary>The staff console's words, by language (English is the source).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> ConsoleTexts = new()
    {
        ["en"] = new(),
    };
}
