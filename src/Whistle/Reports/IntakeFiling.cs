using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Verification;

namespace Whistle.Reports;

/// <summary>
/// Files reports one after the other in one unit of work (one context, committed together): the intake budget, surges and
/// clustering into sightings. What it reads for one report (the last minute's counts, the open surges, the candidate
/// sightings, which sources were already heard) it keeps for the next, and each report it files counts for the later ones
/// exactly as if it had been committed first — so a batch of reports gives what filing them one by one would have given
/// (issue 16 §3: the intake writer files hundreds of reports per transaction). Plain rules live in
/// <see cref="IntakeBudget"/>, <see cref="Surge"/>, <see cref="ClusterRule"/> and <see cref="Sighting"/>.
/// </summary>
public sealed class IntakeFiling
{
    private readonly WhistleDb _db;
    private readonly DateTimeOffset _now;
    private readonly IntakeBudget _budget;
    private readonly ClusterRule _rule;
    private readonly IntakeWindow _window;
    private List<Surge>? _openSurges;
    private readonly Dictionary<string, bool> _sourceHeard = new();
    private readonly HashSet<(Guid, string)> _heldFrom = new();
    private readonly HashSet<(Guid, string)> _joinedFrom = new();
    /// <summary>(sighting, source) pairs known not yet heard, for the sightings prefetched with every source of the batch.</summary>
    private readonly HashSet<Guid> _pairsKnownFor = new();
    private readonly HashSet<string> _pairsKnownFrom = new();
    private List<Sighting>? _candidates;
    private Dictionary<Guid, Sighting> _tracked = new();

    /// <summary>Sightings this unit started or changed, in the order first touched (for the consoles, after commit).</summary>
    public List<Sighting> Sightings { get; } = [];
    private readonly HashSet<Sighting> _touched = [];
    /// <summary>Surges this unit started or grew, with whether the consoles must be told (the first report, every tenth).</summary>
    public Dictionary<Surge, bool> Surges { get; } = new();

    public IntakeFiling(WhistleDb db, WhistleOptions o, DateTimeOffset now, IntakeWindow window)
    {
        _db = db;
        _now = now;
        _budget = IntakeBudget.From(o.Intake);
        _rule = new ClusterRule(o.Clustering.DistanceMeters, TimeSpan.FromMinutes(o.Clustering.WindowMinutes));
        _window = window;
        AreaCellDegrees = o.Intake.AreaCellDegrees;
    }

    private double AreaCellDegrees { get; }

    /// <summary>Reads at once what the reports about to be filed will need: candidate sightings, sources heard.</summary>
    public async Task PrepareAsync(IReadOnlyList<Report> reports, CancellationToken ct)
    {
        foreach (var r in reports) r.Area = IntakeArea.Of(r.Lat, r.Lon, AreaCellDegrees);
        var located = reports.Where(r => r.Location is not null).ToList();
        if (located.Count > 0) await LoadCandidatesAsync(located, ct);
        foreach (var hash in reports.Where(r => !r.Trusted && r.SourceHash is not null).Select(r => r.SourceHash!).DistinctBy(Convert.ToHexString))
            await SourceHeardAsync(hash, Convert.ToHexString(hash), ct);
    }

    /// <summary>
    /// Files a new report (added to the context, not yet saved; its <see cref="Report.SourceHash"/> set): within the
    /// intake budget it goes to the queue (<see cref="JoinSightingAsync"/>); past it, it is held in a surge.
    /// </summary>
    public async Task<Filed> FileAsync(Report report, CancellationToken ct)
    {
        report.Area = IntakeArea.Of(report.Lat, report.Lon, AreaCellDegrees);
        _db.Reports.Add(report);
        if (!report.Trusted)
        {
            var area = report.Area;
            var hash = report.SourceHash;
            var hex = hash is null ? null : Convert.ToHexString(hash);
            bool fromSource = hash is not null && await SourceHeardAsync(hash, hex!, ct);
            var areaSurge = await OpenSurgeAsync(area, ct);
            var lane = _budget.Decide(false, _window.Queued, _window.Area(area), areaSurge?.LastReportAt, fromSource ? 1 : 0, _now);
            if (hex is not null) _sourceHeard[hex] = true;
            _window.Add(area, queued: lane == IntakeLane.Queue);
            if (lane != IntakeLane.Queue)
            {
                var surge = lane == IntakeLane.AreaSurge ? areaSurge : await OpenSurgeAsync(IntakeArea.Network, ct);
                if (surge is null || _now - surge.LastReportAt >= _budget.Quiet)
                {
                    surge = Surge.Start(lane == IntakeLane.AreaSurge ? area : IntakeArea.Network, report, _now);
                    _db.Surges.Add(surge);
                    _openSurges!.Add(surge);
                    surge.Hold(report, newSource: true);
                }
                else surge.Hold(report, newSource: hash is null || !await HeldFromAsync(surge.Id, hash, hex!, report.Id, ct));
                if (hex is not null) _heldFrom.Add((surge.Id, hex));
                Surges[surge] = (Surges.TryGetValue(surge, out var tell) && tell) || surge.ReportCount == 1 || surge.ReportCount % 10 == 0;
                return new Filed(null, surge);
            }
        }
        else _window.Add(report.Area, queued: true);
        return new Filed(await JoinSightingAsync(report, ct), null);
    }

