namespace Whistle.Inbound;

/// <summary>
/// What the server remembers about a number that texts it, keyed by the same keyed hash as a
/// subscriber's address (never the number itself): the language it writes in, the report it is
/// telling us about and which SALUTE questions were asked, and its message count this minute.
/// </summary>
public class SmsConversation
{
    public byte[] NumberHash { get; set; } = [];
    /// <summary>en, es, so or hmn, once a keyword or a text has told; null until then.</summary>
    public string? Language { get; set; }
    /// <summary>The report its texts add to, until <see cref="ExpiresAt"/>.</summary>
    public Guid? ReportId { get; set; }
    /// <summary>Questions asked so far for that report, comma separated (where,what,size,agency).</summary>
    public string Asked { get; set; } = "";
    /// <summary>The question the next text answers, if any.</summary>
    public SaluteQuestion? Asking { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    /// <summary>
    /// The number sent STOP and has not sent START or JOIN since: nothing is sent to it (Twilio would
    /// refuse it anyway), though what it texts is still kept as a report.
    /// </summary>
    public bool OptedOut { get; set; }
    public DateTimeOffset WindowStartedAt { get; set; }
    public int WindowCount { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public IReadOnlyCollection<SaluteQuestion> AskedQuestions =>
        [.. Asked.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<SaluteQuestion>)];

    public void MarkAsked(SaluteQuestion q)
    {
        Asking = q;
        Asked = string.Join(',', AskedQuestions.Append(q).Distinct());
    }

    /// <summary>Counts a message; false when it is past the limit for this minute (a burst).</summary>
    public bool Admit(DateTimeOffset now, int perMinute)
    {
        if (now - WindowStartedAt >= TimeSpan.FromMinutes(1))
        {
            WindowStartedAt = now;
            WindowCount = 0;
        }
        WindowCount++;
        return WindowCount <= Math.Max(1, perMinute);
    }

    public bool HasOpenReport(DateTimeOffset now) => ReportId is not null && ExpiresAt > now;

    public void EndReport()
    {
        ReportId = null;
        Asked = "";
        Asking = null;
        ExpiresAt = null;
    }
}

/// <summary>A Twilio MessageSid already handled, kept two days so a retried webhook changes nothing twice.</summary>
public class SmsReceipt
{
    public string MessageSid { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(2);
}
