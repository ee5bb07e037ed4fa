using System.Formats.Asn1;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Incidents;

/// <summary>
/// A chain head pinned outside the server's control (decision 0031): the head statement, signed with the network's
/// custody key, and — when a time-stamping authority is configured — the TSA's RFC 3161 response over it. Rows are
/// only ever inserted.
/// </summary>
public class CustodyPin
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    /// <summary>The custody entry that was the head.</summary>
    public long Seq { get; set; }
    /// <summary>That entry's hash.</summary>
    public string HeadHash { get; set; } = "";
    /// <summary>When the head was signed (to the millisecond; it is written in the statement).</summary>
    public DateTimeOffset At { get; set; }
    /// <summary>The head statement exactly as signed and timestamped (head.txt in a bundle).</summary>
    public string Statement { get; set; } = "";
    /// <summary>ECDSA P-256 over SHA-256 of the statement, DER (head.sig).</summary>
    public byte[] Signature { get; set; } = [];
    /// <summary>The TSA's whole TimeStampResp (head.tsr), null when not timestamped.</summary>
    public byte[]? Token { get; set; }
    public string? TsaUrl { get; set; }
    /// <summary>The time the TSA vouches for (genTime), null when not timestamped.</summary>
    public DateTimeOffset? TimestampedAt { get; set; }
}

/// <summary>The "Whistle:Custody" settings.</summary>
public sealed class CustodyPinOptions
{
    /// <summary>An RFC 3161 time-stamping authority (e.g. https://freetsa.org/tsr). Empty: heads are signed only.</summary>
    public string? TsaUrl { get; set; }
    /// <summary>A head is pinned once it has not moved for this long (debounce).</summary>
    public double PinAfterSeconds { get; set; } = 60;
    /// <summary>How often the background service looks for heads to pin.</summary>
    public double PollSeconds { get; set; } = 30;
    /// <summary>An open incident's head is pinned again at least this often, moved or not.</summary>
    public double RepinHours { get; set; } = 24;
    /// <summary>How long one TSA request may take (an export waits at most this long).</summary>
    public double TsaTimeoutSeconds { get; set; } = 10;
}

/// <summary>The text a head pin signs: small, canonical, and readable by a person.</summary>
public static class HeadStatement
{
    public const string Version = "whistle-custody-head-v1";

    public static string Text(Guid incidentId, long seq, string hash, DateTimeOffset at) =>
        $"{Version}\nincident {incidentId:D}\nseq {seq.ToString(CultureInfo.InvariantCulture)}\nhash {hash}\nat {at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\n";
}

/// <summary>The custody key's public half, loaded once (the private half stays in the key ring).</summary>
public sealed class CustodySigner(KeyRing keys, IOptions<WhistleOptions> options, ILogger<CustodySigner> log)
{
    private ECDsa? _key;
    private readonly Lock _lock = new();

    private ECDsa Key()
    {
        lock (_lock)
        {
            if (_key is not null) return _key;
            var o = options.Value;
            var fromFile = string.IsNullOrWhiteSpace(o.Encryption.Keys);
            if (!keys.HasCustodyKey && !fromFile)
                log.LogWarning("The key ring from Whistle:Encryption:Keys has no \"custody\" key: one is made for this run only; "
                    + "add it to the setting, or chain heads signed now will not verify after a restart");
            // A ring from a file got its custody key, saved, when it was loaded (Data/DataSetup.cs).
            _key = keys.CustodyKey();
            return _key;
        }
    }

    /// <summary>SubjectPublicKeyInfo PEM: custody-key.pem and /.well-known/whistle-custody-key.pem.</summary>
    public string PublicKeyPem() => Key().ExportSubjectPublicKeyInfoPem() + "\n";

    /// <summary>DER (an ASN.1 SEQUENCE of r and s), as openssl dgst -verify reads it.</summary>
    public byte[] Sign(byte[] data) => Key().SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public bool Verifies(byte[] data, byte[] signature)
    {
        try { return Key().VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException) { return false; }
    }
}

