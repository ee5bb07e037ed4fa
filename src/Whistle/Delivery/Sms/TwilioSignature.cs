using System.Security.Cryptography;
using System.Text;

namespace Whistle.Delivery.Sms;

/// <summary>
/// Twilio's webhook signature (X-Twilio-Signature): Base64 of HMAC-SHA1, keyed by the auth token,
/// over the full URL Twilio called followed by every POST parameter as name+value, sorted by name.
/// </summary>
public static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal)) data.Append(key).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>A form's fields as Twilio signs them: a field given several times contributes each value, in order.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Fields(IFormCollection form) =>
        form.SelectMany(f => f.Value.Select(v => KeyValuePair.Create(f.Key, v ?? "")));

    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form, string? signature) =>
        !string.IsNullOrEmpty(signature) && !string.IsNullOrEmpty(authToken)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(authToken, url, form)), Encoding.ASCII.GetBytes(signature));
}
