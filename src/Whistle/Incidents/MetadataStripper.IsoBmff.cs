using System.Buffers.Binary;

namespace Whistle.Incidents;

/// <summary>The MP4/QuickTime half of <see cref="MetadataStripper"/>: location boxes become <c>free</c> boxes of the same size.</summary>
public static partial class MetadataStripper
{
    private static readonly HashSet<string> Containers = ["moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "udta", "mvex", "moof", "traf"];
    private const string Xyz = "\u00A9xyz", Loci = "loci";
    /// <summary>A <c>meta</c> box bigger than this (cover art, say) is blanked whole rather than read into memory.</summary>
    private const int MetaLimit = 16 << 20;

    /// <summary>
    /// Rewrites an MP4/QuickTime box tree without its location, streaming: no re-encoding, and every box keeps its
    /// size and place, so the sample tables' chunk offsets (<c>stco</c>/<c>co64</c>) into <c>mdat</c> stay right.
    /// A removed box becomes a <c>free</c> box of the same size, its payload zeros. Removed: <c>©xyz</c> (QuickTime and
    /// ffmpeg's ISO 6709 string) and <c>loci</c> (3GPP location) wherever they are; any <c>udta</c> or <c>meta</c>
    /// inside a track; in a movie-level <c>meta</c> (QuickTime <c>keys</c>/<c>ilst</c>), each key whose name says
    /// location (<c>com.apple.quicktime.location.ISO6709</c>, ffmpeg's <c>location</c>…) has its name zeroed and its
    /// <c>ilst</c> value blanked, as are <c>©xyz</c> items.
    /// </summary>
    public static Task StripIsoBmffAsync(Stream input, Stream output, CancellationToken ct) =>
        CopyBoxesAsync(input, output, input.CanSeek ? input.Length - input.Position : null, false, top: true, ct);

    private static async Task CopyBoxesAsync(Stream input, Stream output, long? length, bool inTrack, bool top, CancellationToken ct)
    {
        long remaining = length ?? long.MaxValue;
        var header = new byte[16];
        bool first = top;
        while (remaining > 0)
        {
            if (remaining < 8)
            {
                // A QuickTime udta's closing 32-bit zero, or padding: copied as it is.
                await CopyAsync(input, output, remaining, zero: false, ct);
                return;
            }
            int got = await input.ReadAtLeastAsync(header.AsMemory(0, 8), 8, throwOnEndOfStream: false, ct);
            if (got == 0 && length is null) return;
            if (got < 8) throw new InvalidDataException("The video ends in the middle of a box header.");
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = System.Text.Encoding.Latin1.GetString(header, 4, 4);
            if (top && !type.All(c => c is >= ' ' and <= '~' or '\u00A9'))
                throw new InvalidDataException("Not an MP4 or QuickTime file: a box type is not a name.");
            if (first && type != "ftyp" && !MediaTypes.Matches("video/quicktime", header.AsSpan(0, 8)))
                throw new InvalidDataException("Not an MP4 or QuickTime file.");
            first = false;
            int headerLength = 8;
            if (size == 1)
            {
                await ReadExactAsync(input, header.AsMemory(8, 8), ct);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                headerLength = 16;
            }
            long payload;
            if (size == 0) payload = length is null ? -1 : remaining - headerLength; // to the end
            else
            {
                if (size < headerLength || size > remaining) throw new InvalidDataException($"The box {type} is larger than what holds it.");
                payload = size - headerLength;
            }
            if (payload < -1) throw new InvalidDataException("A box is shorter than its header.");

            bool blank = type is Xyz or Loci || (inTrack && type is "udta" or "meta");
            if (type == "meta" && !blank && payload is >= 0 and <= MetaLimit)
            {
                var meta = new byte[payload];
                await ReadExactAsync(input, meta, ct);
                ScrubMeta(meta);
                await output.WriteAsync(header.AsMemory(0, headerLength), ct);
                await output.WriteAsync(meta, ct);
            }
            else if (blank || type == "meta")
            {
                "free"u8.CopyTo(header.AsSpan(4));
                await output.WriteAsync(header.AsMemory(0, headerLength), ct);
                await CopyAsync(input, output, payload, zero: true, ct);
            }
            else if (Containers.Contains(type) && payload >= 0)
            {
                await output.WriteAsync(header.AsMemory(0, headerLength), ct);
                await CopyBoxesAsync(input, output, payload, inTrack || type == "trak", top: false, ct);
            }
            else
            {
                await output.WriteAsync(header.AsMemory(0, headerLength), ct);
                await CopyAsync(input, output, payload, zero: false, ct);
            }
            if (payload < 0) return;
            remaining -= headerLength + payload;
        }
    }

    /// <summary>Copies <paramref name="count"/> bytes (-1: to the end), or writes as many zeros in their place.</summary>
    private static async Task CopyAsync(Stream input, Stream output, long count, bool zero, CancellationToken ct)
    {
        var buffer = new byte[(int)Math.Min(1 << 16, count < 0 ? 1 << 16 : Math.Max(count, 1))];
        long left = count < 0 ? long.MaxValue : count;
        while (left > 0)
        {
            int n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct);
            if (n == 0)
            {
                if (count < 0) return;
                throw new InvalidDataException("The video ends in the middle of a box.");
            }
            if (zero) Array.Clear(buffer, 0, n);
            await output.WriteAsync(buffer.AsMemory(0, n), ct);
            left -= n;
        }
    }