/// <summary>Asks an RFC 3161 time-stamping authority to vouch for a statement.</summary>
public sealed class TsaClient(HttpClient http)
{
    /// <summary>The TSA's TimeStampResp, checked: granted, for this statement's SHA-256, with our nonce, signature valid.</summary>
    public async Task<(byte[] Response, DateTimeOffset GenTime)> TimestampAsync(string url, byte[] data, CancellationToken ct)
    {
        var request = Rfc3161TimestampRequest.CreateFromData(data, HashAlgorithmName.SHA256, requestedPolicyId: null,
            nonce: RandomNumberGenerator.GetBytes(8), requestSignerCertificates: true);
        using var content = new ByteArrayContent(request.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        using var res = await http.PostAsync(url, content, ct);
        res.EnsureSuccessStatusCode();
        var body = await res.Content.ReadAsByteArrayAsync(ct);
        if (body.Length is 0 or > 64 * 1024) throw new CryptographicException("The TSA's answer is empty or too large.");
        var token = request.ProcessResponse(body, out _);
        if (!token.VerifySignatureForData(data, out _)) throw new CryptographicException("The TSA's token does not verify.");
        return (body, token.TokenInfo.Timestamp);
    }

    /// <summary>The TimeStampToken inside a TimeStampResp (status, then the token).</summary>
    public static Rfc3161TimestampToken? Token(byte[] response)
    {
        try
        {
            var outer = new AsnReader(response, AsnEncodingRules.BER).ReadSequence();
            outer.ReadSequence(); // PKIStatusInfo
            if (!outer.HasData) return null;
            return Rfc3161TimestampToken.TryDecode(outer.ReadEncodedValue(), out var token, out _) ? token : null;
        }
        catch (AsnContentException) { return null; }
        catch (CryptographicException) { return null; }
    }

    /// <summary>The certificates the token carries (the TSA's, and any chain it sent), PEM.</summary>
    public static string ChainPem(Rfc3161TimestampToken token) =>
        string.Concat(token.AsSignedCms().Certificates.Cast<X509Certificate2>().Select(c => c.ExportCertificatePem() + "\n"));
}

public sealed record PinStatus(bool TsaConfigured, bool Timestamped, DateTimeOffset? LastTimestampAt, string? LastTimestampLocal,
    DateTimeOffset? LastSignedAt, long? LastSeq, string Summary);

public sealed record PinView(long Id, long Seq, string HeadHash, DateTimeOffset At, string Statement, bool Timestamped, string? TsaUrl, DateTimeOffset? TimestampedAt);

/// <summary>Signs and timestamps chain heads, and checks stored pins against the chain.</summary>
public sealed class CustodyPins(WhistleDb db, CustodySigner signer, TsaClient tsa, IOptions<CustodyPinOptions> options, TimeProvider time)
{
    private CustodyPinOptions O => options.Value;

