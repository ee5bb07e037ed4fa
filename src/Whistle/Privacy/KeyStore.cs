using System.Security.Cryptography;
using Whistle.Data;

namespace Whistle.Privacy;

/// <summary>
/// Where the key ring lives and what may be done to it there: load (setting, key file on another mount, plain or
/// passphrase-wrapped file in the data dir), wrap, new after a destroy, destroy (overwrite, delete, zero, marker),
/// and the file-permission check made before the server starts (decision 0027).
/// </summary>
public sealed class KeyStore(WhistleOptions options)
{
    public const string PlainName = "keys.json", WrappedName = "keys.wrapped.json", MarkerName = "keys.destroyed";

    private EncryptionOptions Enc => options.Encryption;
    private string? _openedWith;

    /// <summary>The file the ring now lives in (the configured key file, else the wrapped file, else keys.json).</summary>
    public string CurrentFile => KeyFile ?? (File.Exists(WrappedFile) ? WrappedFile : PlainFile);

    /// <summary>Writes the ring back where it lives, wrapped again with the passphrase it was opened with when it was wrapped.</summary>
    public void Save(KeyRing ring)
    {
        var file = CurrentFile;
        bool wrapped = File.Exists(file) && KeyWrap.IsWrapped(File.ReadAllText(file));
        WritePrivate(file, wrapped ? KeyWrap.Wrap(ring.ToJson(), _openedWith ?? ConfiguredPassphrase()
            ?? throw new StartupRefusal("The passphrase is needed to write the wrapped key ring back.")) : ring.ToJson());
    }
    public string DataDir => options.DataPath;
    public string PlainFile => Path.Combine(DataDir, PlainName);
    public string WrappedFile => Path.Combine(DataDir, WrappedName);
    public string MarkerFile => Path.Combine(DataDir, MarkerName);
    public string? KeyFile => string.IsNullOrWhiteSpace(Enc.KeyFile) ? null : Path.GetFullPath(Enc.KeyFile);
    public bool FromSetting => !string.IsNullOrWhiteSpace(Enc.Keys);
    public bool IsDestroyedOnDisk => File.Exists(MarkerFile);

    /// <summary>Where a ring is written: the configured key file, else the wrapped file when a passphrase is configured, else keys.json.</summary>
    public string TargetFile => KeyFile ?? (ConfiguredPassphrase() is not null || File.Exists(WrappedFile) ? WrappedFile : PlainFile);

    /// <summary>In words, for the admin page and the log: where this ring came from.</summary>
    public string Source =>
        IsDestroyedOnDisk ? "destroyed"
        : FromSetting ? "setting"
        : KeyFile is not null ? "key-file"
        : File.Exists(WrappedFile) ? "passphrase"
        : "data-dir";

    /// <summary>
    /// The ring this process uses. A keys.destroyed marker gives a destroyed ring (never a silent new one); a
    /// configured key file that is missing, a wrapped ring without its passphrase, or a wrong passphrase refuse.
    /// </summary>
    public KeyRing Load(Func<string?>? prompt = null)
    {
        if (IsDestroyedOnDisk) return KeyRing.Destroyed();
        if (FromSetting) return KeyRing.FromJson(Enc.Keys!);
        if (KeyFile is { } keyFile)
        {
            if (!File.Exists(keyFile))
                throw new StartupRefusal($"Whistle:Encryption:KeyFile is {keyFile}, but there is no file there. Is the mount (USB stick, tmpfs, credential) in place? Whistle does not make a new key ring in its place.");
            return Open(keyFile, prompt);
        }
        if (File.Exists(WrappedFile)) return Open(WrappedFile, prompt);
        if (File.Exists(PlainFile)) return KeyRing.FromJson(File.ReadAllText(PlainFile));
        var ring = KeyRing.CreateNew();
        Write(ring, TargetFile, ConfiguredPassphrase());
        return ring;
    }

