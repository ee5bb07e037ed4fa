using System.Buffers.Binary;

namespace Whistle.Incidents;

/// <summary>
/// Makes an image's public copy without the metadata that can say where and on what it was taken: a streaming
/// walk over the file's segments (JPEG) or chunks (PNG) that keeps only what draws the primary picture, on an
/// allow-list. No image library, no decoding: the picture itself is the same bytes as the original.
/// <list type="bullet">
/// <item>JPEG: keeps the frame, tables and scans of the first image (SOF, DHT, DQT, DRI, DAC, SOS and the scan data,
/// RSTn, DNL) up to its EOI, plus a JFIF APP0 rewritten to its 14 fixed bytes (no thumbnail), an Adobe APP14 (the
/// colour transform, its 12 fixed bytes) and the ICC colour profile (APP2 "ICC_PROFILE"). Every other APPn (Exif
/// with its GPS IFD and IFD1 thumbnail, XMP, MPF's index of further images, JFXX thumbnails, Photoshop/IPTC, FlashPix…)
/// and every COM is dropped, wherever it stands (before the frame or between scans), and nothing after the first
/// image's EOI is copied: a multi-picture file's further images (MPF, or a JPEG appended), with their own Exif,
/// are gone. The one thing kept from Exif is the orientation, re-written as a new Exif holding only that tag.</item>
/// <item>PNG: keeps the critical chunks (IHDR, PLTE, IDAT, IEND) and an allow-list of ancillary ones that say how to
/// draw the picture (transparency, colour, gamma, pixel size, animation); drops eXIf, tEXt, zTXt, iTXt (XMP), tIME,
/// ImageMagick's exIf/zxIf and every other chunk; nothing after IEND is copied.</item>
/// <item>MP4/QuickTime: see <see cref="StripIsoBmffAsync"/>: location boxes become <c>free</c> boxes of the same size.</item>
/// </list>
/// </summary>
public static partial class MetadataStripper
{
    public static bool CanStrip(string mediaType) => mediaType is "image/jpeg" or "image/png" or "video/mp4" or "video/quicktime";

    public static Task StripAsync(string mediaType, Stream input, Stream output, CancellationToken ct) => mediaType switch
    {
        "image/jpeg" => StripJpegAsync(input, output, ct),
        "image/png" => StripPngAsync(input, output, ct),
        "video/mp4" or "video/quicktime" => StripIsoBmffAsync(input, output, ct),
        _ => throw new NotSupportedException(mediaType),
    };

    private const byte Sos = 0xDA, Eoi = 0xD9, App0 = 0xE0, App2 = 0xE2, App14 = 0xEE, App1 = 0xE1;

    /// <summary>Markers whose segments draw the picture: SOF0–SOF15 with DHT (C4) and DAC (CC), DQT, DNL, DRI.</summary>
    private static bool Essential(int code) => code is >= 0xC0 and <= 0xCF and not 0xC8 || code is 0xDB or 0xDC or 0xDD;

