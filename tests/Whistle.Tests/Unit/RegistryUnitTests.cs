using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Whistle.Geo;
using Whistle.Incidents;
using Whistle.Registry;

namespace Whistle.Tests.Unit;

public class RegistryRowTests
{
    // Two square zones side by side; the gap east of them is outside every zone.
    internal static readonly ZoneCatalog Zones = new([
        (1, "Phillips", Square(44.94, -93.27, 44.96, -93.25)),
        (2, "Powderhorn", Square(44.92, -93.27, 44.94, -93.25)),
    ]);

    private static string Square(double s, double w, double n, double e) =>
        FormattableString.Invariant($$"""{"type":"Polygon","coordinates":[[[{{w}},{{s}}],[{{e}},{{s}}],[{{e}},{{n}}],[{{w}},{{n}}],[{{w}},{{s}}]]]}""");

    private static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    internal static Incident Sensitive() => new()
    {
        Title = "Raid at the Exampleperson home", OccurredAt = new DateTimeOffset(2026, 1, 14, 15, 30, 0, TimeSpan.Zero),
        Place = "3021 17th Ave S", Lat = 44.951234, Lon = -93.261234, Category = IncidentCategory.HomeRaid, Agencies = "ice,cbp",
        PeopleAffected = 3, Injured = 1, Deaths = 0, NamesCipher = [1, 2, 3, 4, 5, 6, 7, 8, 9], NamesConsent = true,
        Status = IncidentStatus.Referred, StatusNote = "Maria Exampleperson's lawyer filed a habeas petition", Published = true,
        CreatedBy = "documenter@staff.test",
    };

