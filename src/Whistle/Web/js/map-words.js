// Leaflet's zoom buttons in the page's language: the words come from the layout (<html data-zoom-in data-zoom-out>).
// Loaded right after leaflet.js on every page with a map, before the page's own script makes its maps.
L.Control.Zoom.prototype.options.zoomInTitle = document.documentElement.dataset.zoomIn || "Zoom in";
L.Control.Zoom.prototype.options.zoomOutTitle = document.documentElement.dataset.zoomOut || "Zoom out";