    /// <summary>
    /// Pins <paramref name="head"/> (the incident's last entry, or the last one an export ships): signs it, asks the TSA
    /// (at most TsaTimeoutSeconds) when one is configured, and saves the pin. A TSA that fails leaves a signed-only pin
    /// (returned with the error); nothing here throws for the TSA's sake.
    /// </summary>
    public async Task<(CustodyPin Pin, string? TsaError)> PinAsync(CustodyEntry head, CancellationToken ct)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        var statement = HeadStatement.Text(head.IncidentId, head.Seq, head.Hash, at);
        var bytes = Encoding.UTF8.GetBytes(statement);
        var pin = new CustodyPin
        {
            IncidentId = head.IncidentId, Seq = head.Seq, HeadHash = head.Hash, At = at, Statement = statement, Signature = signer.Sign(bytes),
        };
        string? error = null;
        if (!string.IsNullOrWhiteSpace(O.TsaUrl))
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(O.TsaTimeoutSeconds));
            try
            {
                var (response, genTime) = await tsa.TimestampAsync(O.TsaUrl, bytes, cts.Token);
                pin.Token = response;
                pin.TsaUrl = O.TsaUrl;
                pin.TimestampedAt = genTime;
            }
            catch (Exception e) when (e is HttpRequestException or CryptographicException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                error = e.GetType().Name;
            }
        }
        db.Pins.Add(pin);
        await db.SaveChangesAsync(ct);
        return (pin, error);
    }

    /// <summary>
    /// Every stored pin of the incident against its chain: the entry at the pinned seq still has the pinned hash (a
    /// chain rewritten consistently is caught here), the statement says what the pin says, the signature verifies, the
    /// timestamp token is over the statement. Null when all hold; otherwise the first pin that fails, named.
    /// </summary>
    public async Task<CustodyVerdict?> CheckAsync(Guid incidentId, IReadOnlyList<CustodyEntry> chain, CancellationToken ct)
    {
        var pins = await db.Pins.AsNoTracking().Where(p => p.IncidentId == incidentId).OrderBy(p => p.Id).ToListAsync(ct);
        var bySeq = chain.ToDictionary(e => e.Seq);
        foreach (var p in pins)
        {
            CustodyVerdict Broken(string why) => new(false, chain.Count, p.Seq, $"the chain head pinned at {p.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (entry {p.Seq}) {why}");
            if (!bySeq.TryGetValue(p.Seq, out var entry)) return Broken("is no longer in the chain");
            if (entry.Hash != p.HeadHash) return Broken($"had hash {p.HeadHash}; the entry now hashes to {entry.Hash}: the chain was rewritten");
            if (p.Statement != HeadStatement.Text(p.IncidentId, p.Seq, p.HeadHash, p.At)) return Broken("has a statement that does not say what the pin says");
            var bytes = Encoding.UTF8.GetBytes(p.Statement);
            if (!signer.Verifies(bytes, p.Signature)) return Broken("has a signature the custody key did not make");
            if (p.Token is not null && (TsaClient.Token(p.Token) is not { } token || !token.VerifySignatureForData(bytes, out _)))
                return Broken("has a timestamp token that is not over its statement");
        }
        return null;
    }

    public async Task<PinStatus> StatusAsync(Guid incidentId, TimeZoneInfo zone, CancellationToken ct)
    {
        var last = await db.Pins.AsNoTracking().Where(p => p.IncidentId == incidentId).OrderByDescending(p => p.Id).FirstOrDefaultAsync(ct);
        var stamped = await db.Pins.AsNoTracking().Where(p => p.IncidentId == incidentId && p.Token != null).OrderByDescending(p => p.Id).FirstOrDefaultAsync(ct);
        bool configured = !string.IsNullOrWhiteSpace(O.TsaUrl);
        string? local = stamped?.TimestampedAt is { } t
            ? Network.Clock.Local(t, zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " " + Network.Clock.Abbreviation(t, zone)
            : null;
        var summary = stamped is null ? "not independently timestamped" : $"last independently timestamped {local}";
        return new(configured, stamped is not null, stamped?.TimestampedAt, local, last?.At, last?.Seq, summary);
    }

    public async Task<List<PinView>> ListAsync(Guid incidentId, CancellationToken ct) =>
        (await db.Pins.AsNoTracking().Where(p => p.IncidentId == incidentId).OrderBy(p => p.Id).ToListAsync(ct))
        .Select(p => new PinView(p.Id, p.Seq, p.HeadHash, p.At, p.Statement, p.Token is not null, p.TsaUrl, p.TimestampedAt)).ToList();
}

