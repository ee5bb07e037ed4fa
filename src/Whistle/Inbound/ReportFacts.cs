using System.Text.RegularExpressions;
using Whistle.Reports;

namespace Whistle.Inbound;

/// <summary>The SALUTE questions an SMS report may still be missing, asked one at a time in this order.</summary>
public enum SaluteQuestion { Where, What, Size, Agency }

/// <summary>
/// What a texted report says, read from its words in any of the four languages: the activity
/// ("checkpoint", "redada"), how many agents and vehicles ("4 agents 2 vans", or a bare number when
/// that was the question), the agency ("ICE", "la migra", "border patrol"). Only what is said is set:
/// a fact already known is not overwritten by silence.
/// </summary>
public static partial class ReportFacts
{
    /// <summary>Reads the text into the report; <paramref name="answering"/> is the question it answers, if any.</summary>
    public static void Apply(Report r, string text, SaluteQuestion? answering)
    {
        var n = SmsKeywords.Normalize(text);
        var words = n.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (ActivityOf(words, n) is { } a && (r.Activity == Activity.Other || answering == SaluteQuestion.What)) r.Activity = a;
        if (AgencyOf(words, n) is { } g && (r.Agency == Agency.Unknown || answering == SaluteQuestion.Agency)) r.Agency = g;
        foreach (Match m in Counted().Matches(n))
        {
            int count = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (count > 1000) continue;
            if (Vehicles.Contains(Singular(m.Groups[2].Value))) r.Vehicles = count;
            else if (People.Contains(Singular(m.Groups[2].Value))) r.Agents = count;
        }
        if (answering == SaluteQuestion.Size && r.Agents is null && r.Vehicles is null
            && Number().Match(n) is { Success: true } bare && int.TryParse(bare.Value, out var only) && only <= 1000)
            r.Agents = only;
    }

    /// <summary>The first question the report still needs that has not been asked yet; null when nothing is left to ask.</summary>
    public static SaluteQuestion? Next(Report r, IReadOnlyCollection<SaluteQuestion> asked)
    {
        foreach (var q in Enum.GetValues<SaluteQuestion>())
        {
            if (asked.Contains(q)) continue;
            bool missing = q switch
            {
                SaluteQuestion.Where => r.PlaceText is null && r.Lat is null,
                SaluteQuestion.What => r.Activity == Activity.Other,
                SaluteQuestion.Size => r.Agents is null && r.Vehicles is null,
                _ => r.Agency == Agency.Unknown,
            };
            if (missing) return q;
        }
        return null;
    }

    private static Activity? ActivityOf(HashSet<string> w, string n)
    {
        bool raid = w.Overlaps(["RAID", "RAIDS", "REDADA", "REDADAS", "WEERAR", "TUAJ"]);
        if (raid && w.Overlaps(["WORK", "WORKPLACE", "JOB", "FACTORY", "RESTAURANT", "TRABAJO", "FABRICA", "SHAQO", "HAUJLWM"])) return Activity.WorkplaceRaid;
        if (raid || (w.Overlaps(["HOUSE", "HOME", "APARTMENT", "DOOR", "CASA", "VIVIENDA", "PUERTA", "GURI", "TSEV"]) && w.Overlaps(["KNOCKING", "ENTERED", "TOCANDO", "ENTRARON"])))
            return Activity.HomeRaid;
        if (w.Overlaps(["CHECKPOINT", "ROADBLOCK", "RETEN", "BAARITAAN", "NRES"]) || n.Contains("PUNTO DE CONTROL", StringComparison.Ordinal)) return Activity.Checkpoint;
        if (w.Overlaps(["ARREST", "ARRESTED", "ARRESTING", "DETAINED", "TOOK", "TAKING", "HANDCUFFED", "ARRESTO", "ARRESTARON", "DETUVIERON", "DETENIDO", "DETENIDA", "XARIG", "XIREEN", "NTES"]))
            return Activity.Arrest;
        if (w.Overlaps(["PATROL", "PATROLLING", "DRIVING", "PARKED", "CIRCLING", "PATRULLA", "PATRULLANDO", "ESTACIONADOS", "ILAALO", "NCIG"])) return Activity.Patrol;
        return null;
    }

    private static Agency? AgencyOf(HashSet<string> w, string n)
    {
        if (n.Contains("BORDER PATROL", StringComparison.Ordinal) || n.Contains("PATRULLA FRONTERIZA", StringComparison.Ordinal) || w.Contains("CBP")) return Agency.Cbp;
        if (w.Overlaps(["ICE", "MIGRA", "IMMIGRATION", "INMIGRACION", "HSI", "ERO", "SOCDAALKA"])) return Agency.Ice;
        if (w.Overlaps(["POLICE", "POLICIA", "SHERIFF", "MPD", "COPS", "BOOLIIS", "POLICE"])) return Agency.Police;
        if (w.Overlaps(["FBI", "DEA", "ATF", "MARSHALS", "NATIONAL GUARD"])) return Agency.Other;
        return null;
    }

    /// <summary>The word, or without its plural ending, whichever a list knows.</summary>
    private static string Singular(string word) =>
        new[] { word, word.EndsWith('S') ? word[..^1] : word, word.EndsWith("ES", StringComparison.Ordinal) ? word[..^2] : word }
            .FirstOrDefault(w => People.Contains(w) || Vehicles.Contains(w)) ?? word;

    private static readonly HashSet<string> People = ["AGENT", "AGENTS", "OFFICER", "OFFICERS", "MEN", "MAN", "PEOPLE", "AGENTE", "AGENTES", "OFICIAL", "OFICIALES", "HOMBRE", "HOMBRES", "SARKAAL", "NIN", "TUB", "LEUJ"];
    private static readonly HashSet<string> Vehicles = ["VEHICLE", "CAR", "TRUCK", "VAN", "SUV", "VEHICULO", "CARRO", "COCHE", "CAMIONETA", "TROCA", "PATRULLA", "BAABUUR", "GAARI", "TSHEB"];

    [GeneratedRegex(@"\b(\d{1,4}) ([A-Z]+)\b")]
    private static partial Regex Counted();

    [GeneratedRegex(@"\b\d{1,4}\b")]
    private static partial Regex Number();
}