    /// <summary>
    /// Files a report to the queue (the report already in the context): it joins the nearest open sighting the
    /// clustering rule allows when it has a location, or starts a sighting of its own.
    /// </summary>
    public async Task<Sighting> JoinSightingAsync(Report report, CancellationToken ct)
    {
        Sighting? sighting = null;
        var hash = report.SourceHash;
        var hex = hash is null ? null : Convert.ToHexString(hash);
        if (report.Location is not null)
        {
            if (_candidates is null) await LoadCandidatesAsync([report], ct);
            if (_rule.Pick(_candidates!, report) is { } picked)
                sighting = _tracked.TryGetValue(picked.Id, out var own) ? own : await TrackAsync(picked.Id, ct);
        }
        if (sighting is null)
        {
            sighting = Sighting.StartFrom(report, _now);
            _db.Sightings.Add(sighting);
            _tracked[sighting.Id] = sighting;
            _candidates?.Add(sighting);
        }
        else
        {
            bool heard = hash is not null && await JoinedFromAsync(sighting.Id, hash, hex!, report.Id, ct);
            sighting.Absorb(report, _now, newSource: !heard);
        }
        if (hex is not null) _joinedFrom.Add((sighting.Id, hex));
        if (_touched.Add(sighting)) Sightings.Add(sighting);
        return sighting;
    }

    /// <summary>
    /// Candidates: open sightings within the time window of any of the reports (few: a sighting closes or expires within
    /// hours). Their positions are sealed at rest (issue 13), so they are read as rows and the distance is checked in memory
    /// by the rule; only the sightings the reports will likely join are then loaded (tracked, fully opened), in one query.
    /// </summary>
    private async Task LoadCandidatesAsync(IReadOnlyList<Report> reports, CancellationToken ct)
    {
        var from = reports.Min(r => r.ObservedAt) - _rule.TimeWindow;
        var to = reports.Max(r => r.ObservedAt) + _rule.TimeWindow;
        var rows = await _db.Sightings.AsNoTracking()
            .Where(s => (s.State == SightingState.New || s.State == SightingState.Verifying || s.State == SightingState.Confirmed)
                        && s.LastReportAt >= from && s.FirstReportAt <= to)
            .Select(s => new { s.Id, s.State, s.PositionCipher, s.FirstReportAt, s.LastReportAt })
            .ToListAsync(ct);
        // A sighting the context already tracks (the SMS dialogue's own) is taken as tracked, as a tracked query would.
        _tracked = _db.ChangeTracker.Entries<Sighting>().Where(e => e.State is EntityState.Unchanged or EntityState.Modified or EntityState.Added)
            .ToDictionary(e => e.Entity.Id, e => e.Entity);
        var positions = Privacy.ReportSealing.OpenSightingPositions(_db, rows.Select(r => (r.Id, r.PositionCipher)).ToList());
        _candidates = rows.Select((r, i) => _tracked.TryGetValue(r.Id, out var t) ? t : new Sighting
        {
            Id = r.Id, State = r.State, Lat = positions[i].Lat, Lon = positions[i].Lon,
            FirstReportAt = r.FirstReportAt, LastReportAt = r.LastReportAt,
        }).ToList();
        var read = rows.Select(r => r.Id).ToHashSet();
        _candidates.AddRange(_tracked.Values.Where(s => !read.Contains(s.Id) && s.IsOpen));

        // The sightings the reports pick as things stand, loaded in one query, and for each source of the batch which of
        // them already heard it (one query per source).
        var likely = reports.Select(r => _rule.Pick(_candidates, r)?.Id).OfType<Guid>().Where(id => !_tracked.ContainsKey(id)).Distinct().ToList();
        if (likely.Count > 0)
        {
            foreach (var s in await _db.Sightings.Where(s => likely.Contains(s.Id)).ToListAsync(ct)) Track(s);
            var pairsFor = likely.Select(id => (Guid?)id).ToList();
            foreach (var hash in reports.Where(r => r.SourceHash is not null).Select(r => r.SourceHash!).DistinctBy(Convert.ToHexString))
            {
                var hex = Convert.ToHexString(hash);
                foreach (var id in await _db.Reports.Where(r => r.SourceHash == hash && pairsFor.Contains(r.SightingId))
                             .Select(r => r.SightingId!.Value).Distinct().ToListAsync(ct))
                    _joinedFrom.Add((id, hex));
                _pairsKnownFrom.Add(hex);
            }
            _pairsKnownFor.UnionWith(likely);
        }
    }