    private KeyRing Open(string file, Func<string?>? prompt)
    {
        var text = File.ReadAllText(file);
        if (!KeyWrap.IsWrapped(text)) return KeyRing.FromJson(text);
        var passphrase = ConfiguredPassphrase() ?? prompt?.Invoke()
            ?? throw new StartupRefusal($"The key ring in {file} is wrapped with a passphrase. Set Whistle__Encryption__Passphrase or Whistle__Encryption__PassphraseFile, or start Whistle on a terminal to type it.");
        try
        {
            var ring = KeyRing.FromJson(KeyWrap.Unwrap(text, passphrase));
            _openedWith = passphrase;
            return ring;
        }
        catch (WrongPassphraseException e) { throw new StartupRefusal($"{e.Message} File: {file}."); }
    }

    /// <summary>The passphrase from the setting or the passphrase file (its first line); null when neither is set.</summary>
    public string? ConfiguredPassphrase()
    {
        if (!string.IsNullOrEmpty(Enc.Passphrase)) return Enc.Passphrase;
        if (string.IsNullOrWhiteSpace(Enc.PassphraseFile)) return null;
        if (!File.Exists(Enc.PassphraseFile)) throw new StartupRefusal($"Whistle:Encryption:PassphraseFile is {Enc.PassphraseFile}, but there is no file there.");
        var line = File.ReadLines(Enc.PassphraseFile).FirstOrDefault();
        return string.IsNullOrEmpty(line) ? throw new StartupRefusal($"The passphrase file {Enc.PassphraseFile} is empty.") : line;
    }

    /// <summary>Typed on the terminal without echo; null when stdin is not a terminal.</summary>
    public static string? PromptOnTerminal(string question)
    {
        if (Console.IsInputRedirected) return null;
        Console.Write(question);
        var typed = new System.Text.StringBuilder();
        while (true)
        {
            var k = Console.ReadKey(intercept: true);
            if (k.Key == ConsoleKey.Enter) break;
            if (k.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; continue; }
            if (!char.IsControl(k.KeyChar)) typed.Append(k.KeyChar);
        }
        Console.WriteLine();
        return typed.Length == 0 ? null : typed.ToString();
    }

    public static void Write(KeyRing ring, string file, string? passphrase)
    {
        bool wrap = passphrase is not null && (file.EndsWith(WrappedName, StringComparison.Ordinal) || !file.EndsWith(PlainName, StringComparison.Ordinal));
        WritePrivate(file, wrap ? KeyWrap.Wrap(ring.ToJson(), passphrase!) : ring.ToJson());
    }

