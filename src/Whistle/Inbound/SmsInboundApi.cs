using System.Security.Cryptography;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery.Sms;
using Whistle.Geo;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Reports;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Inbound;

/// <summary>One inbound text as Twilio posts it, checked.</summary>
public sealed partial record InboundSms(string MessageSid, string From, string To, string Body)
{
    /// <summary>Twilio's limit for one message body (ten segments).</summary>
    public const int MaxBody = 1600;

    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"^[A-Z]{2}[0-9a-zA-Z]{32}$")]
    private static partial Regex Sid();

    /// <summary>The message, or the fields at fault. A blank Body is a message (an MMS with no text); a missing one is not.</summary>
    public static InboundSms? Read(IFormCollection form, Problems p)
    {
        string? One(string name, bool required = true)
        {
            var values = form[name];
            if (values.Count > 1) { p.Add(name, "Given more than once."); return null; }
            if (values.Count == 0 || (required && string.IsNullOrWhiteSpace(values[0])))
            {
                p.Add(name, "Required.");
                return null;
            }
            return values[0];
        }
        var sid = One("MessageSid");
        var from = One("From");
        var to = One("To");
        var body = One("Body", required: false);
        if (sid is not null && !Sid().IsMatch(sid)) p.Add("MessageSid", "A Twilio message SID: two letters and 32 letters or digits.");
        if (from is not null && !E164().IsMatch(from)) p.Add("From", "A phone number in E.164 form, such as +16125550123.");
        if (to is not null && to.Length > 32) p.Add("To", "At most 32 characters.");
        if (body is not null && body.Length > MaxBody) p.Add("Body", $"At most {MaxBody} characters ({body.Length} given).");
        if (p.Any) return null;
        // Control characters other than line breaks and tabs carry nothing a dispatcher can read.
        var clean = Platform.Text.Clean(body)!.Trim();
        return new InboundSms(sid!, from!, to!, clean);
    }
}

/// <summary>
/// `POST /hooks/twilio/sms`: Twilio's incoming-message webhook. Accepted only with a valid
/// X-Twilio-Signature (over Whistle:PublicBaseUrl + path + query and the sorted form fields); answers
/// in TwiML. Keywords subscribe (with a code), switch language, stop and help; any other text is a
/// report, and the conversation asks the SALUTE questions it is missing one at a time.
/// </summary>
public static class SmsInboundApi
{
    /// <summary>How long a report's text may grow from answers and held messages.</summary>
    public const int MaxReportText = 8000;
    private const string HeldMark = "[held: rate limited] ";

