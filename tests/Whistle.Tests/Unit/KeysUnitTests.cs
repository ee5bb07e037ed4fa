using System.Text.Json.Nodes;
using CsCheck;
using Whistle.Privacy;

namespace Whistle.Tests.Unit;

/// <summary>Issue 13 §1 (decision 0027): the passphrase-wrapped ring, Shamir shares and the destroyable ring, without a host.</summary>
public sealed class KeysUnitTests
{
    // Small Argon2id costs keep the unit tests fast; the default (64 MiB, 3 passes) is what `keys wrap` uses.
    private static readonly KeyWrap.KdfParameters Cheap = new(MemoryKiB: 8 * 1024, Iterations: 1, Parallelism: 1);

    [Fact]
    public void A_wrapped_ring_opens_with_its_passphrase_and_keeps_its_keys_and_cost()
    {
        var ring = KeyRing.CreateNew();
        var wrapped = KeyWrap.Wrap(ring.ToJson(), "correct horse battery staple", Cheap);
        Assert.True(KeyWrap.IsWrapped(wrapped));
        Assert.False(KeyWrap.IsWrapped(ring.ToJson()));
        var node = JsonNode.Parse(wrapped)!;
        Assert.Equal("argon2id", node["kdf"]!.GetValue<string>());
        Assert.Equal(8 * 1024, node["memoryKiB"]!.GetValue<int>());
        Assert.DoesNotContain(JsonNode.Parse(ring.ToJson())!["hmac"]!.GetValue<string>(), wrapped);
        var back = KeyRing.FromJson(KeyWrap.Unwrap(wrapped, "correct horse battery staple"));
        Assert.Equal(ring.Hash("x"), back.Hash("x"));
        Assert.Equal("secret", back.Decrypt(ring.Encrypt("secret", Purpose.SubscriberAddress), Purpose.SubscriberAddress));
        Assert.Equal(65536, KeyWrap.KdfParameters.Default.MemoryKiB);
        Assert.Equal(3, KeyWrap.KdfParameters.Default.Iterations);
    }

    [Fact]
    public void A_wrong_passphrase_is_refused_with_a_clear_message()
    {
        var wrapped = KeyWrap.Wrap(KeyRing.CreateNew().ToJson(), "right", Cheap);
        var e = Assert.Throws<WrongPassphraseException>(() => KeyWrap.Unwrap(wrapped, "wrong"));
        Assert.Contains("passphrase does not open", e.Message);
    }

    [Theory]
    [InlineData("cipher")]
    [InlineData("tag")]
    [InlineData("salt")]
    [InlineData("nonce")]
    [InlineData("iterations")]
    [InlineData("memoryKiB")]
    public void A_tampered_file_does_not_open(string field)
    {
        var node = JsonNode.Parse(KeyWrap.Wrap(KeyRing.CreateNew().ToJson(), "pass", Cheap))!.AsObject();
        if (field is "iterations") node[field] = 2;
        else if (field is "memoryKiB") node[field] = 16 * 1024;
        else
        {
            var bytes = Convert.FromBase64String(node[field]!.GetValue<string>());
            bytes[0] ^= 1;
            node[field] = Convert.ToBase64String(bytes);
        }
        Assert.Throws<WrongPassphraseException>(() => KeyWrap.Unwrap(node.ToJsonString(), "pass"));
    }

    [Fact]
    public void Parameters_an_attacker_raised_to_exhaust_memory_are_refused_before_any_work()
    {
        var node = JsonNode.Parse(KeyWrap.Wrap(KeyRing.CreateNew().ToJson(), "pass", Cheap))!.AsObject();
        node["memoryKiB"] = int.MaxValue;
        Assert.Contains("parameters", Assert.Throws<WrongPassphraseException>(() => KeyWrap.Unwrap(node.ToJsonString(), "pass")).Message);
        Assert.Throws<WrongPassphraseException>(() => KeyWrap.Unwrap("{not json", "pass"));
    }