    public static async Task StripJpegAsync(Stream input, Stream output, CancellationToken ct)
    {
        var reader = new ByteReader(input);
        var two = new byte[2];
        if (!await reader.ReadExactAsync(two, ct) || two[0] != 0xFF || two[1] != 0xD8)
            throw new InvalidDataException("Not a JPEG: no start-of-image marker.");
        await output.WriteAsync(two, ct);
        var segment = new byte[ushort.MaxValue];
        bool jfifWritten = false, orientationWritten = false;
        int pending = -1; // a marker the scan data ended on
        while (true)
        {
            int code;
            if (pending >= 0) { code = pending; pending = -1; }
            else
            {
                // A marker: 0xFF (possibly repeated as fill), then its code.
                int b = await reader.ReadByteAsync(ct);
                if (b < 0) return; // ends without EOI: what came before is all there is
                if (b != 0xFF) throw new InvalidDataException("Not a JPEG: expected a marker.");
                do code = await reader.ReadByteAsync(ct); while (code == 0xFF);
                if (code < 0) return;
            }
            if (code == Eoi)
            {
                // The first image ends here; anything after it (a second picture, its Exif) is not copied.
                await output.WriteAsync(new byte[] { 0xFF, Eoi }, ct);
                return;
            }
            if (code is >= 0xD0 and <= 0xD7 or 0x01)
            {
                await output.WriteAsync(new byte[] { 0xFF, (byte)code }, ct);
                continue;
            }
            if (!await reader.ReadExactAsync(two, ct)) throw new InvalidDataException("The file ends in the middle of a segment.");
            int length = BinaryPrimitives.ReadUInt16BigEndian(two);
            if (length < 2) throw new InvalidDataException("Not a JPEG: a segment length is shorter than its own field.");
            var body = segment.AsMemory(0, length - 2);
            if (!await reader.ReadExactAsync(body, ct)) throw new InvalidDataException("The file ends in the middle of a segment.");
            var span = body.Span;
            if (code == Sos || Essential(code))
            {
                await output.WriteAsync(new byte[] { 0xFF, (byte)code, two[0], two[1] }, ct);
                await output.WriteAsync(body, ct);
                if (code == Sos) pending = await CopyScanAsync(reader, output, ct);
            }
            else if (code == App0 && !jfifWritten && span.Length >= 12 && span[..5].SequenceEqual("JFIF\0"u8))
            {
                // Identifier, version, density units and densities; the thumbnail size set to 0×0, no thumbnail.
                jfifWritten = true;
                await output.WriteAsync(new byte[] { 0xFF, App0, 0, 16 }, ct);
                await output.WriteAsync(body[..12], ct);
                await output.WriteAsync(new byte[] { 0, 0 }, ct);
            }
            else if (code == App14 && span.Length >= 12 && span[..5].SequenceEqual("Adobe"u8))
            {
                await output.WriteAsync(new byte[] { 0xFF, App14, 0, 14 }, ct);
                await output.WriteAsync(body[..12], ct);
            }
            else if (code == App2 && span.Length > 14 && span[..12].SequenceEqual("ICC_PROFILE\0"u8))
            {
                await output.WriteAsync(new byte[] { 0xFF, App2, two[0], two[1] }, ct);
                await output.WriteAsync(body, ct);
            }
            else if (code == App1 && !orientationWritten && ExifOrientation(span) is { } orientation)
            {
                orientationWritten = true;
                await output.WriteAsync(OrientationOnlyExif(orientation), ct);
            }
            // Anything else (APPn, COM, JPGn, unknown markers) is dropped.
        }
    }

    /// <summary>
    /// Copies entropy-coded scan data (with its stuffed 0xFF00 bytes and RSTn markers) and returns the marker that
    /// ends it, or EOI when the file ends inside it.
    /// </summary>
    private static async Task<int> CopyScanAsync(ByteReader reader, Stream output, CancellationToken ct)
    {
        while (true)
        {
            var run = await reader.RunUntilFfAsync(ct);
            if (!run.IsEmpty) await output.WriteAsync(run, ct);
            int b = await reader.ReadByteAsync(ct);
            if (b < 0) return Eoi;
            // b is 0xFF.
            int code = await reader.ReadByteAsync(ct);
            while (code == 0xFF) code = await reader.ReadByteAsync(ct);
            if (code < 0) return Eoi;
            if (code == 0x00 || code is >= 0xD0 and <= 0xD7)
            {
                await output.WriteAsync(new byte[] { 0xFF, (byte)code }, ct);
                continue;
            }
            return code;
        }
    }

