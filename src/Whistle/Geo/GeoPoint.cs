namespace Whistle.Geo;

/// <summary>A WGS 84 position in degrees. Distances are great-circle (haversine) metres.</summary>
public readonly record struct GeoPoint(double Lat, double Lon)
{
    public const double EarthRadiusMeters = 6_371_008.8;

    public static bool IsValid(double lat, double lon) =>
        double.IsFinite(lat) && double.IsFinite(lon) && lat is >= -90 and <= 90 && lon is >= -180 and <= 180;

    public double DistanceTo(GeoPoint other) => Distance(Lat, Lon, other.Lat, other.Lon);

    public static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        const double toRad = Math.PI / 180;
        double dLat = (lat2 - lat1) * toRad, dLon = (lon2 - lon1) * toRad;
        double a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
                 + Math.Cos(lat1 * toRad) * Math.Cos(lat2 * toRad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>The point reached by travelling <paramref name="meters"/> on <paramref name="bearingDegrees"/>.</summary>
    public GeoPoint Offset(double meters, double bearingDegrees)
    {
        const double toRad = Math.PI / 180;
        double d = meters / EarthRadiusMeters, b = bearingDegrees * toRad;
        double lat1 = Lat * toRad, lon1 = Lon * toRad;
        double lat2 = Math.Asin(Math.Sin(lat1) * Math.Cos(d) + Math.Cos(lat1) * Math.Sin(d) * Math.Cos(b));
        double lon2 = lon1 + Math.Atan2(Math.Sin(b) * Math.Sin(d) * Math.Cos(lat1), Math.Cos(d) - Math.Sin(lat1) * Math.Sin(lat2));
        return new GeoPoint(lat2 / toRad, lon2 / toRad);
    }

    /// <summary>Snaps to the centre of a ~<paramref name="cellMeters"/> grid cell, so a public map never shows a doorstep.</summary>
    public GeoPoint Coarsen(double cellMeters = 200)
    {
        double latStep = cellMeters / 111_320.0;
        double lat = (Math.Floor(Lat / latStep) + 0.5) * latStep;
        double lonStep = cellMeters / (111_320.0 * Math.Max(0.01, Math.Cos(lat * Math.PI / 180)));
        double lon = (Math.Floor(Lon / lonStep) + 0.5) * lonStep;
        return new GeoPoint(Math.Round(lat, 5), Math.Round(lon, 5));
    }
}

/// <summary>A circle on the ground: centre and radius in metres.</summary>
public readonly record struct GeoCircle(GeoPoint Center, double RadiusMeters)
{
    public bool Contains(GeoPoint p) => Center.DistanceTo(p) <= RadiusMeters;
    public bool Intersects(GeoCircle other) => Center.DistanceTo(other.Center) <= RadiusMeters + other.RadiusMeters;
}
