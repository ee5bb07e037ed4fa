using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Site.Pages;

/// <summary>
/// The public "send what you recorded" page (issue 15 §1): pick or record photos, videos and sound, a few words on
/// what, where and when, a consent and an optional contact; no login. Web/js/evidence.js hashes each file on the phone
/// (SHA-256, streamed), declares the submission (<c>POST /api/v1/submissions</c>), uploads each file with tus
/// (<c>/api/v1/uploads</c>, resumable) and shows the receipt; Web/js/evidence-queue.js keeps what could not be sent in
/// IndexedDB until the phone is back online. <c>?alert=</c> / <c>?sighting=</c> tie it to an alert or a sighting link
/// (only a well-formed id is passed on; the server decides whether it is active).
/// </summary>
public sealed class EvidenceModel(IOptions<WhistleOptions> options, WhistleDb db, TimeProvider time) : SitePage
{
    public string ContactHours { get; private set; } = "";
    public int MaxFiles => options.Value.Submissions.MaxFilesPerSubmission;
    public long MaxFileBytes => options.Value.Submissions.MaxFileBytes;
    public Guid? AlertId { get; private set; }
    public Guid? SightingId { get; private set; }

    /// <summary>Now, in the network's zone, as a datetime-local value (the "when" field starts there).</summary>
    public string Now { get; private set; } = "";

    /// <summary>The zone's offset from UTC now ("-06:00"): the script sends the "when" with it.</summary>
    public string Offset { get; private set; } = "+00:00";

    public static readonly string[] Consents = ["lawyersOnly", "publishBlurred", "publish"];

    /// <summary>The words the page's script shows (ours only, serialized with the default escaping: no markup survives).</summary>
    public string WordsJson => JsonSerializer.Serialize(ScriptKeys.ToDictionary(k => k, T));

    private static readonly string[] ScriptKeys =
    [
        "ev.remove", "ev.sealing", "ev.fingerprint", "ev.empty", "ev.tooManyFiles", "ev.tooBig", "ev.notMedia", "ev.recording",
        "ev.noRecorder", "ev.stop", "ev.sending", "ev.send", "ev.err.consent", "ev.err.files", "ev.err.sealing", "ev.uploading",
        "ev.waiting", "ev.resumed", "ev.savedTitle", "ev.saved", "ev.failed", "ev.tooMany", "ev.full", "ev.copied",
        "ev.phoneHash", "ev.serverHash", "ev.match", "ev.mismatch", "ev.pending",
    ];

    public async Task OnGetAsync(Guid? alert, Guid? sighting, CancellationToken ct)
    {
        var hours = (await Privacy.Retention.EffectiveAsync(db, options.Value.Retention, ct)).ReporterContactHours;
        ContactHours = Math.Ceiling(hours).ToString(CultureInfo.InvariantCulture);
        AlertId = alert;
        SightingId = sighting;
        var now = TimeZoneInfo.ConvertTime(time.GetUtcNow(), Zone);
        Now = now.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
        Offset = (now.Offset < TimeSpan.Zero ? "-" : "+") + now.Offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
    }
}
