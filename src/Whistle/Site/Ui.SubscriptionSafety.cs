namespace Whistle.Site;

public static partial class Ui
{
    // Words for subscription safety (unsubscribe proof, code limits). Console keys start with "c." (they reach the console's scripts).
    // English is the source; es, so, hmn machine-assisted, for a native speaker's review.
    private static readonly Dictionary<string, Dictionary<string, string>> SubscriptionSafetyTexts = new()
    {
        ["en"] = new(),
        ["es"] = new(),
        ["so"] = new(),
        ["hmn"] = new(),
    };
}
