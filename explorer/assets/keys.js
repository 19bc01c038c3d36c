// Arrow keys and Page Up/Down step through a hypothesis tour (for teaching from a projector); ignored while typing.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  if (typing || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  // A presentation clicker sends Page Down / Page Up.
  var forward = event.key === "ArrowRight" || event.key === "PageDown";
  var back = event.key === "ArrowLeft" || event.key === "PageUp";
  var id = forward ? "tour-next" : back ? "tour-prev" : null;
  var button = id && document.getElementById(id);
  if (button && !button.disabled && button.offsetParent !== null) {
    event.preventDefault();
    button.click();
  }
});

// The sidebar's dcc.Tabs as an ARIA tablist: roles, one tab in the Tab order, arrow/Home/End keys move
// between tabs, Enter or Space opens one. dcc.Tabs renders plain divs, so the roles are added here.
(function () {
  function decorate() {
    var list = document.getElementById("sidebar-tabs");
    if (!list) {
      return;
    }
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", "Views");
    var tabs = list.querySelectorAll(":scope > .tab");
    tabs.forEach(function (tab) {
      var selected = tab.classList.contains("tab--selected");
      if (tab.getAttribute("role") !== "tab") {
        tab.setAttribute("role", "tab");
      }
      if (tab.getAttribute("aria-selected") !== String(selected)) {
        tab.setAttribute("aria-selected", String(selected));
      }
      var index = selected ? "0" : "-1";
      if (tab.getAttribute("tabindex") !== index) {
        tab.setAttribute("tabindex", index);
      }
    });
  }
  document.addEventListener("keydown", function (event) {
    var tab = event.target;
    if (!tab || !tab.getAttribute || tab.getAttribute("role") !== "tab") {
      return;
    }
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll(":scope > [role=tab]"));
    var at = tabs.indexOf(tab);
    var next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      next = tabs[(at + 1) % tabs.length];
    } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      next = tabs[(at - 1 + tabs.length) % tabs.length];
    } else if (event.key === "Home") {
      next = tabs[0];
    } else if (event.key === "End") {
      next = tabs[tabs.length - 1];
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      tab.click();
      return;
    }
    if (next) {
      event.preventDefault();
      event.stopPropagation();
      next.click();
      next.focus();
    }
  }, true);
  new MutationObserver(decorate).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["class"]
  });
  document.addEventListener("DOMContentLoaded", decorate);
})();