    public static RouteGroupBuilder MapSmsInbound(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/hooks/twilio").WithTags("Inbound SMS").AllowAnonymous().DisableAntiforgery();
        group.MapPost("/sms", ReceiveAsync);
        return group;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult, ValidationProblem>> ReceiveAsync(
        HttpRequest request, WhistleDb db, KeyRing keys, ZoneRegistry zones, TimeProvider time, IOptions<WhistleOptions> options,
        IHubContext<SightingsHub> hub, SmsCountries countries, ILogger<InboundSms> log, CancellationToken ct)
    {
        var o = options.Value;
        if (!request.HasFormContentType || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
            return TypedResults.Problem(statusCode: 415, title: "Form expected", detail: "Twilio posts application/x-www-form-urlencoded.");
        var form = await request.ReadFormAsync(ct);
        var url = $"{(o.PublicBaseUrl ?? "").TrimEnd('/')}{request.Path}{request.QueryString}";
        if (string.IsNullOrEmpty(o.PublicBaseUrl)
            || !TwilioSignature.IsValid(o.Sms.Twilio.AuthToken ?? "", url, TwilioSignature.Fields(form), request.Headers[TwilioSignature.Header]))
            return TypedResults.Problem(statusCode: 403, title: "Signature not valid", detail: "The X-Twilio-Signature header does not match this request.");
        if (!string.IsNullOrEmpty(o.Sms.Twilio.AccountSid) && form["AccountSid"] is { Count: > 0 } account && account.ToString() != o.Sms.Twilio.AccountSid)
            return TypedResults.Problem(statusCode: 403, title: "Another account", detail: "This message was sent to another Twilio account.");
        var problems = new Problems();
        if (InboundSms.Read(form, problems) is not { } sms)
            return TypedResults.ValidationProblem(problems.ToDictionary(), title: "The webhook has invalid fields");

        // A retried webhook (same MessageSid) changes nothing twice and says nothing twice.
        if (await db.SmsReceipts.AnyAsync(r => r.MessageSid == sms.MessageSid, ct)) return Twiml(null);
        var now = time.GetUtcNow();
        var turn = new Turn(db, keys, zones.Current, o, now, sms, countries.Allows(sms.From), ct);
        string? reply;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            try
            {
                db.SmsReceipts.Add(new SmsReceipt { MessageSid = sms.MessageSid, ReceivedAt = now });
                reply = await turn.RunAsync();
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateException)
            {
                await tx.RollbackAsync(ct);
                if (await AlreadyReceivedAsync(db, sms.MessageSid, ct)) return Twiml(null); // handled by a concurrent retry
                throw;
            }
        }
        log.LogInformation("Inbound SMS handled: {Kind}{Held}", turn.Kind, turn.Held ? " (held: rate limited)" : "");
        if (turn.Sighting is { } changed) await SightingsHub.NotifyAsync(hub, db, changed);
        return Twiml(reply);
    }

    private static async Task<bool> AlreadyReceivedAsync(WhistleDb db, string sid, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        return await db.SmsReceipts.AnyAsync(r => r.MessageSid == sid, ct);
    }

    /// <summary>TwiML: one message back to the sender, or an empty response when there is nothing to say.</summary>
    public static ContentHttpResult Twiml(string? message) => TypedResults.Text(
        message is null
            ? """<?xml version="1.0" encoding="UTF-8"?><Response/>"""
            : $"""<?xml version="1.0" encoding="UTF-8"?><Response><Message>{SecurityElement.Escape(message)}</Message></Response>""",
        "application/xml", Encoding.UTF8);

    /// <summary>Zone names for a reply: the first three and how many more.</summary>
    public static string NameList(IEnumerable<string> names)
    {
        var list = names.ToList();
        return string.Join(", ", list.Take(3)) + (list.Count > 3 ? $" +{list.Count - 3}" : "");
    }

    /// <summary>Placeholder values at their longest, for the SMS size estimate of the sms.* templates.</summary>
    public static Dictionary<string, string> Samples(ZoneCatalog zones)
    {
        var longest = zones.All.Select(z => z.Name).OrderByDescending(n => n.Length).Take(3).ToList();
        if (longest.Count == 0) longest = ["the alert area"];
        return new()
        {
            ["network"] = "Northside Community Rapid Response Line", // a long network name (39 characters)
            ["code"] = "000000",
            ["zone"] = longest[0],
            ["zones"] = NameList(longest.Append("x")),
            ["candidates"] = string.Join(", ", longest),
            ["example"] = longest[0],
            ["link"] = "https://rapid-response.example.org/subscribe",
        };
    }

    /// <summary>
    /// One inbound message, handled inside the webhook's transaction. A number in a country SMS may not go to
    /// (<paramref name="mayText"/> false) is heard (its reports are kept) but never answered and never sent a code:
    /// a TwiML reply is a text we pay for (SMS pumping).
    /// </summary>
    private sealed class Turn(WhistleDb db, KeyRing keys, ZoneCatalog zones, WhistleOptions o, DateTimeOffset now, InboundSms sms, bool mayText,
        CancellationToken ct)
    {
        private SmsConversation _conv = null!;
        private Subscriber? _sub;
        private TemplateSet _texts = null!;
        private string _network = "";
        private readonly ZoneMatcher _matcher = new(zones.All.OrderBy(z => z.Id).Select(z => (z.Id, z.Name)));

        public SmsCommandKind Kind { get; private set; }
        public bool Held { get; private set; }
        public Sighting? Sighting { get; private set; }

        public async Task<string?> RunAsync()
        {
            var hash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, sms.From));
            _conv = await db.SmsConversations.FirstOrDefaultAsync(c => c.NumberHash == hash, ct)
                    ?? db.SmsConversations.Add(new SmsConversation { NumberHash = hash, WindowStartedAt = now }).Entity;
            _sub = await db.Subscribers.FirstOrDefaultAsync(s => s.AddressHash == hash, ct);
            _texts = TemplateSet.From(await db.Templates.AsNoTracking().Where(t => t.Key.StartsWith("sms.")).ToListAsync(ct));
            _network = await Network.NetworkLookup.NameAsync(db, o.Network.Name, ct);
            _conv.UpdatedAt = now;
            var command = SmsKeywords.Parse(sms.Body);
            Kind = command.Kind;
            bool admitted = _conv.Admit(now, o.Sms.InboundPerMinute);
            // A keyword in a language tells a stranger's language (not a subscriber's, who chose one).
            if (_sub is null && _conv.Language is null && command.Language is { } implied) _conv.Language = implied;

            // STOP is honoured at once, in any state, burst or not (CTIA).
            if (command.Kind == SmsCommandKind.Stop)
            {
                var stopped = Stop();
                return mayText ? stopped : null;
            }
            // So are START/UNSTOP/JOIN and HELP: a burst holds reports, never the words that opt in or ask for help
            // (else a START sent during a burst became report text and the number stayed unsubscribed).
            if (!admitted && !SmsKeywords.IsAlwaysHonoured(command.Kind))
            {
                Held = true;
                await HoldAsync();
                return null;
            }
            var reply = command.Kind switch
            {
                SmsCommandKind.Join => await JoinAsync(command.Argument),
                SmsCommandKind.Code when _sub?.CodeHash is not null => await ConfirmAsync(command.Argument!),
                SmsCommandKind.Help => Say("sms.help"),
                SmsCommandKind.Language => SwitchLanguage(command.Argument!),
                SmsCommandKind.Empty => Say("sms.empty"),
                _ => await ReportAsync(),
            };
            // After STOP nothing goes back until START or JOIN (Twilio would refuse to deliver it anyway).
            return _conv.OptedOut || !mayText ? null : reply;
        }