    [Fact]
    public void A_row_has_exactly_the_documented_fields_and_nothing_personal()
    {
        var incident = Sensitive();
        var row = RegistryRow.From(incident, Zones, Chicago);
        var json = JsonSerializer.Serialize(row, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(RegistryRow.Fields, JsonNode.Parse(json)!.AsObject().Select(p => p.Key).ToList());
        Assert.Equal(RegistryRow.Fields.Count, typeof(RegistryRow).GetProperties().Length);
        foreach (var secret in new[] { "Exampleperson", "3021 17th", "habeas", "documenter", "44.951234", "-93.261234", "44.9512", incident.Id.ToString(), incident.Id.ToString("N") })
            Assert.DoesNotContain(secret, json, StringComparison.OrdinalIgnoreCase);

        Assert.Equal("2026-01", row.Month);
        Assert.Equal("Phillips", row.Area);
        var label = Zones.Get(1).Label;
        Assert.Equal((Math.Round(label.Lat, 4), Math.Round(label.Lon, 4)), (row.Lat!.Value, row.Lon!.Value));
        Assert.Equal("home_raid", row.Category);
        Assert.Equal(["ice", "cbp"], row.Agencies);
        Assert.Equal((3, 1, 0), (row.PeopleAffected, row.Injured, row.Deaths));
        Assert.Equal("referred", row.Status);
    }

    [Fact]
    public void Every_incident_in_a_zone_gets_the_same_point_and_the_month_is_the_networks_local_month()
    {
        var a = Sensitive();
        var b = Sensitive();
        (b.Lat, b.Lon) = (44.958, -93.252);
        // 03:00 UTC on 1 February is still 31 January in Minneapolis.
        b.OccurredAt = new DateTimeOffset(2026, 2, 1, 3, 0, 0, TimeSpan.Zero);
        var (ra, rb) = (RegistryRow.From(a, Zones, Chicago), RegistryRow.From(b, Zones, Chicago));
        Assert.Equal((ra.Lat, ra.Lon), (rb.Lat, rb.Lon));
        Assert.Equal("2026-01", rb.Month);
        Assert.Equal("2026-02", RegistryRow.From(b, Zones).Month); // UTC
        Assert.NotEqual(ra.Id, rb.Id);
        Assert.Equal(ra.Id, RegistryRow.From(a, Zones, Chicago).Id); // stable
        Assert.Matches("^r[0-9a-f]{12}$", ra.Id);
    }

    [Fact]
    public void Outside_every_zone_the_area_is_unknown_and_the_point_is_on_a_two_decimal_grid_and_no_position_has_none()
    {
        var outside = Sensitive();
        (outside.Lat, outside.Lon) = (44.944123, -93.093456);
        var row = RegistryRow.From(outside, Zones);
        Assert.Equal((RegistryRow.UnknownArea, 44.94, -93.09), (row.Area, row.Lat!.Value, row.Lon!.Value));

        var nowhere = Sensitive();
        (nowhere.Lat, nowhere.Lon) = (null, null);
        var none = RegistryRow.From(nowhere, Zones);
        Assert.Equal((RegistryRow.UnknownArea, (double?)null, (double?)null), (none.Area, none.Lat, none.Lon));
    }

    [Theory]
    [InlineData("ice, CBP ,police", new[] { "ice", "cbp", "police" })]
    [InlineData("police,ice,ice", new[] { "ice", "police" })]
    [InlineData("Officer John Smith; ice", new[] { "ice", "other" })]
    [InlineData("", new string[0])]
    public void Agencies_are_a_fixed_list_and_free_text_becomes_other(string written, string[] expected) =>
        Assert.Equal(expected, RegistryRow.AgenciesOf(written));

    [Fact]
    public void Statistics_count_by_month_category_agency_and_status_from_the_rows()
    {
        var rows = new[]
        {
            new RegistryRow("r1", "2026-01", "A", null, null, "arrest", ["ice", "police"], 2, 0, 0, "open"),
            new RegistryRow("r2", "2026-01", "B", null, null, "shooting", ["ice"], 1, 1, 1, "closed"),
            new RegistryRow("r3", "2025-12", "A", null, null, "arrest", ["police"], 4, 2, 0, "open"),
        };
        var stats = RegistryStats.Of(new RegistryRelease(rows, 0, 1));
        Assert.Equal((3, 7, 3, 1), (stats.Incidents, stats.PeopleAffected, stats.Injured, stats.Deaths));
        Assert.Equal([new MonthCount("2025-12", 1, 4, 2, 0), new MonthCount("2026-01", 2, 3, 1, 1)], stats.ByMonth);
        Assert.Equal([new CategoryCount("arrest", 2), new CategoryCount("shooting", 1)], stats.ByCategory);
        Assert.Equal([new AgencyCount("ice", 2), new AgencyCount("police", 2)], stats.ByAgency);
        Assert.Equal([new StatusCount("closed", 1), new StatusCount("open", 2)], stats.ByStatus);
    }

    [Fact]
    public void The_csv_is_rfc_4180_and_defuses_formulas()
    {
        var rows = new[]
        {
            new RegistryRow("r1", "2026-01", "=HYPERLINK(\"x\")", 44.95, -93.26, "arrest", ["ice", "cbp"], 2, 0, 0, "open"),
            new RegistryRow("r2", "2026-02", "Cedar, Riverside", null, null, "other", [], 1, 0, 0, "closed"),
        };
        var csv = RegistryFormats.Csv(rows);
        Assert.Equal(
            "id,month,area,lat,lon,category,agencies,peopleAffected,injured,deaths,status\r\n" +
            "r1,2026-01,\"'=HYPERLINK(\"\"x\"\")\",44.95,-93.26,arrest,ice;cbp,2,0,0,open\r\n" +
            "r2,2026-02,\"Cedar, Riverside\",,,other,,1,0,0,closed\r\n", csv);
    }
}

public class RegistryBarChartTests
{
    private static XDocument Parse(string svg)
    {
        using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        return XDocument.Load(reader);
    }

    private static readonly XNamespace S = "http://www.w3.org/2000/svg";

