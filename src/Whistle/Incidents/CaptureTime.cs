using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Whistle.Incidents;

/// <summary>When a file says it was captured, and where in the file that was read.</summary>
public sealed record CaptureStamp(DateTimeOffset At, string Source);

/// <summary>
/// Reads the capture time a photo or video carries in its own metadata — what the camera wrote, not what the
/// uploader says: EXIF <c>DateTimeOriginal</c> (with <c>OffsetTimeOriginal</c> when present, else the network's time
/// zone) for JPEG; for MP4/QuickTime the <c>©day</c> or <c>com.apple.quicktime.creationdate</c> text (it carries the
/// camera's zone) or else the movie header's <c>creation_time</c> (seconds since 1904, UTC). Reads only headers:
/// boxes and segments are skipped by seeking, so a 2 GB video costs a few reads. Null when the file has none.
/// </summary>
public static class CaptureTime
{
    public const string ExifOriginal = "exif:DateTimeOriginal", MovieHeader = "mp4:mvhd", MovieDay = "mp4:\u00A9day", AppleDate = "mp4:com.apple.quicktime.creationdate";

    private static readonly DateTimeOffset Epoch1904 = new(1904, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static CaptureStamp? Read(Stream seekable, string mediaType, TimeZoneInfo zone)
    {
        try
        {
            return mediaType switch
            {
                "image/jpeg" => Jpeg(seekable, zone),
                "video/mp4" or "video/quicktime" or "audio/mp4" => Movie(seekable),
                _ => null,
            };
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException or FormatException or OverflowException)
        {
            return null; // metadata that does not parse is no capture time
        }
    }

    // ---------------------------------------------------------------- JPEG / EXIF

    private static CaptureStamp? Jpeg(Stream s, TimeZoneInfo zone)
    {
        Span<byte> two = stackalloc byte[2];
        s.ReadExactly(two);
        if (two[0] != 0xFF || two[1] != 0xD8) return null;
        while (true)
        {
            s.ReadExactly(two);
            if (two[0] != 0xFF) return null;
            byte code = two[1];
            if (code is 0xDA or 0xD9) return null; // image data: no metadata after it
            if (code is >= 0xD0 and <= 0xD7 or 0x01 or 0xFF) continue;
            s.ReadExactly(two);
            int length = BinaryPrimitives.ReadUInt16BigEndian(two) - 2;
            if (length < 0) return null;
            if (code == 0xE1)
            {
                var body = new byte[length];
                s.ReadExactly(body);
                if (body.AsSpan().StartsWith("Exif\0\0"u8) && Exif(body.AsSpan(6), zone) is { } stamp) return stamp;
            }
            else s.Seek(length, SeekOrigin.Current);
        }
    }

    private static CaptureStamp? Exif(ReadOnlySpan<byte> tiff, TimeZoneInfo zone)
    {
        if (tiff.Length < 8) return null;
        bool little = tiff[0] == 'I';
        uint U32(ReadOnlySpan<byte> t, int at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(t[at..]) : BinaryPrimitives.ReadUInt32BigEndian(t[at..]);
        ushort U16(ReadOnlySpan<byte> t, int at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(t[at..]) : BinaryPrimitives.ReadUInt16BigEndian(t[at..]);
        string? Ascii(ReadOnlySpan<byte> t, int entry)
        {
            uint count = U32(t, entry + 4);
            if (count is 0 or > 64) return null;
            int at = count <= 4 ? entry + 8 : (int)U32(t, entry + 8);
            if (at < 0 || at + count > t.Length) return null;
            return Encoding.ASCII.GetString(t.Slice(at, (int)count)).TrimEnd('\0', ' ');
        }
        int? Find(ReadOnlySpan<byte> t, int ifd, ushort tag)
        {
            if (ifd < 0 || ifd + 2 > t.Length) return null;
            int n = U16(t, ifd);
            for (int i = 0; i < n; i++)
            {
                int entry = ifd + 2 + 12 * i;
                if (entry + 12 > t.Length) return null;
                if (U16(t, entry) == tag) return entry;
            }
            return null;
        }
        int ifd0 = (int)U32(tiff, 4);
        if (Find(tiff, ifd0, 0x8769) is not { } exifPointer) return null;
        int exifIfd = (int)U32(tiff, exifPointer + 8);
        if (Find(tiff, exifIfd, 0x9003) is not { } original || Ascii(tiff, original) is not { } text) return null;
        if (!DateTime.TryParseExact(text, "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return null;
        TimeSpan offset = zone.GetUtcOffset(local);
        if (Find(tiff, exifIfd, 0x9011) is { } offsetEntry && Ascii(tiff, offsetEntry) is { Length: 6 } o
            && TimeSpan.TryParseExact(o[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var parsed))
            offset = o[0] == '-' ? -parsed : parsed;
        return new(new DateTimeOffset(local, offset), ExifOriginal);
    }

    // ---------------------------------------------------------------- MP4 / QuickTime

    private static CaptureStamp? Movie(Stream s)
    {
        var moov = FindBox(s, 0, s.Length, "moov");
        if (moov is not { } m || m.Size > 64 << 20) return null;
        s.Position = m.Start;
        var body = new byte[m.Size];
        s.ReadExactly(body);
        CaptureStamp? header = null, day = null;
        foreach (var (start, size, type) in Boxes(body, 0, body.Length))
        {
            var box = body.AsSpan(start, size);
            if (type == "mvhd" && box.Length >= 20)
            {
                ulong seconds = box[8] == 1 ? BinaryPrimitives.ReadUInt64BigEndian(box[12..]) : BinaryPrimitives.ReadUInt32BigEndian(box[12..]);
                if (seconds > 0 && seconds < 10_000_000_000) header = new(Epoch1904.AddSeconds(seconds), MovieHeader);
            }
            if (type is "udta" or "meta")
                day ??= Dated(body, start, size, type);
        }
        return day ?? header;
    }

    /// <summary>A ©day or creationdate inside udta/meta (QuickTime text, ilst data, or keys-indexed).</summary>
    private static CaptureStamp? Dated(byte[] body, int start, int size, string type)
    {
        int childStart = start + 8;
        if (type == "meta" && !(size >= 16 && Encoding.ASCII.GetString(body, start + 12, 4) == "hdlr")) childStart += 4;
        var keys = new Dictionary<uint, string>();
        foreach (var (cs, csize, ctype) in Boxes(body, childStart, start + size))
        {
            if (ctype == "\u00A9day" && csize > 12)
            {
                // QuickTime user data text: length (16 bits), language (16 bits), text.
                int len = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(cs + 8));
                if (Parse(Encoding.UTF8.GetString(body, cs + 12, Math.Min(len, csize - 12))) is { } at) return new(at, MovieDay);
            }
            if (ctype == "meta" && Dated(body, cs, csize, "meta") is { } inner) return inner;
            if (ctype == "keys" && csize >= 16)
            {
                int at = cs + 16; uint index = 1;
                while (at + 8 <= cs + csize)
                {
                    int ks = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
                    if (ks < 8 || at + ks > cs + csize) break;
                    keys[index++] = Encoding.UTF8.GetString(body, at + 8, ks - 8);
                    at += ks;
                }
            }
            if (ctype == "ilst")
                foreach (var (item, isize, itype) in Boxes(body, cs + 8, cs + csize))
                {
                    uint number = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(item + 4));
                    string? name = itype == "\u00A9day" ? "\u00A9day" : keys.GetValueOrDefault(number);
                    if (name is not ("\u00A9day" or "com.apple.quicktime.creationdate")) continue;
                    foreach (var (data, dsize, dtype) in Boxes(body, item + 8, item + isize))
                        if (dtype == "data" && dsize > 16 && Parse(Encoding.UTF8.GetString(body, data + 16, dsize - 16)) is { } when)
                            return new(when, name == "\u00A9day" ? MovieDay : AppleDate);
                }
        }
        return null;
    }

    private static DateTimeOffset? Parse(string text) =>
        DateTimeOffset.TryParse(text.Trim('\0', ' '), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static (long Start, long Size)? FindBox(Stream s, long from, long end, string wanted)
    {
        var header = new byte[16];
        long at = from;
        while (at + 8 <= end)
        {
            s.Position = at;
            s.ReadExactly(header.AsSpan(0, 8));
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.Latin1.GetString(header, 4, 4);
            int headerLength = 8;
            if (size == 1)
            {
                s.ReadExactly(header.AsSpan(8, 8));
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                headerLength = 16;
            }
            else if (size == 0) size = end - at;
            if (size < headerLength) return null;
            if (type == wanted) return (at + headerLength, size - headerLength);
            at += size;
        }
        return null;
    }

    private static List<(int Start, int Size, string Type)> Boxes(byte[] body, int from, int end)
    {
        var list = new List<(int, int, string)>();
        int at = from;
        while (at + 8 <= end)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
            if (size < 8 || at + size > end) break;
            list.Add((at, (int)size, Encoding.Latin1.GetString(body, at + 4, 4)));
            at += (int)size;
        }
        return list;
    }
}