        private string Language => _sub?.Language ?? _conv.Language ?? "en";

        private string Say(string key, params (string Key, string Value)[] values)
        {
            var all = new Dictionary<string, string> { ["network"] = _network };
            foreach (var (k, v) in values) all[k] = v;
            return TemplateSet.Fill(_texts.Get(Language, key), all);
        }

        private string Stop()
        {
            if (_sub is not null && _sub.State != SubscriberState.Unsubscribed)
            {
                _sub.State = SubscriberState.Unsubscribed;
                _sub.Pending = null;
                _sub.CodeHash = null;
                _sub.CodeExpiresAt = null;
                _sub.ChangedAt = now;
            }
            _conv.EndReport();
            _conv.OptedOut = true; // after this one confirmation, nothing more until START or JOIN
            return Say("sms.stopped");
        }

        private string ZonesOf(Subscriber s)
        {
            var names = Alert.ZoneIds(s.Zones).Select(zones.Find).Where(z => z is not null).Select(z => z!.Name).ToList();
            if (SealedCircle.TryOpen(keys, s.AreaCipher) is { } c) names.Insert(0, $"{c.RadiusMeters:0} m");
            return NameList(names);
        }

        private string Example => zones.All.OrderBy(z => z.Name.Length).ThenBy(z => z.Id).FirstOrDefault()?.Name ?? "";