    private async Task<Sighting> TrackAsync(Guid id, CancellationToken ct) => Track(await _db.Sightings.FirstAsync(s => s.Id == id, ct));

    private Sighting Track(Sighting s)
    {
        _tracked[s.Id] = s;
        var i = _candidates!.FindIndex(c => c.Id == s.Id);
        if (i >= 0) _candidates[i] = s;
        return s;
    }

    private async Task<bool> SourceHeardAsync(byte[] hash, string hex, CancellationToken ct)
    {
        if (_sourceHeard.TryGetValue(hex, out var heard)) return heard;
        var since = _now - IntakeBudget.Window;
        heard = await _db.Reports.AnyAsync(r => r.ReceivedAt > since && r.SourceHash == hash, ct);
        return _sourceHeard[hex] = heard;
    }

    private async Task<bool> JoinedFromAsync(Guid sightingId, byte[] hash, string hex, Guid reportId, CancellationToken ct)
    {
        if (_joinedFrom.Contains((sightingId, hex))) return true;
        if (_pairsKnownFor.Contains(sightingId) && _pairsKnownFrom.Contains(hex)) return false;
        return await _db.Reports.AnyAsync(r => r.SightingId == sightingId && r.SourceHash == hash && r.Id != reportId, ct);
    }

    private async Task<bool> HeldFromAsync(Guid surgeId, byte[] hash, string hex, Guid reportId, CancellationToken ct) =>
        _heldFrom.Contains((surgeId, hex))
        || await _db.Reports.AnyAsync(r => r.SurgeId == surgeId && r.SourceHash == hash && r.Id != reportId, ct);

    private async Task<Surge?> OpenSurgeAsync(string area, CancellationToken ct)
    {
        _openSurges ??= await _db.Surges.Where(s => s.State == SurgeState.Open).ToListAsync(ct);
        return _openSurges.Where(s => s.Area == area && s.State == SurgeState.Open).MaxBy(s => s.LastReportAt);
    }
}

/// <summary>
/// The last minute's report counts the intake budget reads: reports that reached the queue network-wide, and reports per
/// area (held or not). A report filed in the same unit of work is added as it is filed.
/// </summary>
public sealed class IntakeWindow
{
    public int Queued { get; private set; }
    private readonly Dictionary<string, int> _areas;

    public IntakeWindow(int queued, Dictionary<string, int> areas) => (Queued, _areas) = (queued, areas);

    public int Area(string area) => _areas.GetValueOrDefault(area);

    public void Add(string? area, bool queued)
    {
        if (queued) Queued++;
        if (area is not null) _areas[area] = _areas.GetValueOrDefault(area) + 1;
    }

    /// <summary>
    /// For one report: its area's count and the network's, each counted only up to its limit (the budget only asks whether
    /// a count reached it: counting stops there).
    /// </summary>
    public static async Task<IntakeWindow> ForOneAsync(WhistleDb db, string area, IntakeBudget budget, DateTimeOffset now, CancellationToken ct)
    {
        var since = now - IntakeBudget.Window;
        int queued = await db.Reports.Where(r => r.ReceivedAt > since && r.SurgeId == null).Take(budget.NetworkPerMinute).CountAsync(ct);
        int inArea = await db.Reports.Where(r => r.ReceivedAt > since && r.Area == area).Take(budget.AreaPerMinute).CountAsync(ct);
        return new IntakeWindow(queued, new() { [area] = inArea });
    }
}
