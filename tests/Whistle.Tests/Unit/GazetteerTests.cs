using NetTopologySuite.Geometries;
using Whistle.Geo;
using Whistle.Network;
using Whistle.Places;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 12 §1: the local gazetteer turns what a dispatcher types — a street, an intersection in any of the
/// network's four languages, a neighbourhood, a landmark — into candidates to pick from, with no geocoder.
/// </summary>
public class GazetteerTests
{
    private static readonly ZoneCatalog Zones = new(DemoNetwork.Zones().Select(z => (z.Id, z.Name, z.GeoJson)));
    private static readonly Gazetteer Minneapolis = new(GazetteerRegistry.Shipped(), Zones);
    private static readonly GeoPoint CedarRiverside = new(44.9692, -93.2475);

    private static void Near(GeoPoint expected, PlaceCandidate c, double metres = 30) =>
        Assert.True(expected.DistanceTo(new GeoPoint(c.Lat, c.Lon)) <= metres, $"{c} is {expected.DistanceTo(new GeoPoint(c.Lat, c.Lon)):F0} m from {expected}");

    [Theory]
    [InlineData("Cedar Ave & Riverside Ave")]     // en
    [InlineData("Cedar and Riverside")]
    [InlineData("cedar avenue south at riverside avenue")]
    [InlineData("Cedar Ave / Riverside")]
    [InlineData("Cedar @ Riverside")]
    [InlineData("Cedar Ave iyo Riverside")]       // so
    [InlineData("Cedar y Riverside")]             // es
    [InlineData("Avenida Cedar e Riverside")]
    [InlineData("esquina Cedar con Riverside")]
    [InlineData("Cedar Ave thiab Riverside")]     // hmn
    [InlineData("Cedar nrog Riverside")]
    [InlineData("  CEDAR AVE. S   &   RIVERSIDE AV.  ")]
    public void An_intersection_in_any_language_resolves_to_the_crossing(string query)
    {
        var found = Minneapolis.Lookup(query);
        var first = Assert.Single(found);
        Assert.Equal("intersection", first.Kind);
        Assert.Equal("Cedar Ave S & Riverside Ave", first.Label);
        Assert.Equal("Cedar Riverside", first.Zone);
        Near(CedarRiverside, first);
    }

    [Theory]
    [InlineData("Lake St and Nicollet", 44.9485, -93.2777)]
    [InlineData("E Lake Street / Chicago Ave", 44.9484, -93.2624)]
    [InlineData("East Lake Street & Chicago Avenue", 44.9484, -93.2624)]
    [InlineData("Lake Stréet y Chicago Avenida", 44.9484, -93.2624)]
    [InlineData("38th St E & Chicago", 44.9340, -93.2624)]
    [InlineData("E 38 Street at Chicago Ave S", 44.9340, -93.2624)]
    public void Abbreviations_directions_case_and_diacritics_do_not_matter(string query, double lat, double lon)
    {
        var found = Minneapolis.Lookup(query);
        var first = Assert.Single(found);
        Assert.Equal("intersection", first.Kind);
        Near(new GeoPoint(lat, lon), first);
    }

    [Fact]
    public void A_direction_that_contradicts_the_street_finds_nothing()
    {
        Assert.Empty(Minneapolis.Lookup("W Lake St & Chicago Ave")); // West Lake ends at Nicollet
    }

    [Fact]
    public void A_street_named_twice_or_a_name_shared_with_a_neighbourhood_gives_several_candidates_with_their_neighbourhoods()
    {
        var lake = Minneapolis.Lookup("Lake St").Where(c => c.Kind == "street").ToList();
        Assert.Equal(["E Lake St", "W Lake St"], lake.Select(c => c.Label).Order());
        Assert.All(lake, c => Assert.NotNull(c.Zone));
        Assert.NotEqual(lake[0].Zone, lake[1].Zone);

        var lyndale = Minneapolis.Lookup("Lyndale");
        Assert.Contains(lyndale, c => c.Kind == "zone" && c.Label == "Lyndale" && c.ZoneId is not null);
        Assert.Contains(lyndale, c => c.Kind == "street" && c.Label == "Lyndale Ave S");

        var central = Minneapolis.Lookup("central");
        Assert.Contains(central, c => c.Kind == "place" && c.Label == "Mercado Central");
        Assert.Contains(central, c => c.Kind == "street" && c.Label == "Central Ave NE");
    }

