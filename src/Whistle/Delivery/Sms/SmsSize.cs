namespace Whistle.Delivery.Sms;

/// <summary>
/// How a text travels as SMS: in the GSM 03.38 7-bit alphabet (160 characters in one segment, 153
/// per segment when split) or, if any character is outside it, as UCS-2 (70, or 67 per segment).
/// Accented Spanish (á í ó ú) forces UCS-2; é ñ ü à do not. Carriers bill per segment.
/// </summary>
public readonly record struct SmsSize(string Encoding, int Units, int Segments)
{
    // GSM 03.38 default alphabet (one septet each) and its extension table (escape + one septet).
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "^{}\\[~]|€\f";
    private static readonly HashSet<char> BasicSet = [.. Basic];
    private static readonly HashSet<char> ExtensionSet = [.. Extension];

    public static SmsSize Of(string text)
    {
        int septets = 0;
        foreach (var c in text)
        {
            if (BasicSet.Contains(c)) septets += 1;
            else if (ExtensionSet.Contains(c)) septets += 2;
            else return Ucs2(text);
        }
        return new SmsSize("gsm7", septets, septets <= 160 ? 1 : (septets + 152) / 153);
    }

    private static SmsSize Ucs2(string text)
    {
        int units = text.Length; // UTF-16 code units: a character outside the BMP (an emoji) takes two
        return new SmsSize("ucs2", units, units <= 70 ? 1 : (units + 66) / 67);
    }
}