    /// <summary>The Orientation (tag 0x0112, 2–8) of an APP1 Exif's IFD0; null when there is none, it is 1, or the Exif is not readable.</summary>
    internal static ushort? ExifOrientation(ReadOnlySpan<byte> app1)
    {
        if (app1.Length < 14 || !app1[..6].SequenceEqual("Exif\0\0"u8)) return null;
        var tiff = app1[6..];
        bool little = tiff[0] == (byte)'I' && tiff[1] == (byte)'I';
        if (!little && !(tiff[0] == (byte)'M' && tiff[1] == (byte)'M')) return null;
        ushort U16(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
        uint U32(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
        uint ifd = U32(tiff[4..]);
        if (ifd > tiff.Length - 2) return null;
        int count = U16(tiff[(int)ifd..]);
        for (int i = 0; i < count; i++)
        {
            int at = (int)ifd + 2 + 12 * i;
            if (at + 12 > tiff.Length) return null;
            if (U16(tiff[at..]) != 0x0112 || U16(tiff[(at + 2)..]) != 3) continue;
            ushort value = U16(tiff[(at + 8)..]);
            return value is >= 2 and <= 8 ? value : null;
        }
        return null;
    }

    /// <summary>An APP1 segment holding an Exif with one tag, Orientation, and nothing else.</summary>
    internal static byte[] OrientationOnlyExif(ushort orientation)
    {
        byte[] s =
        [
            0xFF, App1, 0, 34, .. "Exif\0\0"u8,
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at 8
            0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, // one SHORT
            0, 0, 0, 0, // no next IFD (no thumbnail)
        ];
        return s;
    }

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The chunks a public copy keeps: critical ones and those that say how the picture is drawn.</summary>
    private static readonly HashSet<string> PngKept =
    [
        "IHDR", "PLTE", "IDAT", "IEND",
        "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCv", "cLLi", "bKGD", "hIST", "pHYs",
        "acTL", "fcTL", "fdAT",
    ];

    public static async Task StripPngAsync(Stream input, Stream output, CancellationToken ct)
    {
        var sig = new byte[8];
        await ReadExactAsync(input, sig, ct);
        if (!sig.AsSpan().SequenceEqual(PngSignature)) throw new InvalidDataException("Not a PNG: no signature.");
        await output.WriteAsync(sig, ct);
        var header = new byte[8];
        var buffer = new byte[1 << 16];
        while (true)
        {
            int first = await input.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct);
            if (first == 0) return;
            if (first < header.Length) throw new InvalidDataException("Not a PNG: a chunk header is cut short.");
            long length = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = System.Text.Encoding.ASCII.GetString(header, 4, 4);
            bool keep = PngKept.Contains(type);
            if (keep) await output.WriteAsync(header, ct);
            long left = length + 4; // data and CRC
            while (left > 0)
            {
                var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, left));
                await ReadExactAsync(input, chunk, ct);
                if (keep) await output.WriteAsync(chunk, ct);
                left -= chunk.Length;
            }
            if (type == "IEND") return; // whatever is appended after the image is not copied
        }
    }

    /// <summary>A buffered reader for the JPEG walk: a byte at a time without a read call per byte.</summary>
    private sealed class ByteReader(Stream s)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _pos, _len;

        private async ValueTask<bool> FillAsync(CancellationToken ct)
        {
            if (_pos < _len) return true;
            _len = await s.ReadAsync(_buffer, ct);
            _pos = 0;
            return _len > 0;
        }

        /// <summary>The next byte, or -1 at the end.</summary>
        public async ValueTask<int> ReadByteAsync(CancellationToken ct) => await FillAsync(ct) ? _buffer[_pos++] : -1;

        public async ValueTask<bool> ReadExactAsync(Memory<byte> target, CancellationToken ct)
        {
            while (!target.IsEmpty)
            {
                if (!await FillAsync(ct)) return false;
                int n = Math.Min(target.Length, _len - _pos);
                _buffer.AsMemory(_pos, n).CopyTo(target);
                _pos += n;
                target = target[n..];
            }
            return true;
        }

        /// <summary>The buffered bytes up to (not including) the next 0xFF; empty at the end or when 0xFF is next.</summary>
        public async ValueTask<ReadOnlyMemory<byte>> RunUntilFfAsync(CancellationToken ct)
        {
            if (!await FillAsync(ct)) return ReadOnlyMemory<byte>.Empty;
            int at = _buffer.AsSpan(_pos, _len - _pos).IndexOf((byte)0xFF);
            int n = at < 0 ? _len - _pos : at;
            var run = _buffer.AsMemory(_pos, n);
            _pos += n;
            return run;
        }
    }

    private static async Task<int> ReadByteAsync(Stream s, CancellationToken ct)
    {
        var one = new byte[1];
        await ReadExactAsync(s, one, ct);
        return one[0];
    }

    private static async Task ReadExactAsync(Stream s, Memory<byte> buffer, CancellationToken ct)
    {
        try { await s.ReadExactlyAsync(buffer, ct); }
        catch (EndOfStreamException) { throw new InvalidDataException("The file ends in the middle of a segment."); }
    }
}
