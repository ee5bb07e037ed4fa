using System.Buffers.Binary;

namespace Whistle.Incidents;

/// <summary>
/// Makes an image's public copy without the metadata that can say where and on what it was taken: a streaming
/// walk over the file's segments (JPEG) or chunks (PNG) that copies everything else byte for byte. No image
/// library, no decoding: the picture itself is the same bytes as the original.
/// <list type="bullet">
/// <item>JPEG: drops APP1 (Exif with its GPS IFD, and XMP), APP13 (Photoshop/IPTC) and COM segments; everything
/// from the first SOS (start of scan: the image data) to the end is copied unchanged.</item>
/// <item>PNG: drops eXIf, tEXt, zTXt and iTXt chunks; other chunks (IHDR, IDAT, …) are copied with their CRCs.</item>
/// </list>
/// </summary>
public static class MetadataStripper
{
    public static bool CanStrip(string mediaType) => mediaType is "image/jpeg" or "image/png";

    public static Task StripAsync(string mediaType, Stream input, Stream output, CancellationToken ct) => mediaType switch
    {
        "image/jpeg" => StripJpegAsync(input, output, ct),
        "image/png" => StripPngAsync(input, output, ct),
        _ => throw new NotSupportedException(mediaType),
    };

    private const byte Sos = 0xDA, Eoi = 0xD9, App1 = 0xE1, App13 = 0xED, Com = 0xFE;

    public static async Task StripJpegAsync(Stream input, Stream output, CancellationToken ct)
    {
        var two = new byte[2];
        await ReadExactAsync(input, two, ct);
        if (two[0] != 0xFF || two[1] != 0xD8) throw new InvalidDataException("Not a JPEG: no start-of-image marker.");
        await output.WriteAsync(two, ct);
        var segment = new byte[ushort.MaxValue];
        while (true)
        {
            // A marker: 0xFF (possibly repeated as fill), then its code.
            int b = await ReadByteAsync(input, ct);
            if (b != 0xFF) throw new InvalidDataException("Not a JPEG: expected a marker.");
            int code;
            do code = await ReadByteAsync(input, ct); while (code == 0xFF);
            if (code == Sos || code == Eoi)
            {
                // The image data (and whatever follows it) goes through untouched.
                await output.WriteAsync(new byte[] { 0xFF, (byte)code }, ct);
                await input.CopyToAsync(output, 1 << 16, ct);
                return;
            }
            if (code is >= 0xD0 and <= 0xD7 or 0x01)
            {
                await output.WriteAsync(new byte[] { 0xFF, (byte)code }, ct);
                continue;
            }
            await ReadExactAsync(input, two, ct);
            int length = BinaryPrimitives.ReadUInt16BigEndian(two);
            if (length < 2) throw new InvalidDataException("Not a JPEG: a segment length is shorter than its own field.");
            var body = segment.AsMemory(0, length - 2);
            await ReadExactAsync(input, body, ct);
            if (code is App1 or App13 or Com) continue;
            await output.WriteAsync(new byte[] { 0xFF, (byte)code, two[0], two[1] }, ct);
            await output.WriteAsync(body, ct);
        }
    }

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly HashSet<string> PngDropped = ["eXIf", "tEXt", "zTXt", "iTXt"];

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
            bool keep = !PngDropped.Contains(type);
            if (keep) await output.WriteAsync(header, ct);
            long left = length + 4; // data and CRC
            while (left > 0)
            {
                var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, left));
                await ReadExactAsync(input, chunk, ct);
                if (keep) await output.WriteAsync(chunk, ct);
                left -= chunk.Length;
            }
            if (type == "IEND")
            {
                await input.CopyToAsync(output, 1 << 16, ct);
                return;
            }
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
