using System.Globalization;
using System.Xml.Linq;

namespace Whistle.Registry;

/// <summary>
/// A small, accessible SVG bar chart drawn on the server: a title, a y axis with a few round ticks, one
/// column per bar with its value above it and its label below (turned when the labels are too long to sit
/// side by side). <c>role="img"</c> with the title as its name and a text summary of every value as its
/// description, so a screen reader hears the numbers. Text goes through XML escaping; no script, no CSS.
/// </summary>
public sealed class BarChart(string id, string title, string xAxis, string yAxis, IReadOnlyList<(string Label, int Value)> bars)
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    public const string BarColour = "#0b4f8a";
    public const string InkColour = "#111111";

    public int Width { get; init; } = 420;
    public int Height { get; init; } = 300;
    /// <summary>Shown in place of the bars when there are none.</summary>
    public string EmptyText { get; init; } = "No data";
    /// <summary>Words before the list of values in the description ("Bar chart.").</summary>
    public string DescriptionPrefix { get; init; } = "";

    public IReadOnlyList<(string Label, int Value)> Bars => bars;

    private const int FontSize = 14, Left = 52, Right = 12, Top = 40, MaxLabelChars = 22;
    private const double CharWidth = FontSize * 0.6;

    public string Description => (DescriptionPrefix + " " + (bars.Count == 0
        ? EmptyText
        : string.Join("; ", bars.Select(b => $"{b.Label}: {b.Value.ToString(CultureInfo.InvariantCulture)}")) + ".")).Trim();

    /// <summary>The round number the y axis ends at, and its tick step (1, 2 or 5 times a power of ten, at most 5 ticks).</summary>
    public static (int Top, int Step) Scale(int max)
    {
        if (max <= 0) return (1, 1);
        int step = 1;
        for (long magnitude = 1; ; magnitude *= 10)
        {
            foreach (var m in new[] { 1, 2, 5 })
                if (max <= m * magnitude * 5) { step = (int)(m * magnitude); return ((max + step - 1) / step * step, step); }
        }
    }

    public XElement ToXml()
    {
        string labelsOf(string s) => s.Length <= MaxLabelChars ? s : s[..(MaxLabelChars - 1)] + "…";
        int longest = bars.Count == 0 ? 0 : bars.Max(b => labelsOf(b.Label).Length);
        double plotWidth = Width - Left - Right;
        double slot = bars.Count == 0 ? plotWidth : plotWidth / bars.Count;
        bool turn = longest * CharWidth > slot - 4;
        // Turned labels (at 45°) need room below the axis for their length.
        double bottom = 44 + (turn ? longest * CharWidth * 0.71 : 0);
        double height = Height + (turn ? bottom - 44 : 0);
        double plotTop = Top, plotBottom = height - bottom, plotHeight = plotBottom - plotTop;
        var (topValue, step) = Scale(bars.Count == 0 ? 0 : bars.Max(b => b.Value));

        var svg = new XElement(Svg + "svg",
            new XAttribute("width", Width), new XAttribute("height", N(height)),
            new XAttribute("viewBox", $"0 0 {Width} {N(height)}"),
            new XAttribute("role", "img"), new XAttribute("aria-label", title),
            new XAttribute("aria-describedby", id + "-desc"), new XAttribute("id", id),
            new XAttribute("class", "chart"),
            new XAttribute("font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"),
            new XAttribute("font-size", FontSize), new XAttribute("fill", InkColour),
            new XElement(Svg + "title", new XAttribute("id", id + "-title"), title),
            new XElement(Svg + "desc", new XAttribute("id", id + "-desc"), Description),
            new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "#ffffff")),
            Text(Width / 2.0, 22, title, "chart-title", anchor: "middle", weight: "700", size: FontSize + 2));

        // The y axis, its ticks and its title.
        for (int v = 0; v <= topValue; v += step)
        {
            double y = plotBottom - (double)v / topValue * plotHeight;
            svg.Add(new XElement(Svg + "line", new XAttribute("class", "grid"), new XAttribute("x1", Left), new XAttribute("x2", Width - Right),
                new XAttribute("y1", N(y)), new XAttribute("y2", N(y)), new XAttribute("stroke", v == 0 ? InkColour : "#c8c8c8"), new XAttribute("stroke-width", 1)));
            svg.Add(Text(Left - 6, y + FontSize * 0.35, v.ToString(CultureInfo.InvariantCulture), "y-tick", anchor: "end"));
        }
        svg.Add(new XElement(Svg + "line", new XAttribute("class", "axis"), new XAttribute("x1", Left), new XAttribute("x2", Left),
            new XAttribute("y1", N(plotTop)), new XAttribute("y2", N(plotBottom)), new XAttribute("stroke", InkColour), new XAttribute("stroke-width", 1)));
        var yTitle = Text(14, (plotTop + plotBottom) / 2, yAxis, "axis-title", anchor: "middle");
        yTitle.Add(new XAttribute("transform", $"rotate(-90 14 {N((plotTop + plotBottom) / 2)})"));
        svg.Add(yTitle);
        svg.Add(Text(Left + plotWidth / 2, height - 8, xAxis, "axis-title", anchor: "middle"));

        if (bars.Count == 0)
            svg.Add(Text(Left + plotWidth / 2, plotTop + plotHeight / 2, EmptyText, "empty", anchor: "middle"));

        for (int i = 0; i < bars.Count; i++)
        {
            var (label, value) = bars[i];
            double barHeight = (double)Math.Max(0, value) / topValue * plotHeight;
            double barWidth = Math.Min(slot * 0.7, 64);
            double cx = Left + slot * (i + 0.5);
            svg.Add(new XElement(Svg + "rect", new XAttribute("class", "bar"),
                new XAttribute("x", N(cx - barWidth / 2)), new XAttribute("y", N(plotBottom - barHeight)),
                new XAttribute("width", N(barWidth)), new XAttribute("height", N(barHeight)),
                new XAttribute("fill", BarColour), new XAttribute("data-value", value),
                new XElement(Svg + "title", $"{label}: {value.ToString(CultureInfo.InvariantCulture)}")));
            svg.Add(Text(cx, plotBottom - barHeight - 5, value.ToString(CultureInfo.InvariantCulture), "value", anchor: "middle", weight: "700"));
            var x = Text(cx, plotBottom + FontSize + 4, labelsOf(label), "x-label", anchor: turn ? "end" : "middle");
            if (turn)
            {
                x.SetAttributeValue("y", N(plotBottom + 10));
                x.SetAttributeValue("dy", "0.35em");
                x.Add(new XAttribute("transform", $"rotate(-45 {N(cx)} {N(plotBottom + 10)})"));
            }
            svg.Add(x);
        }
        return svg;
    }

    /// <summary>The chart as SVG markup (for a page to inline, or to serve as image/svg+xml).</summary>
    public string Render() => ToXml().ToString(SaveOptions.DisableFormatting);

    private static XElement Text(double x, double y, string text, string cls, string anchor = "start", string? weight = null, int? size = null)
    {
        var e = new XElement(Svg + "text", new XAttribute("class", cls), new XAttribute("x", N(x)), new XAttribute("y", N(y)),
            new XAttribute("text-anchor", anchor), text);
        if (weight is not null) e.Add(new XAttribute("font-weight", weight));
        if (size is not null) e.Add(new XAttribute("font-size", size));
        return e;
    }

    private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