    /// <summary>A 0600 file written atomically (a temporary file, then a rename).</summary>
    public static void WritePrivate(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.Delete(tmp);
        using (var fs = new FileStream(tmp, create))
        {
            using (var w = new StreamWriter(fs, leaveOpen: true)) w.Write(text);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Overwrites the file with random bytes (flushed to the disk), then deletes it. On a plain disk the old bytes are
    /// gone; on an SSD or a copy-on-write file system the old blocks may survive (docs/seizure.md says so).
    /// </summary>
    public static void OverwriteAndDelete(string path)
    {
        if (!File.Exists(path)) return;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            var noise = RandomNumberGenerator.GetBytes((int)Math.Min(fs.Length, 1 << 20));
            for (long done = 0; done < fs.Length; done += noise.Length) fs.Write(noise, 0, (int)Math.Min(noise.Length, fs.Length - done));
            fs.Flush(flushToDisk: true);
        }
        File.Delete(path);
    }

    /// <summary>What a destroy did and what it could not reach.</summary>
    public sealed record DestroyReport(DateOnly Date, List<string> Deleted, List<string> OperatorMustWipe);

    /// <summary>
    /// Crypto-shredding: the marker first (so no restart makes a silent new ring), the ring zeroed in memory, every key
    /// file Whistle can reach overwritten and deleted, the token keys (sealed by the ring) deleted.
    /// </summary>
    public DestroyReport Destroy(KeyRing? ring, DateTimeOffset now)
    {
        var date = DateOnly.FromDateTime(now.UtcDateTime);
        WritePrivate(MarkerFile, $"Whistle's keys were destroyed on {date:yyyy-MM-dd}. Data encrypted under them cannot be read again.\n" +
                                 "To start again with new, empty keys: keys new --after-destroy. To rebuild the old ring from backup shares: keys restore.\n");
        ring?.Destroy();
        var deleted = new List<string>();
        var mustWipe = new List<string>();
        foreach (var file in new[] { PlainFile, WrappedFile, PlainFile + ".tmp", WrappedFile + ".tmp", KeyFile }.OfType<string>().Distinct())
        {
            if (!File.Exists(file)) continue;
            try { OverwriteAndDelete(file); deleted.Add(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                mustWipe.Add($"The key file {file}: Whistle could not delete it ({e.GetType().Name}). Wipe it, and the medium it is on.");
            }
        }
        var tokenKeys = Path.Combine(DataDir, "token-keys");
        if (Directory.Exists(tokenKeys))
        {
            foreach (var f in Directory.EnumerateFiles(tokenKeys)) { try { OverwriteAndDelete(f); } catch (IOException) { } }
            deleted.Add(tokenKeys);
        }
        if (FromSetting)
            mustWipe.Add("The Whistle__Encryption__Keys setting holds the ring: remove it from the environment, the service file, appsettings and any backup or shell history holding it.");
        if (!string.IsNullOrEmpty(Enc.Passphrase) || !string.IsNullOrEmpty(Enc.PassphraseFile))
            mustWipe.Add("The passphrase setting or passphrase file: without a wrapped key file it opens nothing, but remove it.");
        mustWipe.Add("Backup shares made with `keys backup` can still rebuild the ring: destroy them too if the data must stay unreadable.");
        return new(date, deleted, mustWipe);
    }

    /// <summary>After a destroy: a fresh ring (nothing encrypted under the old one becomes readable), and the marker removed.</summary>
    public KeyRing NewAfterDestroy()
    {
        if (!IsDestroyedOnDisk) throw new StartupRefusal($"There is no {MarkerName} marker in {DataDir}: the keys were not destroyed. `keys rotate` makes a new current key.");
        var ring = KeyRing.CreateNew();
        Write(ring, TargetFile, ConfiguredPassphrase());
        File.Delete(MarkerFile);
        return ring;
    }

    /// <summary>
    /// Before the server starts: the data dir is tightened to 0700 (and the log says so); a key file, passphrase
    /// file or database file that group or others can read refuses the start with the chmod that fixes it.
    /// </summary>
    public List<string> CheckPermissions(Action<string> tightened)
    {
        var refusals = new List<string>();
        if (OperatingSystem.IsWindows()) return refusals;
        const UnixFileMode open = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                  | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if (Directory.Exists(DataDir))
        {
            var mode = File.GetUnixFileMode(DataDir);
            if ((mode & open) != 0)
            {
                File.SetUnixFileMode(DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                tightened($"The data directory {DataDir} was open to other users (mode {Octal(mode)}); it is now 0700.");
            }
        }
        var files = new List<string> { PlainFile, WrappedFile, Path.Combine(DataDir, "whistle.db"), Path.Combine(DataDir, "whistle.db-wal"),
            Path.Combine(DataDir, "whistle.db-shm"), Path.Combine(DataDir, "whistle.db-journal") };
        if (KeyFile is { } k) files.Add(k);
        if (!string.IsNullOrWhiteSpace(Enc.PassphraseFile)) files.Add(Path.GetFullPath(Enc.PassphraseFile));
        foreach (var file in files.Where(File.Exists))
        {
            var mode = File.GetUnixFileMode(file);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                refusals.Add($"{file} can be read by other users of this machine (mode {Octal(mode)}). Fix: chmod 600 '{file}'");
        }
        return refusals;
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    /// <summary>Makes the data dir 0700 and, for SQLite, the database file 0600 before SQLite opens it (its -wal and -shm take that mode).</summary>
    public static void CreatePrivate(string dataDir, string? sqliteFile)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(dataDir); return; }
        if (!Directory.Exists(dataDir)) Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (sqliteFile is not null && !File.Exists(sqliteFile))
        {
            using var _ = new FileStream(sqliteFile, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
    }
}

/// <summary>Whistle will not start (or a command will not run): the message says what is wrong and how to fix it.</summary>
public sealed class StartupRefusal(string message) : Exception(message);
