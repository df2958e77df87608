/* The workspace map: basemap, clustered record points, records counted by place, indicator
 * values by place. Everything it loads comes from this server (the data endpoints and the
 * static basemap); it writes no storage and builds every text node with textContent. */
(function () {
  "use strict";

  var element = document.getElementById("map");
  if (!element || !window.L || !window.topojson) {
    return;
  }
  var labels = JSON.parse(element.getAttribute("data-labels") || "{}");
  var rtl = document.documentElement.getAttribute("dir") === "rtl";
  var status = document.getElementById("map-status");
  var placesBody = document.getElementById("map-places-body");
  var recordsUrl = element.getAttribute("data-records") || "/records";
  var VALUE_COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

  function text(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function node(tag, className, content) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (content !== undefined && content !== null) {
      made.textContent = String(content);
    }
    return made;
  }

  function say(message, isError) {
    if (!status) {
      return;
    }
    var line = node("p", isError ? "map-error" : "map-note", message);
    status.appendChild(line);
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body && body.error ? body.error : labels.failed);
          }
          return body;
        });
      }
    );
  }

  var map = L.map(element, {
    center: [15, 0],
    zoom: 3,
    minZoom: 2,
    maxZoom: 14,
    worldCopyJump: true,
    keyboard: true,
    zoomControl: false
  });
  L.control.zoom({
    position: rtl ? "topright" : "topleft",
    zoomInTitle: labels.zoomIn,
    zoomOutTitle: labels.zoomOut
  }).addTo(map);
  element.setAttribute("data-zoom", String(map.getZoom()));
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(labels.attribution);
  map.createPane("fk-basemap").style.zIndex = 200;
  map.createPane("fk-values").style.zIndex = 300;
  map.createPane("fk-boundaries").style.zIndex = 350;

  var overlays = {};
  var layers = L.control.layers(null, overlays, {
    position: rtl ? "topleft" : "topright",
    collapsed: false
  }).addTo(map);
  layers.getContainer().setAttribute("dir", rtl ? "rtl" : "ltr");

  var admin1Shapes = {};
  var countryShapes = {};
  var countries = L.geoJSON(null, {
    pane: "fk-basemap",
    style: { className: "map-country", weight: 1, color: "#8a8a8a", fillColor: "#f4f1ea", fillOpacity: 1 },
    interactive: false
  }).addTo(map);
  var admin1 = L.geoJSON(null, {
    pane: "fk-boundaries",
    style: { className: "map-admin1", weight: 0.6, color: "#b0a999", fill: false },
    interactive: false
  }).addTo(map);

  var basemap = fetch(element.getAttribute("data-basemap"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(labels.noBasemap);
      }
      return response.json();
    })
    .then(function (topology) {
      var countryFeatures = topojson.feature(topology, topology.objects.countries);
      var placeFeatures = topojson.feature(topology, topology.objects.admin1);
      countries.addData(countryFeatures);
      admin1.addData(placeFeatures);
      countryFeatures.features.forEach(function (feature) {
        countryShapes[feature.properties.country] = feature;
      });
      placeFeatures.features.forEach(function (feature) {
        if (feature.properties.code) {
          admin1Shapes[feature.properties.code] = feature;
        }
      });
      element.setAttribute("data-basemap-loaded", "true");
    })
    .catch(function (error) {
      say(error.message, true);
    });

  function pointPopup(properties) {
    var box = node("div", "map-popup");
    box.setAttribute("dir", rtl ? "rtl" : "ltr");
    box.appendChild(node("strong", null, properties.form));
    var facts = node("dl");
    function fact(term, value) {
      if (value === null || value === undefined || value === "") {
        return;
      }
      facts.appendChild(node("dt", null, term));
      facts.appendChild(node("dd", null, value));
    }
    fact(labels.record, properties.record);
    fact(labels.place, properties.place || properties.admin1 || properties.country);
    fact(labels.precision, properties.geo_precision);
    fact(labels.review, (labels.reviews && labels.reviews[properties.review]) || properties.review);
    fact(labels.dates, properties.dates);
    box.appendChild(facts);
    var link = node("a", null, labels.open);
    link.href = properties.url;
    box.appendChild(link);
    return box;
  }

  var clusters = L.markerClusterGroup({
    showCoverageOnHover: false,
    chunkedLoading: true,
    maxClusterRadius: 50,
    disableClusteringAtZoom: 12
  });
  var pointIcon = L.divIcon({ className: "map-point", iconSize: [14, 14] });
  function openCluster(event) {
    var key = event.originalEvent && event.originalEvent.key;
    if (key === "Enter" || key === " ") {
      event.target.zoomToBounds({ padding: [20, 20] });
    }
  }
  map.on("layeradd", function (event) {
    if (L.MarkerCluster && event.layer instanceof L.MarkerCluster) {
      event.layer.off("keypress", openCluster).on("keypress", openCluster);
    }
  });
  map.on("zoomend", function () {
    element.setAttribute("data-zoom", String(map.getZoom()));
  });

  function placeCentre(place) {
    var shape = place.admin1 && admin1Shapes[place.admin1];
    if (shape) {
      return L.latLng(shape.properties.y, shape.properties.x);
    }
    if (!place.admin1 && place.country && countryShapes[place.country]) {
      return L.geoJSON(countryShapes[place.country]).getBounds().getCenter();
    }
    return null;
  }

  function placesTable(places, filters) {
    if (!placesBody) {
      return;
    }
    places.forEach(function (place) {
      var row = node("tr");
      var name = place.place || place.admin1 || place.country || labels.noPlace;
      var cell = node("td");
      if (place.admin1) {
        var query = new URLSearchParams(filters);
        query.set("admin1", place.admin1);
        var link = node("a", null, name);
        link.href = recordsUrl + "?" + query.toString();
        cell.appendChild(link);
      } else {
        cell.textContent = name;
      }
      row.appendChild(cell);
      row.appendChild(node("td", null, place.country || ""));
      row.appendChild(node("td", "number", place.records));
      placesBody.appendChild(row);
    });
  }

  function showPlaces(collection) {
    var circles = L.layerGroup();
    var largest = 1;
    collection.places.forEach(function (place) {
      largest = Math.max(largest, place.records);
    });
    var unplaced = 0;
    collection.places.forEach(function (place) {
      var centre = placeCentre(place);
      if (!centre) {
        unplaced += place.records;
        return;
      }
      var circle = L.circleMarker(centre, {
        radius: 6 + 18 * Math.sqrt(place.records / largest),
        className: "map-place",
        color: "#7a3e00",
        weight: 1,
        fillColor: "#e08a2c",
        fillOpacity: 0.55
      });
      var name = place.place || place.admin1 || place.country;
      circle.bindTooltip(text(labels.placeCount, { place: name, n: place.records }));
      circles.addLayer(circle);
    });
    circles.addTo(map);
    layers.addOverlay(circles, labels.placesLayer);
    return unplaced;
  }

  function showPoints(collection) {
    var markers = collection.features.map(function (feature) {
      var lonLat = feature.geometry.coordinates;
      var marker = L.marker([lonLat[1], lonLat[0]], {
        icon: pointIcon,
        keyboard: true,
        title: feature.properties.form + " " + feature.properties.record,
        alt: feature.properties.record
      });
      marker.bindPopup(function () {
        return pointPopup(feature.properties);
      });
      return marker;
    });
    clusters.addLayers(markers);
    clusters.addTo(map);
    layers.addOverlay(clusters, labels.pointsLayer);
    if (markers.length) {
      var bounds = L.latLngBounds(
        markers.map(function (marker) {
          return marker.getLatLng();
        })
      );
      map.fitBounds(bounds, { maxZoom: 8, padding: [20, 20] });
    }
  }

  var pointsUrl = element.getAttribute("data-points");
  var filters = Object.fromEntries(new URL(pointsUrl, window.location.href).searchParams);
  var points = Promise.all([getJson(pointsUrl), basemap])
    .then(function (results) {
      var collection = results[0];
      showPoints(collection);
      var unplaced = showPlaces(collection);
      placesTable(collection.places, filters);
      if (collection.total) {
        say(text(labels.shown, { n: collection.features.length, total: collection.total }));
      }
      if (collection.capped) {
        say(text(labels.capped, { limit: collection.limit, total: collection.total }));
      }
      if (collection.withheld) {
        say(text(labels.withheld, { n: collection.withheld }));
      }
      say(text(labels.withoutPoint, { n: collection.without_point }));
      if (unplaced) {
        say(text(labels.unplaced, { n: unplaced }));
      }
      element.setAttribute("data-points-loaded", String(collection.features.length));
    })
    .catch(function (error) {
      say(error.message, true);
    });

  function colourOf(value, highest) {
    if (highest <= 0) {
      return VALUE_COLOURS[0];
    }
    var index = Math.min(VALUE_COLOURS.length - 1, Math.floor((value / highest) * VALUE_COLOURS.length));
    return VALUE_COLOURS[Math.max(0, index)];
  }

  function legend(result) {
    var control = L.control({ position: rtl ? "bottomleft" : "bottomright" });
    control.onAdd = function () {
      var box = node("div", "map-legend leaflet-bar");
      box.setAttribute("dir", rtl ? "rtl" : "ltr");
      box.appendChild(node("strong", null, result.title));
      box.appendChild(node("p", null, result.unit));
      box.appendChild(node("p", null, text(labels.legendPeriod, { period: result.period, tier: result.tier })));
      var list = node("ul");
      var step = result.highest / VALUE_COLOURS.length;
      var classes = result.highest > 0 ? VALUE_COLOURS : [];
      classes.forEach(function (colour, i) {
        var item = node("li");
        var swatch = node("span", "map-swatch");
        swatch.style.backgroundColor = colour;
        item.appendChild(swatch);
        var low = Math.ceil(i * step);
        var high = i === VALUE_COLOURS.length - 1 ? result.highest : Math.max(low, Math.ceil((i + 1) * step) - 1);
        var range = node("span", null, low === high ? String(low) : low + "–" + high);
        range.setAttribute("dir", "ltr");
        item.appendChild(range);
        list.appendChild(item);
      });
      var hidden = node("li");
      hidden.appendChild(node("span", "map-swatch map-swatch-suppressed"));
      hidden.appendChild(node("span", null, labels.suppressed));
      list.appendChild(hidden);
      box.appendChild(list);
      var point = node("p");
      point.appendChild(node("span", "map-swatch map-swatch-point"));
      point.appendChild(node("span", null, labels.pointsLayer));
      box.appendChild(point);
      var place = node("p");
      place.appendChild(node("span", "map-swatch map-swatch-place"));
      place.appendChild(node("span", null, labels.placesLayer));
      box.appendChild(place);
      result.notes.forEach(function (note) {
        box.appendChild(node("p", "map-note", note));
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  function simpleLegend() {
    var control = L.control({ position: rtl ? "bottomleft" : "bottomright" });
    control.onAdd = function () {
      var box = node("div", "map-legend leaflet-bar");
      box.setAttribute("dir", rtl ? "rtl" : "ltr");
      var point = node("p");
      point.appendChild(node("span", "map-swatch map-swatch-point"));
      point.appendChild(node("span", null, labels.pointsLayer));
      box.appendChild(point);
      var place = node("p");
      place.appendChild(node("span", "map-swatch map-swatch-place"));
      place.appendChild(node("span", null, labels.placesLayer));
      box.appendChild(place);
      return box;
    };
    control.addTo(map);
  }

  var valuesUrl = element.getAttribute("data-values");
  if (!valuesUrl) {
    simpleLegend();
    return;
  }
  Promise.all([getJson(valuesUrl), basemap, points])
    .then(function (results) {
      var result = results[0];
      var shapes = result.level === "country" ? countryShapes : admin1Shapes;
      var shaded = L.geoJSON(null, { pane: "fk-values" });
      result.values.forEach(function (value) {
        var shape = shapes[value.place];
        if (!shape) {
          return;
        }
        var suppressed = value.value === null;
        var area = L.geoJSON(shape, {
          pane: "fk-values",
          style: {
            className: suppressed ? "map-value map-value-suppressed" : "map-value",
            weight: 1,
            color: "#4d4d4d",
            fillColor: suppressed ? "#bdbdbd" : colourOf(value.value, result.highest),
            fillOpacity: 0.8,
            dashArray: suppressed ? "4 3" : null
          }
        });
        area.bindTooltip(
          suppressed
            ? text(labels.valueSuppressed, { place: value.name })
            : text(labels.value, { place: value.name, value: value.value })
        );
        shaded.addLayer(area);
      });
      shaded.addTo(map);
      layers.addOverlay(shaded, result.title);
      legend(result);
      element.setAttribute("data-values-loaded", String(result.values.length));
    })
    .catch(function (error) {
      say(error.message, true);
      simpleLegend();
    });
})();
