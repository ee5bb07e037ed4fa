using System.Security.Cryptography;
using System.Text;
using Whistle.Incidents;
using Whistle.Privacy;

namespace Whistle.Tests.Unit;

public sealed class CustodyKeyTests
{
    [Fact]
    public void The_custody_key_survives_the_key_rings_JSON_and_rotation_and_an_old_ring_gets_one_saved()
    {
        var ring = KeyRing.CreateNew();
        Assert.True(ring.HasCustodyKey);
        using var key = ring.CustodyKey();
        var data = Encoding.UTF8.GetBytes(HeadStatement.Text(Guid.NewGuid(), 3, new string('a', 64), DateTimeOffset.UnixEpoch));
        var sig = key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        foreach (var again in new[] { KeyRing.FromJson(ring.ToJson()), ring.Rotate() })
        {
            using var k = again.CustodyKey();
            Assert.True(k.VerifyData(data, sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }

        // A ring written before the custody key existed: one is made on first use and saved to the key file.
        var old = System.Text.Json.Nodes.JsonNode.Parse(ring.ToJson())!.AsObject();
        old.Remove("custody");
        var file = Path.Combine(Directory.CreateTempSubdirectory("whistle-keys-").FullName, "keys.json");
        var legacy = KeyRing.FromJson(old.ToJsonString());
        Assert.False(legacy.HasCustodyKey);
        using var made = legacy.CustodyKey(file);
        using var reloaded = KeyRing.FromJson(File.ReadAllText(file)).CustodyKey();
        Assert.Equal(made.ExportSubjectPublicKeyInfo(), reloaded.ExportSubjectPublicKeyInfo());
        Assert.Equal(256, made.KeySize);
    }

    [Fact]
    public void The_head_statement_is_the_canonical_text_in_UTC_to_the_millisecond()
    {
        var id = Guid.Parse("0193f0c2-0000-7000-8000-000000000001");
        var at = new DateTimeOffset(2026, 12, 1, 17, 4, 5, 123, TimeSpan.FromHours(-6));
        Assert.Equal($"whistle-custody-head-v1\nincident {id}\nseq 42\nhash {new string('b', 64)}\nat 2026-12-01T23:04:05.123Z\n",
            HeadStatement.Text(id, 42, new string('b', 64), at));
    }
}
