using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Whistle.Privacy;

namespace Whistle.Identity;

/// <summary>
/// The keys that sign staff tokens (ASP.NET Core Data Protection, &lt;data dir&gt;/token-keys) are written encrypted with
/// Whistle's own key ring (keys.json or Whistle:Encryption:Keys, AES-256-GCM), not in the clear: a copy of token-keys
/// alone cannot mint a session. Whoever holds both the data dir and keys.json holds everything anyway (decision 0002);
/// issue 13 replaces this with a key ring of its own.
/// </summary>
public sealed class KeyRingXmlEncryptor(KeyRing ring) : IXmlEncryptor
{
    public const string Purpose = "dataprotection.keys";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
        new(new XElement("keyRingEncrypted",
                new XComment(" Encrypted with Whistle's key ring (keys.json or Whistle:Encryption:Keys). "),
                new XElement("value", Convert.ToBase64String(ring.Encrypt(plaintextElement.ToString(SaveOptions.DisableFormatting), Purpose)))),
            typeof(KeyRingXmlDecryptor));
}

/// <summary>Made by Data Protection from the type name stored with each key; reads the key ring from the services.</summary>
public sealed class KeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<KeyRing>()
            .Decrypt(Convert.FromBase64String(encryptedElement.Element("value")?.Value ?? ""), KeyRingXmlEncryptor.Purpose));
}

public static class TokenKeyProtection
{
    public static IServiceCollection ProtectTokenKeysWithKeyRing(this IServiceCollection services)
    {
        services.AddOptions<KeyManagementOptions>().Configure<KeyRing>((o, ring) =>
        {
            if (ring.IsDestroyed)
            {
                // After `keys destroy` (decision 0027): token keys live in memory only, for this process — staff sessions
                // and forms still work, and nothing readable is written beside the destroyed ring.
                o.XmlRepository = new MemoryXmlRepository();
                o.XmlEncryptor = null;
            }
            else o.XmlEncryptor = new KeyRingXmlEncryptor(ring);
        });
        return services;
    }
}

/// <summary>Token keys kept in memory only (the process ends, they are gone).</summary>
public sealed class MemoryXmlRepository : Microsoft.AspNetCore.DataProtection.Repositories.IXmlRepository
{
    private readonly List<XElement> _elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_elements) return _elements.Select(e => new XElement(e)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_elements) _elements.Add(new XElement(element));
    }
}