    private static List<XElement> Bars(XDocument doc) => doc.Descendants(S + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();

    [Fact]
    public void One_bar_per_value_with_heights_proportional_to_the_values_and_labelled()
    {
        var chart = new BarChart("c", "Incidents by month", "Month", "Incidents", [("2026-01", 2), ("2026-02", 6), ("2026-03", 3)]);
        var doc = Parse(chart.Render());
        var bars = Bars(doc);
        Assert.Equal(3, bars.Count);
        var heights = bars.Select(b => double.Parse((string)b.Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2 / 6.0, heights[0] / heights[1], 2);
        Assert.Equal(3 / 6.0, heights[2] / heights[1], 2);
        Assert.All(heights, h => Assert.True(h > 0));
        Assert.Equal(["2026-01", "2026-02", "2026-03"], doc.Descendants(S + "text").Where(t => (string?)t.Attribute("class") == "x-label").Select(t => t.Value));
        Assert.Equal(["2", "6", "3"], doc.Descendants(S + "text").Where(t => (string?)t.Attribute("class") == "value").Select(t => t.Value));
    }

    [Fact]
    public void The_chart_is_an_image_named_by_its_title_and_described_by_its_values()
    {
        var chart = new BarChart("c", "Incidents by kind", "Kind", "Incidents", [("Arrest", 4), ("Shooting", 1)]) { DescriptionPrefix = "Bar chart." };
        var svg = Parse(chart.Render()).Root!;
        Assert.Equal("img", (string?)svg.Attribute("role"));
        Assert.Equal("Incidents by kind", (string?)svg.Attribute("aria-label"));
        Assert.Equal("Incidents by kind", svg.Element(S + "title")!.Value);
        Assert.Equal("Bar chart. Arrest: 4; Shooting: 1.", svg.Element(S + "desc")!.Value);
        Assert.Equal((string?)svg.Element(S + "desc")!.Attribute("id"), (string?)svg.Attribute("aria-describedby"));
        Assert.Contains(svg.Descendants(S + "text"), t => t.Value == "Kind");
        Assert.Contains(svg.Descendants(S + "text"), t => t.Value == "Incidents");
    }

    [Fact]
    public void Text_is_escaped()
    {
        const string evil = "<script>alert(1)</script> & \"quotes\"";
        var raw = new BarChart("c", evil, "x", "y", [(evil, 1)]).Render();
        Assert.DoesNotContain("<script>", raw);
        var doc = Parse(raw);
        Assert.Empty(doc.Descendants(S + "script"));
        Assert.Equal(evil, doc.Root!.Element(S + "title")!.Value);
        Assert.Equal(evil + ": 1", Bars(doc).Single().Element(S + "title")!.Value);
    }

    [Fact]
    public void No_data_draws_no_bars_and_says_so()
    {
        var doc = Parse(new BarChart("c", "t", "x", "y", []) { EmptyText = "Nothing yet" }.Render());
        Assert.Empty(Bars(doc));
        Assert.Contains(doc.Descendants(S + "text"), t => t.Value == "Nothing yet");
        Assert.Equal("Nothing yet", doc.Root!.Element(S + "desc")!.Value);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 5, 1)]
    [InlineData(7, 8, 2)]
    [InlineData(12, 15, 5)]
    [InlineData(48, 50, 10)]
    [InlineData(0, 1, 1)]
    public void The_axis_ends_on_a_round_number(int max, int top, int step) =>
        Assert.Equal((top, step), BarChart.Scale(max));

    // The small-numbers rule (SmallCells): every published cell (place, period, kind) holds at least k rows.
    private static RegistryRow Row(string id, string month, string area, string category = "arrest", double? lat = 1, double? lon = 2) =>
        new(id, month, area, lat, lon, category, ["ice"], 1, 0, 0, "open");

    [Fact]
    public void A_cell_of_k_or_more_is_published_at_neighbourhood_and_month_and_a_lone_row_is_generalised_or_withheld()
    {
        var rows = new List<RegistryRow>();
        for (int i = 0; i < 5; i++) rows.Add(Row("b" + i, "2025-09", "Powderhorn"));
        rows.Add(Row("lone", "2025-06", "Phillips"));
        var release = SmallCells.Apply(rows, 3);
        Assert.Equal(5, release.Rows.Count);
        Assert.All(release.Rows, r => Assert.Equal(("2025-09", "Powderhorn"), (r.Month, r.Area)));
        Assert.DoesNotContain(release.Rows, r => r.Id == "lone");
        Assert.Equal(1, release.NotShown);
        var stats = RegistryStats.Of(release);
        Assert.Equal((5, (int?)null), (stats.Incidents, stats.NotShown)); // 1 is "fewer than 3"
        Assert.Equal([new MonthCount("2025-09", 5, 5, 0, 0)], stats.ByMonth);

        // k = 1: every row as made, at its neighbourhood and month (the registry before the rule).
        var all = SmallCells.Apply(rows, 1);
        Assert.Equal(RegistryRow.Order(rows), all.Rows);
        Assert.Equal(0, all.NotShown);
        Assert.Equal(1, SmallCells.Apply(rows, 0).MinCellSize);
    }

    [Fact]
    public void Small_cells_climb_month_quarter_year_then_all_areas_and_never_mix_kinds()
    {
        var rows = new[]
        {
            // Three in Phillips in Q1, in three months: published as 2025-Q1.
            Row("q1", "2025-01", "Phillips"), Row("q2", "2025-02", "Phillips"), Row("q3", "2025-03", "Phillips"),
            // Three in Powderhorn, across the year: 2025.
            Row("y1", "2025-02", "Powderhorn"), Row("y2", "2025-07", "Powderhorn"), Row("y3", "2025-11", "Powderhorn"),
            // One each in three areas, one quarter: all areas, 2025-Q4, no point.
            Row("a1", "2025-10", "Cedar"), Row("a2", "2025-11", "Seward"), Row("a3", "2025-12", "Unknown area", lat: 44.94, lon: -93.09),
            // A shooting alone: not merged with arrests, withheld.
            Row("s1", "2025-10", "Cedar", "shooting"),
        };
        var release = SmallCells.Apply(rows, 3);
        var by = release.Rows.ToDictionary(r => r.Id);
        Assert.All(["q1", "q2", "q3"], id => Assert.Equal(("2025-Q1", "Phillips"), (by[id].Month, by[id].Area)));
        Assert.All(["y1", "y2", "y3"], id => Assert.Equal(("2025", "Powderhorn"), (by[id].Month, by[id].Area)));
        Assert.All(["a1", "a2", "a3"], id => Assert.Equal(("2025-Q4", SmallCells.AllAreas, (double?)null, (double?)null), (by[id].Month, by[id].Area, by[id].Lat, by[id].Lon)));
        Assert.False(by.ContainsKey("s1"));
        Assert.Equal(1, release.NotShown);
        // Every published cell holds at least k rows.
        Assert.All(release.Rows.GroupBy(r => (r.Month, r.Area, r.Lat, r.Lon, r.Category)), cell => Assert.True(cell.Count() >= 3));
        Assert.Equal(("2025-Q4", "2025", "2025-06"), (SmallCells.PeriodOf("2025-12", SmallCells.Period.Quarter), SmallCells.PeriodOf("2025-12", SmallCells.Period.Year), SmallCells.PeriodOf("2025-06", SmallCells.Period.Month)));
    }

    [Fact]
    public void Statistics_never_show_a_count_between_one_and_k()
    {
        var rows = new[]
        {
            new RegistryRow("r1", "2026-01", "A", null, null, "arrest", ["ice", "police"], 2, 0, 0, "open"),
            new RegistryRow("r2", "2026-01", "A", null, null, "arrest", ["ice"], 1, 1, 1, "closed"),
            new RegistryRow("r3", "2026-01", "A", null, null, "arrest", ["ice"], 4, 2, 0, "open"),
        };
        var stats = RegistryStats.Of(new RegistryRelease(rows, 4, 3));
        Assert.Equal((3, (int?)4), (stats.Incidents, stats.NotShown));
        Assert.Equal([new AgencyCount("ice", 3), new AgencyCount("police", null)], stats.ByAgency);
        Assert.Equal([new StatusCount("closed", null), new StatusCount("open", null)], stats.ByStatus);
        Assert.Equal((int?)null, SmallCells.Published(2, 3));
        Assert.Equal(((int?)0, (int?)3), (SmallCells.Published(0, 3), SmallCells.Published(3, 3)));
    }
}