    /// <summary>A <c>meta</c> box's payload, in place: location keys zeroed and their <c>ilst</c> values blanked.</summary>
    internal static void ScrubMeta(Span<byte> meta)
    {
        // QuickTime's meta is a plain container (hdlr first); ISO's is a full box (4 bytes of version and flags first).
        int start = meta.Length >= 8 && meta.Slice(4, 4).SequenceEqual("hdlr"u8) ? 0 : 4;
        var locationKeys = new HashSet<uint>();
        foreach (var (offset, size, type) in Children(meta, start))
        {
            if (type != "keys" || size < 16) continue;
            var keys = meta.Slice(offset + 16, (int)size - 16);
            uint index = 1;
            while (keys.Length >= 8)
            {
                int keySize = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(keys), int.MaxValue);
                if (keySize < 8 || keySize > keys.Length) break;
                var name = keys.Slice(8, keySize - 8);
                if (System.Text.Encoding.UTF8.GetString(name).Contains("location", StringComparison.OrdinalIgnoreCase))
                {
                    locationKeys.Add(index);
                    name.Clear();
                }
                keys = keys[keySize..];
                index++;
            }
        }
        foreach (var (offset, size, type) in Children(meta, start))
        {
            if (type != "ilst") continue;
            foreach (var (itemOffset, itemSize, itemType) in Children(meta.Slice(offset, (int)size), 8))
            {
                var item = meta.Slice(offset + itemOffset, (int)itemSize);
                if (itemType == Xyz || locationKeys.Contains(BinaryPrimitives.ReadUInt32BigEndian(item[4..])))
                {
                    "free"u8.CopyTo(item[4..]);
                    item[8..].Clear();
                }
            }
        }
    }

    /// <summary>The boxes directly inside <paramref name="parent"/> from <paramref name="start"/>: offset, size, type (32-bit sizes only).</summary>
    private static List<(int Offset, long Size, string Type)> Children(ReadOnlySpan<byte> parent, int start)
    {
        var list = new List<(int, long, string)>();
        int at = start;
        while (at + 8 <= parent.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(parent[at..]);
            if (size < 8 || at + size > parent.Length) break;
            list.Add((at, size, System.Text.Encoding.Latin1.GetString(parent.Slice(at + 4, 4))));
            at += (int)size;
        }
        return list;
    }
}
