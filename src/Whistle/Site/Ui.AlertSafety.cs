namespace Whistle.Site;

public static partial class Ui
{
    // Words for alert content safety (officer-identifying text, public words). Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> AlertSafetyTexts = new()
    {
        ["en"] = new(),
        ["es"] = new(),
        ["so"] = new(),
        ["hmn"] = new(),
    };
}