        private async Task<string?> JoinAsync(string? zoneText)
        {
            if (!mayText) return null;
            _conv.OptedOut = false;
            if (zoneText is null)
            {
                // START after STOP: resumes the area the number had confirmed, without a new code — the number
                // proved itself with a code before, and carriers expect START to re-opt-in at once.
                if (_sub is { ConfirmedAt: not null } && (_sub.Zones.Length > 0 || _sub.AreaCipher is not null))
                {
                    _sub.State = SubscriberState.Confirmed;
                    _sub.AddressCipher ??= keys.Encrypt(sms.From, Purpose.SubscriberAddress);
                    _sub.Pending = null;
                    _sub.CodeHash = null;
                    _sub.CodeExpiresAt = null;
                    _sub.ChangedAt = now;
                    return Say("sms.resumed", ("zones", ZonesOf(_sub)));
                }
                return Say("sms.join.missing", ("example", Example));
            }
            var match = _matcher.Match(zoneText);
            if (match.IsNone)
                return Say("sms.join.unknown", ("example", Example), ("link", $"{(o.PublicBaseUrl ?? "").TrimEnd('/')}/subscribe"));
            if (!match.IsUnique)
                return Say("sms.join.ambiguous", ("candidates", string.Join(", ", match.Candidates.Select(c => c.Name))));
            var zone = match.Candidates[0];
            // The same daily and hourly limits on codes as the web form (the number's blind index is the subscriber's).
            if (await CodeLimits.TakeAsync(db, keys, o.Subscriptions, SubscriberChannel.Sms, _conv.NumberHash, now, ct) != CodeGrant.Granted)
                return null;
            if (_sub is null)
            {
                _sub = new Subscriber { Channel = SubscriberChannel.Sms, AddressHash = _conv.NumberHash, State = SubscriberState.Pending, CreatedAt = now, Language = Language };
                db.Subscribers.Add(_sub);
            }
            if (_sub.State == SubscriberState.Unsubscribed) _sub.State = SubscriberState.Pending;
            _sub.AddressCipher ??= keys.Encrypt(sms.From, Purpose.SubscriberAddress);
            // A confirmed subscriber adds the zone to the area it has; anyone else starts with just this zone.
            bool confirmed = _sub.State == SubscriberState.Confirmed;
            int[] wanted = confirmed ? [.. Alert.ZoneIds(_sub.Zones), zone.Id] : [zone.Id];
            _sub.Pending = JsonSerializer.Serialize(new SubscriberPrefs(Language, wanted, null, null, null,
                AreaCipher: confirmed && _sub.AreaCipher is { } sealedArea ? Convert.ToBase64String(sealedArea) : null));
            var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
            _sub.CodeExpiresAt = now + o.Subscriptions.CodeLifetime;
            _sub.CodeAttempts = 0;
            _sub.ChangedAt = now;
            await db.SaveChangesAsync(ct); // the id the code is bound to
            _sub.CodeHash = SubscriptionsApi.CodeHash(keys, _sub.Id, code);
            return Say("sms.join.code", ("code", code), ("zone", zone.Name));
        }

        private async Task<string> ConfirmAsync(string code)
        {
            var sub = _sub!;
            if (sub.CodeExpiresAt < now || sub.CodeAttempts >= Subscriber.MaxCodeAttempts
                || !await CodeLimits.MayTryAsync(db, o.Subscriptions, _conv.NumberHash, now, ct))
                return Say("sms.code.wrong");
            if (!CryptographicOperations.FixedTimeEquals(sub.CodeHash!, SubscriptionsApi.CodeHash(keys, sub.Id, code)))
            {
                sub.CodeAttempts++;
                await CodeLimits.WrongAsync(db, _conv.NumberHash, now, ct);
                return Say("sms.code.wrong");
            }
            sub.Confirm(now);
            _conv.OptedOut = false;
            return Say("sms.confirmed", ("zones", ZonesOf(sub)));
        }

        private string SwitchLanguage(string language)
        {
            _conv.Language = language;
            if (_sub is not null)
            {
                _sub.Language = language;
                if (_sub.Pending is { } pending)
                    _sub.Pending = JsonSerializer.Serialize(JsonSerializer.Deserialize<SubscriberPrefs>(pending)! with { Language = language });
                _sub.ChangedAt = now;
            }
            return Say("sms.language");
        }

        private async Task<Report?> OpenReportAsync() =>
            _conv.HasOpenReport(now) ? await db.Reports.FirstOrDefaultAsync(r => r.Id == _conv.ReportId, ct) : null;

        private Report StartReport(string text)
        {
            _conv.EndReport();
            var report = new Report
            {
                Channel = ReportChannel.Sms,
                Activity = Activity.Other,
                ObservedAt = now,
                ReceivedAt = now,
                Text = Cap(text),
                ContactCipher = keys.Encrypt(sms.From, Purpose.ReporterContact),
                ContactPurgeAt = now.AddHours(o.Retention.ReporterContactHours),
                SourceHash = Sources.Sms(sms.From, keys),
            };
            _conv.ReportId = report.Id;
            _conv.ExpiresAt = now.AddMinutes(o.Sms.ConversationMinutes);
            return report;
        }

