// Presentation mode, for teaching from a projector: the Present button or the P key hides the side panels, asks
// for full screen, fits the canvas and keeps every label at least MIN_LABEL_PX tall on screen, with the step's
// caption and quote in large type under the canvas. Escape, P or the button again leaves it. If full screen
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
  // Labels grow as the canvas zooms out, so font size × zoom never falls below MIN_LABEL_PX.
  function labels() {
    var cy = canvas();
    if (!cy) {
      return;
    }
    cy.batch(function () {
      if (!presenting()) {
        cy.elements().removeStyle("font-size text-max-width");
        return;
      }
      var size = Math.max(MIN_LABEL_PX / cy.zoom(), 12);
      cy.nodes().style({"font-size": size, "text-max-width": size * 9});
      cy.edges().style({"font-size": size});
    });
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
    }
    cy.resize();
    if (presenting()) {
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
})();
