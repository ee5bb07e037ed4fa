using Whistle.Incidents;

namespace Whistle.Tests.Unit;

public sealed class CustodyChainTests
{
    private static List<CustodyEntry> Chain(int n)
    {
        var id = Guid.NewGuid();
        var list = new List<CustodyEntry>();
        CustodyEntry? prev = null;
        for (int i = 0; i < n; i++)
        {
            prev = CustodyChain.Next(prev, id, i == 0 ? "created" : "edited", "doc@example.org",
                new DateTimeOffset(2026, 1, 7, 12, 0, i, TimeSpan.Zero), "incident", id.ToString(), new string((char)('a' + i % 6), 64));
            list.Add(prev);
        }
        return list;
    }

    [Fact]
    public void An_untouched_chain_verifies()
    {
        var v = CustodyChain.Verify(Chain(5));
        Assert.True(v.Intact);
        Assert.Equal(5, v.Entries);
        Assert.Null(v.FirstBrokenSeq);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_changed_entry_is_named(int seq)
    {
        var chain = Chain(5);
        chain[seq - 1].Actor = "someone-else@example.org";
        var v = CustodyChain.Verify(chain);
        Assert.False(v.Intact);
        Assert.Equal(seq, v.FirstBrokenSeq);
    }

    [Fact]
    public void A_rehashed_entry_breaks_the_next_link_and_a_removed_one_leaves_a_gap()
    {
        var chain = Chain(5);
        chain[1].Action = "viewed";
        chain[1].Hash = CustodyChain.HashOf(chain[1]); // a forger recomputes the entry's own hash…
        Assert.Equal(3, CustodyChain.Verify(chain).FirstBrokenSeq); // …and the next link no longer follows it

        var gap = Chain(5);
        gap.RemoveAt(2);
        Assert.Equal(3, CustodyChain.Verify(gap).FirstBrokenSeq);
    }

    [Fact]
    public void A_changed_evidence_file_is_named_by_its_entry()
    {
        var id = Guid.NewGuid();
        var first = CustodyChain.Next(null, id, "created", "a", DateTimeOffset.UnixEpoch, "incident", id.ToString(), new string('0', 64));
        var evidence = CustodyChain.Next(first, id, "evidence_added", "a", DateTimeOffset.UnixEpoch, "evidence", "1", new string('b', 64));
        Assert.True(CustodyChain.Verify([first, evidence], _ => new string('b', 64)).Intact);
        var v = CustodyChain.Verify([first, evidence], _ => new string('c', 64));
        Assert.Equal(2, v.FirstBrokenSeq);
        Assert.Contains("was changed", v.Reason);
        Assert.Contains("missing", CustodyChain.Verify([first, evidence], _ => null).Reason);
    }
}
