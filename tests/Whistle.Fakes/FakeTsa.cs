using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Whistle.Fakes;

/// <summary>
/// A local RFC 3161 time-stamping authority: a test root CA and a TSA certificate (extended key usage timeStamping,
/// critical) made with .NET's CertificateRequest, answering application/timestamp-query over HTTP by handing the
/// query to <c>openssl ts -reply</c> — the same tool a lawyer verifies the answer with.
/// </summary>
public sealed class FakeTsa : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failNext;

    public string Url { get; private set; } = "";
    /// <summary>Holds ca.pem (the root a lawyer would download from the TSA), tsa.crt, tsa.key, tsa.cnf.</summary>
    public string Dir { get; }
    public string CaPemPath => Path.Combine(Dir, "ca.pem");
    public string CaPem => File.ReadAllText(CaPemPath);
    /// <summary>Every query: when it arrived and the status it got.</summary>
    public ConcurrentQueue<(DateTimeOffset At, int Status)> Requests { get; } = new();
    /// <summary>When set, every query gets 503 (a TSA that is down).</summary>
    public bool Down { get; set; }

    private FakeTsa(WebApplication app, string dir)
    {
        _app = app;
        Dir = dir;
    }

    public static async Task<FakeTsa> StartAsync(int port = 0)
    {
        var dir = Directory.CreateTempSubdirectory("whistle-tsa-").FullName;
        MakeCertificates(dir);
        var app = FakeHost.Create(port);
        var fake = new FakeTsa(app, dir);
        app.MapPost("/tsr", (Delegate)fake.ReplyAsync);
        fake.Url = await FakeHost.StartAsync(app) + "/tsr";
        return fake;
    }

    /// <summary>The next <paramref name="count"/> queries get 503.</summary>
    public void FailNext(int count = 1) => Interlocked.Exchange(ref _failNext, count);

    private static void MakeCertificates(string dir)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Whistle Test TSA Root, O=Whistle tests", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        using var tsaKey = RSA.Create(2048);
        var tsaRequest = new CertificateRequest("CN=Whistle Test TSA, O=Whistle tests", tsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        tsaRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        tsaRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        // RFC 3161 §2.3: the TSA's certificate has exactly one extended key usage, timeStamping, marked critical.
        tsaRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.8")], true));
        tsaRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(tsaRequest.PublicKey, false));
        tsaRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var tsa = tsaRequest.Create(ca, now.AddDays(-1), now.AddMonths(6), RandomNumberGenerator.GetBytes(12));

        File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(dir, "tsa.crt"), tsa.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(dir, "tsa.key"), tsaKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(Path.Combine(dir, "serial"), "01\n");
        File.WriteAllText(Path.Combine(dir, "tsa.cnf"), $"""
            [ tsa ]
            default_tsa = tsa_config1

            [ tsa_config1 ]
            serial = {Path.Combine(dir, "serial")}
            crypto_device = builtin
            signer_digest = sha256
            default_policy = 1.3.6.1.4.1.99999.1
            digests = sha256, sha384, sha512
            accuracy = secs:1
            ordering = no
            tsa_name = no
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256

            """);
    }

    private async Task<IResult> ReplyAsync(HttpContext http)
    {
        if (Down || Interlocked.Decrement(ref _failNext) >= 0)
        {
            Requests.Enqueue((DateTimeOffset.UtcNow, 503));
            return Results.StatusCode(503);
        }
        if (http.Request.ContentType != "application/timestamp-query")
        {
            Requests.Enqueue((DateTimeOffset.UtcNow, 415));
            return Results.StatusCode(415);
        }
        var name = Guid.NewGuid().ToString("N");
        var query = Path.Combine(Dir, name + ".tsq");
        var reply = Path.Combine(Dir, name + ".tsr");
        await using (var f = File.Create(query)) await http.Request.Body.CopyToAsync(f);
        var psi = new ProcessStartInfo("openssl", ["ts", "-reply", "-config", Path.Combine(Dir, "tsa.cnf"), "-queryfile", query,
            "-signer", Path.Combine(Dir, "tsa.crt"), "-inkey", Path.Combine(Dir, "tsa.key"), "-chain", Path.Combine(Dir, "ca.pem"), "-out", reply])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Dir,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        File.Delete(query);
        if (p.ExitCode != 0)
        {
            Requests.Enqueue((DateTimeOffset.UtcNow, 500));
            return Results.Text(await stderr, statusCode: 500);
        }
        var bytes = await File.ReadAllBytesAsync(reply);
        File.Delete(reply);
        Requests.Enqueue((DateTimeOffset.UtcNow, 200));
        return Results.Bytes(bytes, "application/timestamp-reply");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
