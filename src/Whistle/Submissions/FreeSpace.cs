namespace Whistle.Submissions;

/// <summary>
/// The free-space floor (Whistle:Submissions:MinFreeBytes): a flood of uploads is refused before it fills the disk.
/// Shared by the submission intake (what is declared) and the tus server (what arrives).
/// </summary>
public static class FreeSpace
{
    /// <summary>Whether taking <paramref name="extra"/> more bytes would leave the data dir's disk below <paramref name="floor"/>.</summary>
    public static bool Below(string dataDir, long floor, long extra)
    {
        if (floor <= 0) return false;
        long free;
        try
        {
            Directory.CreateDirectory(dataDir);
            free = new DriveInfo(Path.GetFullPath(dataDir)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return true; // a disk that cannot be measured is not one to fill
        }
        return free - Math.Max(0, extra) < floor;
    }
}
