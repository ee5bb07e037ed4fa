namespace Whistle.Submissions;

/// <summary>Whistle:Submissions:* — what a bystander may send through <c>/evidence</c>, and how much the network takes in.</summary>
public sealed class SubmissionOptions
{
    /// <summary>The largest file one upload may declare (default 2 GB).</summary>
    public long MaxFileBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    /// <summary>The most files one submission may declare.</summary>
    public int MaxFilesPerSubmission { get; set; } = 10;
    /// <summary>The free-space floor: below it, new submissions and uploads are refused (507) and the admins are told (default 1 GB).</summary>
    public long MinFreeBytes { get; set; } = 1L * 1024 * 1024 * 1024;
    /// <summary>Bytes one source (keyed hash of its network prefix) may upload per day (default 8 GB).</summary>
    public long SourceBytesPerDay { get; set; } = 8L * 1024 * 1024 * 1024;
    /// <summary>Bytes the whole network takes in per hour from the public (default 40 GB).</summary>
    public long NetworkBytesPerHour { get; set; } = 40L * 1024 * 1024 * 1024;
    /// <summary>Submissions one source may start per hour.</summary>
    public int SourcePerHour { get; set; } = 20;
    /// <summary>Submissions the whole network takes per minute.</summary>
    public int NetworkPerMinute { get; set; } = 60;
    /// <summary>tus requests (creation, HEAD, PATCH, DELETE) one network prefix may make per minute (issue 15, the uploads' rate-limit policy).</summary>
    public int UploadRequestsPerMinute { get; set; } = 600;
    /// <summary>An upload with no bytes for this long is abandoned: its staged bytes are deleted (default 72 h).</summary>
    public double AbandonedHours { get; set; } = 72;
}