    [Fact]
    public void A_destroyed_ring_is_zeroed_and_refuses_every_keyed_operation()
    {
        var ring = KeyRing.CreateNew();
        var blob = ring.Encrypt("+16125550100", Purpose.SubscriberAddress);
        ring.Destroy();
        Assert.True(ring.IsDestroyed);
        Assert.Throws<KeysDestroyedException>(() => ring.Encrypt("x", Purpose.SubscriberAddress));
        Assert.Throws<KeysDestroyedException>(() => ring.Decrypt(blob, Purpose.SubscriberAddress));
        Assert.Throws<KeysDestroyedException>(() => ring.Hash("x"));
        Assert.Throws<KeysDestroyedException>(() => ring.ToJson());
        Assert.Throws<KeysDestroyedException>(() => ring.Rotate());
        // The key bytes themselves are zero: reflection reads what a memory dump would.
        var keys = (Dictionary<int, byte[]>)typeof(KeyRing).GetField("_keys", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(ring)!;
        var hmac = (byte[])typeof(KeyRing).GetField("_hmacKey", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(ring)!;
        Assert.All(keys.Values.Append(hmac), k => Assert.All(k, b => Assert.Equal(0, b)));
        Assert.True(KeyRing.Destroyed().IsDestroyed);
    }

    [Fact]
    public void Reused_cipher_and_mac_contexts_give_the_same_results_under_concurrency_and_none_outlives_Destroy()
    {
        // Issue 16 §3: the ring keeps its AES-GCM and HMAC contexts for reuse instead of making one per call.
        var ring = KeyRing.CreateNew();
        var expected = Enumerable.Range(0, 64).Select(i => Convert.ToHexString(ring.Hash("source:web:10.0." + i + ".0"))).ToArray();
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            Assert.Equal(expected[i % 64], Convert.ToHexString(ring.Hash("source:web:10.0." + (i % 64) + ".0")));
            var text = "report " + i;
            Assert.Equal(text, ring.Decrypt(ring.Encrypt(text, Purpose.ReporterContact), Purpose.ReporterContact));
            // A cipher of one purpose still does not open as another with a reused context.
            Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => ring.Decrypt(ring.Encrypt(text, Purpose.ReporterContact), Purpose.SubscriberAddress));
        });
        ring.Destroy();
        Assert.Throws<KeysDestroyedException>(() => ring.Hash("x"));
        Assert.Throws<KeysDestroyedException>(() => ring.Encrypt("x", Purpose.SubscriberAddress));
        // Every pooled context was disposed with the keys: none is left holding a copy of them.
        var flags = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        var macs = (System.Collections.Concurrent.ConcurrentQueue<System.Security.Cryptography.HMACSHA256>)typeof(KeyRing).GetField("_macs", flags)!.GetValue(ring)!;
        var ciphers = (System.Collections.Concurrent.ConcurrentDictionary<int, System.Collections.Concurrent.ConcurrentQueue<System.Security.Cryptography.AesGcm>>)typeof(KeyRing).GetField("_ciphers", flags)!.GetValue(ring)!;
        Assert.Empty(macs);
        Assert.All(ciphers.Values, Assert.Empty);
    }

    [Fact]
    public void Gf256_multiplication_has_inverses()
    {
        for (int a = 1; a < 256; a++)
            for (int b = 1; b < 256; b++)
                Assert.Equal((byte)a, Shamir.Div(Shamir.Mul((byte)a, (byte)b), (byte)b));
        Assert.Equal(0xC1, Shamir.Mul(0x57, 0x83)); // FIPS-197 §4.2
    }

    [Fact]
    public void Any_k_of_n_shares_restore_the_secret_and_k_minus_1_do_not() =>
        (from k in Gen.Int[2, 7]
         from n in Gen.Int[k, 10]
         from secret in Gen.Byte.Array[16, 64]
         from seed in Gen.Int
         select (k, n, secret, seed))
        .Sample((k, n, secret, seed) =>
        {
            var shares = Shamir.Split(secret, n, k);
            var rng = new Random(seed);
            var chosen = shares.OrderBy(_ => rng.Next()).ToList();
            Assert.Equal(secret, Shamir.Combine(chosen.Take(k).ToList()));
            Assert.Equal(secret, Shamir.Combine(chosen)); // more than k also works
            Assert.NotEqual(secret, Shamir.Combine(chosen.Take(k - 1).ToList()));
        }, iter: 300);

    [Fact]
    public void K_minus_1_shares_are_consistent_with_every_possible_secret()
    {
        // Three of five, one byte: for two shares and ANY candidate secret there is exactly one third share value
        // that completes them to that secret — so the two shares alone say nothing about which secret it is.
        var shares = Shamir.Split(new byte[] { 0x2A }, 5, 3);
        var known = shares.Take(2).ToList();
        for (int candidate = 0; candidate < 256; candidate++)
        {
            int completions = 0;
            for (int y = 0; y < 256; y++)
                if (Shamir.Combine([.. known, new Shamir.Share(shares[2].X, [(byte)y])])[0] == candidate) completions++;
            Assert.Equal(1, completions);
        }
    }

    [Fact]
    public void Share_files_restore_the_ring_and_refuse_too_few_mixed_repeated_or_altered_shares()
    {
        var ring = KeyRing.CreateNew().ToJson();
        var files = KeyBackup.Make(ring, 5, 3, new DateOnly(2026, 12, 1));
        Assert.Equal(5, files.Count);
        Assert.Contains("SHARE 2 OF 5", files[1].Text);
        Assert.Contains("Any 3 of the 5", files[1].Text);
        Assert.Contains("keys restore", files[1].Text);
        Assert.Equal(ring, KeyBackup.Restore([files[4], files[0], files[2]]));
        Assert.Equal(ring, KeyBackup.Restore([files[1], files[3], files[4], files[0]]));

        Assert.Contains("needs 3", Assert.Throws<StartupRefusal>(() => KeyBackup.Restore([files[0], files[1]])).Message);
        var other = KeyBackup.Make(KeyRing.CreateNew().ToJson(), 5, 3, new DateOnly(2026, 12, 1));
        Assert.Contains("another backup", Assert.Throws<StartupRefusal>(() => KeyBackup.Restore([files[0], files[1], other[2]])).Message);
        Assert.Contains("twice", Assert.Throws<StartupRefusal>(() => KeyBackup.Restore([files[0], files[1], files[1]])).Message);
        var data = files[2].Text.Split('\n').First(l => l.TrimStart().StartsWith("data: ")).Trim();
        // A character in the middle: every bit of it counts (the last ones before '=' padding may not).
        int at = data.Length / 2;
        var flipped = data[..at] + (data[at] == 'A' ? 'B' : 'A') + data[(at + 1)..];
        Assert.Contains("damaged", Assert.Throws<StartupRefusal>(() => KeyBackup.Restore([files[0], files[1], (files[2].Name, files[2].Text.Replace(data, flipped))])).Message);
        Assert.Contains("not a Whistle backup share", Assert.Throws<StartupRefusal>(() => KeyBackup.Restore([files[0], files[1], ("x.txt", "hello")])).Message);
        Assert.DoesNotContain(JsonNode.Parse(ring)!["hmac"]!.GetValue<string>(), string.Concat(files.Select(f => f.Text)));
    }
}
