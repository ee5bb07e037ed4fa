using System.Net.Http.Json;
using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;

namespace Whistle.Tests.Api;

/// <summary>
/// What the evidence tests need around them: incidents made with their "created"
/// custody entry (through POST /api/v1/incidents),
/// small image files built byte by byte, and a look into the evidence store.
/// </summary>
public static class EvidenceFixtures
{
    public static async Task<Guid> CreateIncidentAsync(WhistleApp app, string title = "Shooting at Lake St & 14th Ave")
    {
        var documenter = await app.StaffAsync("documenter");
        var res = await documenter.PostAsJsonAsync("/api/v1/incidents", new
        {
            title, occurredAt = DateTimeOffset.UtcNow.AddHours(-3), place = "Lake St & 14th Ave", category = "shooting",
            agencies = new[] { "ice" }, peopleAffected = 1, injured = 1,
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!.GetValue<Guid>();
    }

    /// <summary>A timeline entry, a claim and two witness statements (one consenting to legal use), with names and contacts encrypted.</summary>
    public static async Task AddRecordsAsync(WhistleApp app, Guid incidentId, long evidenceId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
        var now = DateTimeOffset.UtcNow;
        db.Timeline.Add(new TimelineEntry { IncidentId = incidentId, At = now.AddHours(-3), Source = "witness 1", Text = "Two vehicles stop", AddedBy = "d", AddedAt = now });
        db.Claims.Add(new Claim
        {
            IncidentId = incidentId, ClaimantName = "Agency spokesperson", Text = "The officer was threatened", Disputed = true, DisputeNote = "the video shows no threat", AddedBy = "d", AddedAt = now,
            Evidence = [new ClaimEvidence { EvidenceId = evidenceId, Stance = ClaimStance.Contradicts, Note = "the video shows no threat" }],
        });
        db.Witnesses.Add(new WitnessStatement
        {
            IncidentId = incidentId, TextCipher = keys.Encrypt("I saw it from the bus stop.", Purpose.WitnessText), Consent = ConsentScope.Legal, ConsentAt = now.AddHours(-1), TakenAt = now, TakenBy = "d",
            NameCipher = keys.Encrypt("Legal Witness-Name", Purpose.WitnessName),
            ContactCipher = keys.Encrypt("+16125550123", Purpose.WitnessContact),
        });
        db.Witnesses.Add(new WitnessStatement
        {
            IncidentId = incidentId, TextCipher = keys.Encrypt("I heard two shots.", Purpose.WitnessText), Consent = ConsentScope.Internal, ConsentAt = now.AddHours(-1), TakenAt = now, TakenBy = "d",
            NameCipher = keys.Encrypt("Private Witness-Name", Purpose.WitnessName),
            ContactCipher = keys.Encrypt("+16125550124", Purpose.WitnessContact),
        });
        await db.SaveChangesAsync();
        // Recorded in the custody log, as the API records them (else verify rightly reports them as added behind its back).
        var custody = scope.ServiceProvider.GetRequiredService<CustodyLog>();
        foreach (var r in (await custody.RecordsAsync(incidentId, default)).Where(r => r.Type is not ("incident" or "evidence")))
            await custody.AppendAsync(incidentId, r.Type + "_added", "d", r, default);
        await db.SaveChangesAsync();
    }

    public static async Task<List<CustodyEntry>> CustodyAsync(WhistleApp app, Guid incidentId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        return await db.Custody.AsNoTracking().Where(c => c.IncidentId == incidentId).OrderBy(c => c.Seq).ToListAsync();
    }

    public static async Task<CustodyVerdict> VerifyAsync(WhistleApp app, Guid incidentId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CustodyLog>().VerifyAsync(incidentId, scope.ServiceProvider.GetRequiredService<EvidenceStore>(), default);
    }

    public static EvidenceStore Store(WhistleApp app) => app.Services.GetRequiredService<EvidenceStore>();

    /// <summary>Every file under the store's folder (stored files and any temporary ones).</summary>
    public static string[] StoreFiles(WhistleApp app) =>
        Directory.Exists(Store(app).Root) ? Directory.GetFiles(Store(app).Root, "*", SearchOption.AllDirectories) : [];

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static ByteArrayContent Body(byte[] bytes, string mediaType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        return content;
    }

    // ------------------------------------------------------------------ a JPEG with GPS Exif

    public static byte[] Segment(byte marker, byte[] payload)
    {
        var s = new byte[4 + payload.Length];
        s[0] = 0xFF; s[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(s, 4);
        return s;
    }

    /// <summary>The GPS latitude 44° 57' 54.67" as the Exif rationals hold it: a byte pattern to look for.</summary>
    public static readonly byte[] GpsLatitudeRationals = [0, 0, 0, 44, 0, 0, 0, 1, 0, 0, 0, 57, 0, 0, 0, 1, 0, 0, 21, 91, 0, 0, 0, 100];

    /// <summary>
    /// APP1 "Exif": a big-endian TIFF header, IFD0 with one entry (GPSInfo → the GPS IFD), and a GPS IFD with
    /// GPSLatitudeRef "N" and GPSLatitude (three rationals).
    /// </summary>
    public static byte[] ExifWithGps()
    {
        var tiff = new List<byte>();
        void U16(int v) { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); }
        void U32(int v) { U16(v >> 16); U16(v & 0xFFFF); }
        tiff.AddRange("MM"u8.ToArray()); U16(42); U32(8);
        // IFD0 at 8: 1 entry (12 bytes) + next-IFD offset → 8 + 2 + 12 + 4 = 26: the GPS IFD.
        U16(1); U16(0x8825); U16(4); U32(1); U32(26); U32(0);
        // GPS IFD at 26: 2 entries → 26 + 2 + 24 + 4 = 56: the rationals.
        U16(2);
        U16(0x0001); U16(2); U32(2); tiff.AddRange("N\0\0\0"u8.ToArray());
        U16(0x0002); U16(5); U32(3); U32(56);
        U32(0);
        tiff.AddRange(GpsLatitudeRationals);
        return [.. "Exif\0\0"u8.ToArray(), .. tiff];
    }

    public static readonly byte[] Jfif = Segment(0xE0, [.. "JFIF\0"u8.ToArray(), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    public static readonly byte[] Exif = Segment(0xE1, ExifWithGps());
    public static readonly byte[] Xmp = Segment(0xE1, Encoding.ASCII.GetBytes("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>44,57.91N</exif:GPSLatitude></x:xmpmeta>"));
    public static readonly byte[] Comment = Segment(0xFE, Encoding.ASCII.GetBytes("taken at 44.965 -93.256"));

    /// <summary>
    /// A 1×1 grey baseline JPEG a decoder accepts: quantisation table, frame header, one DC and one AC Huffman
    /// table of a single 1-bit code each, the scan (DC difference 0, end of block, padded with ones), EOI.
    /// </summary>
    public static readonly byte[] ImageData =
    [
        .. Segment(0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]),
        .. Segment(0xC0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]),
        .. Segment(0xC4, [0x00, 1, .. new byte[15], 0]),
        .. Segment(0xC4, [0x10, 1, .. new byte[15], 0]),
        .. Segment(0xDA, [1, 1, 0x00, 0, 63, 0]),
        0x3F, 0xFF, 0xD9,
    ];

    public static byte[] JpegWithGps() => [0xFF, 0xD8, .. Jfif, .. Exif, .. Xmp, .. Comment, .. ImageData];

    /// <summary>The same JPEG as the public copy must be: the APP1 (Exif, XMP) and COM segments gone, the rest byte for byte.</summary>
    public static byte[] JpegWithoutMetadata() => [0xFF, 0xD8, .. Jfif, .. ImageData];

    // ------------------------------------------------------------------ a PNG with text and eXIf chunks

    public static byte[] Chunk(string type, byte[] data)
    {
        var c = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(c, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(c, 4);
        data.CopyTo(c, 8);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(8 + data.Length), Crc32(c.AsSpan(4, 4 + data.Length)));
        return c;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    public static readonly byte[] PngSig = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    public static readonly byte[] Ihdr = Chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    public static readonly byte[] Idat = Chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
    public static readonly byte[] Iend = Chunk("IEND", []);

    public static byte[] PngWithLocation() =>
        [.. PngSig, .. Ihdr, .. Chunk("tEXt", Encoding.ASCII.GetBytes("Location\044.965,-93.256")), .. Chunk("eXIf", ExifWithGps()[6..]), .. Idat, .. Iend];

    public static byte[] PngWithoutMetadata() => [.. PngSig, .. Ihdr, .. Idat, .. Iend];
}
