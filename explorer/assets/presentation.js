// Presentation mode, for teaching from a projector: the Present button or the P key hides the side panels, asks
// for full screen, fits the canvas and keeps every label at least MIN_LABEL_PX tall on screen, with the step's
// caption and quote in large type under the canvas. A tour is laid out on a grid that fills the screen, so its
// labels never overlap (see layOutTour). Escape, P or the button again leaves it. If full screen
// is refused (an embedded page, a headless browser), the panels are hidden and the canvas fitted all the same.
(function () {
  var MIN_LABEL_PX = 20;
  var root = document.documentElement;

  function canvas() {
    var el = document.getElementById("canvas");
    return el && el._cyreg && el._cyreg.cy;
  }
  function presenting() {
    return root.classList.contains("presenting");
  }
  var LINE_HEIGHT = 1.2;  // Cytoscape's wrapped label lines, in font sizes (with room to spare)
  var FONT = "Helvetica Neue, Helvetica, Arial, sans-serif";
  var PAD = 16;  // px between the grid and the canvas' edges
  var GAP = 14;  // px between neighbouring labels
  var measure = document.createElement("canvas").getContext("2d");

  // Labels grow as the canvas zooms out, so font size × zoom never falls below MIN_LABEL_PX. A tour laid out
  // on the screen's grid keeps its labels at the grid's size and wrap width.
  function labels() {
    var cy = canvas();
    if (!cy) {
      return;
    }
    cy.batch(function () {
      if (!presenting()) {
        cy.elements().removeStyle("font-size text-max-width label text-opacity");
        return;
      }
      var grid = cy.scratch("_kmoaGrid");
      var size = Math.max((grid ? grid.font : MIN_LABEL_PX) / cy.zoom(), 12);
      var wrap = grid ? grid.wrap / cy.zoom() : size * 9;
      cy.nodes().style({"font-size": size, "text-max-width": wrap});
      cy.edges().style({"font-size": size});
    });
    if (cy.scratch("_kmoaGrid")) {
      clearEdgeLabels(cy);
    }
  }

  // A label as the grid draws it: it may also break after a slash ("pyramidal/presynaptic").
  function wrappable(text) {
    return String(text || "").replace(/\//g, "/\u200b");
  }
  // The lines a label wraps to at a font size and width, as Cytoscape wraps it (at spaces and zero-width spaces).
  function lines(text, size, width) {
    measure.font = "bold " + size + "px " + FONT;  // the current step's labels are bold: the wider
    var count = 1, line = "", widest = 0;
    wrappable(text).split(/[\s\u200b]+/).forEach(function (word) {
      var next = line ? line + " " + word : word;
      if (line && measure.measureText(next).width > width) {
        count += 1;
        line = word;
      } else {
        line = next;
      }
      widest = Math.max(widest, measure.measureText(word).width);
    });
    return {count: count, fits: widest <= width};
  }

  // A tour on the screen: its nodes, in the order the tour meets them, on a grid that fills the canvas, each
  // row read the other way from the one before (so one step's nodes stay neighbours), each row as tall as its
  // longest label needs, every label at MIN_LABEL_PX or more. Returns null when no grid fits (the plain fit
  // stays).
  function tourGrid(cy) {
    var nodes = cy.nodes();
    var width = cy.width() - 2 * PAD, height = cy.height() - 2 * PAD;
    var nodeSize = Math.max.apply(null, nodes.map(function (n) { return n.outerHeight(); }).concat([30]));
    var best = null;
    [MIN_LABEL_PX + 4, MIN_LABEL_PX + 2, MIN_LABEL_PX, 18].forEach(function (font) {
      if (best) {
        return;
      }
      measure.font = "bold " + font + "px " + FONT;
      var widest = Math.max.apply(null, nodes.map(function (n) {
        return measure.measureText(String(n.data("label") || "")).width;
      }));
      for (var columns = 1; columns <= nodes.length; columns++) {
        var cellW = width / columns, wrap = cellW - GAP;
        var heights = [], fits = wrap > font * 3;
        nodes.forEach(function (n, i) {
          var wrapped = lines(n.data("label"), font, wrap);
          var row = Math.floor(i / columns);
          fits = fits && wrapped.fits;
          heights[row] = Math.max(heights[row] || 0, nodeSize + 6 + wrapped.count * font * LINE_HEIGHT + GAP);
        });
        var total = heights.reduce(function (sum, h) { return sum + h; }, 0);
        if (fits && total <= height) {
          // Labels on one line if the width allows, then rows with air between them; a tie takes more columns.
          var room = Math.min(cellW / (widest + GAP), 1) + Math.min(height / total, 2) / 2;
          if (!best || room >= best.room) {
            best = {font: font, columns: columns, heights: heights, spare: (height - total) / heights.length,
                    cellW: cellW, wrap: wrap, room: room, nodeSize: nodeSize};
          }
        }
      }
    });
    return best;
  }
  function isTour(cy) {
    var nodes = cy.nodes();
    return nodes.length > 1 && nodes.filter(".current").length > 0 && nodes.filter(".layered").length === nodes.length;
  }
  function layOutTour(cy) {
    var grid = presenting() && isTour(cy) ? tourGrid(cy) : null;
    cy.scratch("_kmoaGrid", grid);
    if (!grid) {
      return false;
    }
    var tops = [PAD];
    grid.heights.forEach(function (h, row) { tops[row + 1] = tops[row] + h + grid.spare; });
    cy.batch(function () {
      cy.nodes().forEach(function (node, i) {
        var row = Math.floor(i / grid.columns), column = i % grid.columns;
        if (row % 2 === 1) {
          column = grid.columns - 1 - column;
        }
        var at = {x: PAD + (column + 0.5) * grid.cellW, y: tops[row] + grid.spare / 2 + grid.nodeSize / 2 + GAP / 2};
        var placed = node.scratch("_kmoaPlaced");
        var now = node.position();
        if (!placed || placed.x !== now.x || placed.y !== now.y) {
          node.scratch("_kmoaHome", {x: now.x, y: now.y});  // where the server put it, for leaving the mode
        }
        node.position(at);
        node.scratch("_kmoaPlaced", at);
        node.scratch("_kmoaCell", {row: row, column: column});
      });
      // An edge between two nodes of a row that are not neighbours arcs over the nodes between them.
      cy.edges().forEach(function (edge) {
        var a = edge.source().scratch("_kmoaCell"), b = edge.target().scratch("_kmoaCell");
        if (a && b && a.row === b.row && Math.abs(a.column - b.column) > 1) {
          var up = b.column > a.column ? -1 : 1;  // the side above the row, whichever way the edge runs
          edge.style({"curve-style": "unbundled-bezier", "control-point-weights": 0.5,
                      "control-point-distances": up * Math.min(grid.nodeSize * 1.4, 60)});
        } else {
          edge.removeStyle("curve-style control-point-weights control-point-distances");
        }
      });
      cy.nodes().forEach(function (node) { node.style("label", wrappable(node.data("label"))); });
    });
    cy.zoom(1);
    cy.pan({x: 0, y: 0});
    return true;
  }
  function overlap(a, b) {
    return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  }
  // An edge label that would cover a node's label, or another edge's, is hidden (the caption under the canvas
  // says what the step's edge means).
  function clearEdgeLabels(cy) {
    var only = {includeNodes: false, includeEdges: false, includeLabels: true};
    var taken = cy.nodes().map(function (n) { return n.renderedBoundingBox(only); });
    cy.batch(function () {
      cy.edges().removeStyle("text-opacity");
      cy.edges().forEach(function (edge) {
        if (!edge.style("label")) {
          return;
        }
        var box = edge.renderedBoundingBox(only);
        if (taken.some(function (other) { return overlap(box, other); })) {
          edge.style("text-opacity", 0);
        } else {
          taken.push(box);
        }
      });
    });
  }
  function goHome(cy) {
    cy.batch(function () {
      cy.nodes().forEach(function (node) {
        var home = node.scratch("_kmoaHome"), placed = node.scratch("_kmoaPlaced"), now = node.position();
        if (home && placed && placed.x === now.x && placed.y === now.y) {
          node.position(home);
        }
        node.removeScratch("_kmoaHome");
        node.removeScratch("_kmoaPlaced");
        node.removeScratch("_kmoaCell");
      });
      cy.edges().removeStyle("curve-style control-point-weights control-point-distances");
    });
    cy.scratch("_kmoaGrid", null);
  }
  function fit() {
    var cy = canvas();
    if (!cy) {
      return;
    }
    if (!cy.scratch("_kmoaPresentation")) {
      cy.scratch("_kmoaPresentation", true);
      cy.on("zoom add", function () { if (presenting()) { labels(); } });
      cy.on("layoutstop", function () { if (presenting()) { refit(); } });
      // A new step's elements come with the server's positions: the tour goes back on the grid.
      cy.on("position", "node", function (event) {
        var node = event.target, placed = node.scratch("_kmoaPlaced"), now = node.position();
        if (presenting() && cy.scratch("_kmoaGrid") && placed && !node.grabbed() &&
            (placed.x !== now.x || placed.y !== now.y)) {
          refit();
        }
      });
    }
    cy.resize();
    if (presenting() && !layOutTour(cy)) {
      cy.fit(cy.elements(), 30);
    }
    labels();
  }
  var queued = false;
  function refit() {
    if (queued) {
      return;
    }
    queued = true;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { queued = false; fit(); });
    });
  }
  function show(on) {
    root.classList.toggle("presenting", on);
    var button = document.getElementById("present-toggle");
    if (button) {
      button.setAttribute("aria-pressed", String(on));
    }
    if (on && !document.fullscreenElement && root.requestFullscreen) {
      root.requestFullscreen().catch(function () {});
    } else if (!on && document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(function () {});
    }
    if (!on) {
      var cy = canvas();
      if (cy) {
        goHome(cy);
        cy.resize();
        cy.fit(cy.elements(), 40);
      }
    }
    refit();
  }
  window.kmoaPresentation = {show: show, presenting: presenting};

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#present-toggle")) {
      show(!presenting());
    }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    var inDropdown = target && target.closest && target.closest(".dash-dropdown-wrapper");
    if (typing || inDropdown || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === "p" || event.key === "P") {
      event.preventDefault();
      show(!presenting());
    } else if (event.key === "Escape" && presenting()) {
      event.preventDefault();
      show(false);
    }
  });
  // Leaving full screen (the browser's own Escape) leaves presentation mode; any resize refits.
  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement && presenting()) {
      show(false);
    } else {
      refit();
    }
  });
  window.addEventListener("resize", function () { if (presenting()) { refit(); } });
  // The canvas also changes size when the caption under it grows or shrinks from one step to the next.
  if (window.ResizeObserver) {
    var observed = null;
    var sizes = new ResizeObserver(function () { if (presenting()) { refit(); } });
    setInterval(function () {
      var el = document.getElementById("canvas");
      if (el && el !== observed) {
        observed = el;
        sizes.observe(el);
      }
    }, 500);
  }
})();