/// <summary>
/// Pins heads in the background: an incident whose head moved and then stayed still for PinAfterSeconds, and every open
/// incident at least every RepinHours. A TSA that fails is tried again later, waiting longer each time (up to an hour);
/// the documenter's action never waits for any of this.
/// </summary>
public sealed class CustodyPinService(IServiceScopeFactory scopes, IOptions<CustodyPinOptions> options, TimeProvider time,
    ILogger<CustodyPinService> log) : BackgroundService
{
    private readonly Dictionary<Guid, (int Failures, DateTimeOffset NotBefore)> _backoff = [];

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await RunOnceAsync(stop); }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) { log.LogWarning("Pinning custody heads failed ({Error}); trying again", e.GetType().Name); }
            try { await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), time, stop); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One pass: pins what is due. Returns how many heads it pinned.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var pins = scope.ServiceProvider.GetRequiredService<CustodyPins>();
        var heads = await db.Custody.AsNoTracking().GroupBy(c => c.IncidentId).Select(g => new { Id = g.Key, Seq = g.Max(c => c.Seq) }).ToListAsync(ct);
        var lastPinIds = await db.Pins.AsNoTracking().GroupBy(p => p.IncidentId).Select(g => g.Max(p => p.Id)).ToListAsync(ct);
        var lastPins = (await db.Pins.AsNoTracking().Where(p => lastPinIds.Contains(p.Id)).ToListAsync(ct)).ToDictionary(p => p.IncidentId);
        var open = (await db.Incidents.AsNoTracking().Where(i => i.Status != IncidentStatus.Closed).Select(i => i.Id).ToListAsync(ct)).ToHashSet();
        bool tsa = !string.IsNullOrWhiteSpace(o.TsaUrl);
        int pinned = 0;
        foreach (var h in heads)
        {
            if (_backoff.TryGetValue(h.Id, out var b) && b.NotBefore > now) continue;
            var last = lastPins.GetValueOrDefault(h.Id);
            var entry = await db.Custody.AsNoTracking().FirstAsync(c => c.IncidentId == h.Id && c.Seq == h.Seq, ct);
            bool moved = last is null || last.Seq != h.Seq || last.HeadHash != entry.Hash;
            bool settled = now - entry.At >= TimeSpan.FromSeconds(o.PinAfterSeconds);
            bool stale = last is not null && open.Contains(h.Id) && now - last.At >= TimeSpan.FromHours(o.RepinHours);
            bool unstamped = last is not null && tsa && last.Token is null && _backoff.ContainsKey(h.Id);
            if (!((moved && settled) || stale || unstamped)) continue;
            var (_, error) = await pins.PinAsync(entry, ct);
            pinned++;
            if (error is null) _backoff.Remove(h.Id);
            else
            {
                int failures = _backoff.GetValueOrDefault(h.Id).Failures + 1;
                var wait = TimeSpan.FromSeconds(Math.Min(3600, o.PollSeconds * Math.Pow(2, failures)));
                _backoff[h.Id] = (failures, now + wait);
                log.LogWarning("The time-stamping authority did not answer for a custody head ({Error}); signed only, trying again in {Seconds} s",
                    error, (int)wait.TotalSeconds);
            }
        }
        return pinned;
    }
}

public static class CustodyPinsSetup
{
    public const string KeyPath = "/.well-known/whistle-custody-key.pem";

    public static WebApplicationBuilder AddCustodyPins(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<CustodyPinOptions>(builder.Configuration.GetSection("Whistle:Custody"));
        builder.Services.AddSingleton<CustodySigner>();
        builder.Services.AddHttpClient<TsaClient>();
        builder.Services.AddScoped<CustodyPins>();
        builder.Services.AddSingleton<CustodyPinService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CustodyPinService>());
        return builder;
    }

    /// <summary>The custody key's public half, for anyone checking a bundle's head.sig.</summary>
    public static IEndpointRouteBuilder MapCustodyKey(this IEndpointRouteBuilder app)
    {
        app.MapGet(KeyPath, (CustodySigner signer) => TypedResults.Text(signer.PublicKeyPem(), "application/x-pem-file"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>GET /api/v1/incidents/{id}/custody/pins: whether the head is independently timestamped, and every pin.</summary>
    public static async Task<Results<Ok<PinsView>, ProblemHttpResult>> PinsAsync(Guid id, WhistleDb db, CustodyPins pins, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct) && !await db.Custody.AnyAsync(c => c.IncidentId == id, ct))
            return TypedResults.Problem(statusCode: 404, title: "Not found", detail: "There is no such incident.");
        var zone = await Network.NetworkLookup.TimeZoneAsync(db, ct);
        return TypedResults.Ok(new PinsView(await pins.StatusAsync(id, zone, ct), await pins.ListAsync(id, ct)));
    }
}

public sealed record PinsView(PinStatus Status, List<PinView> Pins);