    [Fact]
    public void Two_streets_that_cross_twice_give_two_crossings()
    {
        var f = new GeometryFactory(new PrecisionModel(), 4326);
        LineString Line(params double[] lonLat) =>
            f.CreateLineString(Enumerable.Range(0, lonLat.Length / 2).Select(i => new Coordinate(lonLat[2 * i], lonLat[2 * i + 1])).ToArray());
        var g = new Gazetteer([
            new("Oak Ave", Line(-93.27, 44.93, -93.27, 44.97)),
            new("Main St", Line(-93.28, 44.935, -93.26, 44.935, -93.26, 44.955, -93.28, 44.955)),
        ], Zones);
        var found = g.Lookup("Main Street and Oak Avenue");
        Assert.Equal(2, found.Count);
        Assert.All(found, c => Assert.Equal("Main St & Oak Ave", c.Label));
        Near(new GeoPoint(44.935, -93.27), found.OrderBy(c => c.Lat).First());
        Near(new GeoPoint(44.955, -93.27), found.OrderBy(c => c.Lat).Last());
    }

    [Fact]
    public void A_single_street_or_a_landmark_gives_a_point_on_it()
    {
        var riverside = Assert.Single(Minneapolis.Lookup("Riverside Avenue"));
        Assert.Equal("street", riverside.Kind);
        Assert.True(new GeoPoint(riverside.Lat, riverside.Lon).DistanceTo(CedarRiverside) < 1500);

        var market = Assert.Single(Minneapolis.Lookup("midtown global market"));
        Assert.Equal("place", market.Kind);
        Assert.NotNull(market.Zone);

        var zone = Assert.Single(Minneapolis.Lookup("Cedar-Riverside"), c => c.Kind == "zone");
        Assert.Equal("Cedar Riverside", zone.Label);
        Assert.True(Zones.Get(zone.ZoneId!.Value).Contains(new GeoPoint(zone.Lat, zone.Lon)));
    }

    [Theory]
    [InlineData("Nowhere Blvd & Imaginary St")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("& & / @")]
    [InlineData("and")]
    [InlineData("\u0000\u202e<script>alert(1)</script>")]
    public void Nothing_found_is_an_empty_list(string query) => Assert.Empty(Minneapolis.Lookup(query));

    [Fact]
    public void A_very_long_or_repetitive_query_is_cut_and_answered()
    {
        Assert.Empty(Minneapolis.Lookup(string.Concat(Enumerable.Repeat("and ", 5000))));
        var many = Minneapolis.Lookup(string.Concat(Enumerable.Repeat("Cedar & Riverside & ", 20)));
        Assert.InRange(many.Count, 0, Gazetteer.MaxCandidates);
    }

    [Fact]
    public void A_network_without_streets_still_finds_its_neighbourhoods()
    {
        var zonesOnly = new Gazetteer([], Zones);
        Assert.Empty(zonesOnly.Lookup("Cedar Ave & Riverside"));
        Assert.Equal("Seward", Assert.Single(zonesOnly.Lookup("seward")).Label);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "FeatureCollection")]
    [InlineData("""{"type":"Feature"}""", "FeatureCollection")]
    [InlineData("""{"type":"FeatureCollection","features":{}}""", "FeatureCollection")]
    [InlineData("""{"type":"FeatureCollection","features":[]}""", "No named")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Elm"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}""", "No named")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Elm"},"geometry":{"type":"LineString","coordinates":[[0,0]]}}]}""", "No named")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Elm"},"geometry":{"type":"LineString","coordinates":[[0,0],[200,95]]}}]}""", "No named")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Elm"},"geometry":{"type":"LineString","coordinates":[["a","b"],[1,1]]}}]}""", "No named")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":7},"geometry":{"type":"Point","coordinates":[1,1]}}]}""", "No named")]
    [InlineData("""{"type":"FeatureCollection","features":[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]}""", "not valid JSON")]
    public void Hostile_gazetteer_files_are_refused_with_a_reason(string json, string reason)
    {
        var (entries, _, error) = Gazetteer.Parse(json);
        Assert.Empty(entries);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Imported_names_are_cleaned_and_capped_and_limits_hold()
    {
        var json = """
            {"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"Elm\u0007 St\u202e <b>x</b>"},"geometry":{"type":"LineString","coordinates":[[-93.27,44.95],[-93.26,44.95]]}},
            {"type":"Feature","properties":{"name":"NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN"},"geometry":{"type":"Point","coordinates":[-93.27,44.95]}},
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[-93.27,44.95]}}]}
            """;
        var (entries, skipped, error) = Gazetteer.Parse(json);
        Assert.Null(error);
        var elm = Assert.Single(entries);
        Assert.Equal(2, skipped);
        Assert.DoesNotContain('\u0007', elm.Name);
        Assert.DoesNotContain('\u202e', elm.Name);
        Assert.Contains("<b>x</b>", elm.Name); // kept as text: pages render it with textContent
        Assert.Contains("At most 1", Gazetteer.Parse(json, maxFeatures: 1).Error);
        Assert.Contains("coordinates", Gazetteer.Parse(json, maxVertices: 1).Error);
        // What is stored reads back the same.
        Assert.Equal(elm.Name, Gazetteer.Parse(Gazetteer.ToGeoJson(entries)).Entries.Single().Name);
    }
}
