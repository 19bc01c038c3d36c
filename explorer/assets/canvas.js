// The canvas: a tooltip on hovering a node or an edge (name, kind, predicate, evidence), the edge's label while
// hovered, and the Fit button. Texts are set with textContent, never as HTML.
(function () {
  function canvas() {
    var el = document.getElementById("canvas");
    return el && el._cyreg && el._cyreg.cy;
  }

  function hide() {
    var tip = document.getElementById("canvas-tooltip");
    if (tip) {
      tip.hidden = true;
    }
  }

  function show(event) {
    var tip = document.getElementById("canvas-tooltip");
    var text = event.target.data("tip");
    if (!tip || !text) {
      return;
    }
    tip.textContent = text;
    tip.hidden = false;
    var wrap = tip.parentNode.getBoundingClientRect();
    var at = event.renderedPosition || event.target.renderedMidpoint();
    var x = Math.min(at.x + 14, Math.max(wrap.width - tip.offsetWidth - 8, 0));
    var y = at.y + 14 + tip.offsetHeight > wrap.height ? Math.max(at.y - tip.offsetHeight - 14, 0) : at.y + 14;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  function bind(cy) {
    if (cy.__kmoaHover) {
      return;
    }
    cy.__kmoaHover = true;
    cy.on("mouseover", "node, edge", function (event) {
      event.target.addClass("hover");
      show(event);
    });
    cy.on("mouseout", "node, edge", function (event) {
      event.target.removeClass("hover");
      hide();
    });
    cy.on("viewport remove", hide);
  }

  setInterval(function () {
    var cy = canvas();
    if (cy) {
      bind(cy);
    }
  }, 300);

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("#canvas-fit");
    var cy = button && canvas();
    if (cy) {
      cy.animate({fit: {eles: cy.elements(), padding: 40}, duration: 200});
    }
  });
})();