        /// <summary>A report, or the answer to its last question.</summary>
        private async Task<string> ReportAsync()
        {
            // A stranger's language, guessed from the words once (a keyword or a subscription says it better).
            if (_sub is null && _conv.Language is null) _conv.Language = SmsKeywords.GuessLanguage(sms.Body);
            var report = await OpenReportAsync();
            string? thanks = null;
            if (report is null)
            {
                report = StartReport(sms.Body);
                ReportFacts.Apply(report, sms.Body, null);
                Locate(report, sms.Body, answeringWhere: false);
                Sighting = (await ReportsApi.FileAsync(db, report, o, now, ct)).Sighting;
                thanks = Say("sms.report.thanks");
            }
            else
            {
                var answering = _conv.Asking;
                report.Text = Cap(report.Text + "\n" + sms.Body);
                ReportFacts.Apply(report, sms.Body, answering);
                Locate(report, sms.Body, answering == SaluteQuestion.Where);
                _conv.ExpiresAt = now.AddMinutes(o.Sms.ConversationMinutes);
                Sighting = await SyncSightingAsync(report);
            }
            // A number that sent STOP is asked nothing (and told nothing): its texts are only kept.
            if (_conv.OptedOut) return "";
            var next = ReportFacts.Next(report, _conv.AskedQuestions);
            if (next is { } q)
            {
                _conv.MarkAsked(q);
                var ask = Say("sms.ask." + q.ToString().ToLowerInvariant());
                return thanks is null ? ask : thanks + " " + ask;
            }
            _conv.Asking = null;
            return Say("sms.report.done");
        }

        /// <summary>
        /// Where the text says it is: the answer to "where?" is the place text; a zone named in it (or in any
        /// text, when the report has no place yet) gives the report the zone's label point as a coarse location,
        /// marked "(approx.)" in the place text, so it shows on the console map and clusters with reports near it.
        /// </summary>
        private void Locate(Report report, string text, bool answeringWhere)
        {
            if (answeringWhere) report.PlaceText ??= Truncate(text, Report.MaxPlaceLength);
            if (report.Lat is not null) return;
            var zone = answeringWhere && _matcher.Match(text) is { IsUnique: true } m ? m.Candidates[0] : _matcher.FindIn(text);
            if (zone is not { } z || zones.Find(z.Id) is not { } shape) return;
            report.Lat = shape.Label.Lat;
            report.Lon = shape.Label.Lon;
            var where = report.PlaceText is null ? z.Name : $"{report.PlaceText} ({z.Name})";
            report.PlaceText = Truncate($"{where} (approx.)", Report.MaxPlaceLength);
        }

        /// <summary>
        /// A sighting that holds only this report takes its new facts (activity, place, location); one that
        /// holds others keeps its own, and the dispatcher sees the report's answers in its detail.
        /// </summary>
        private async Task<Sighting?> SyncSightingAsync(Report report)
        {
            var s = await db.Sightings.FirstOrDefaultAsync(x => x.Id == report.SightingId, ct);
            if (s is null) return null;
            if (s.ReportCount == 1)
            {
                s.Activity = report.Activity;
                s.PlaceText = report.PlaceText;
                if (report.Location is not null && s.Location is null)
                {
                    s.Lat = report.Lat;
                    s.Lon = report.Lon;
                    s.LocatedReports = 1;
                }
            }
            s.UpdatedAt = now;
            return s;
        }

        /// <summary>
        /// A burst past the per-minute limit: no reply, no new report per message, but nothing lost — the
        /// text is added, marked held, to the number's open report (or to one report started for it).
        /// </summary>
        private async Task HoldAsync()
        {
            if (sms.Body.Length == 0) return;
            var report = await OpenReportAsync();
            if (report is null)
            {
                report = StartReport(HeldMark + sms.Body);
                Sighting = (await ReportsApi.FileAsync(db, report, o, now, ct)).Sighting;
                return;
            }
            report.Text = Cap(report.Text + "\n" + HeldMark + sms.Body);
            Sighting = await SyncSightingAsync(report);
        }

        private static string Cap(string text) => Truncate(text, MaxReportText);

        private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
    }
}
