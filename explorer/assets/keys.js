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
  // In presentation mode they step through the slide under the canvas (a tour, or the highlighted path).
  var presenting = document.documentElement.classList.contains("presenting");
  var id = forward ? (presenting ? "slide-next" : "tour-next") : back ? (presenting ? "slide-prev" : "tour-prev") : null;
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
  // Dash 4's checklists and radio items are native checkboxes and radios wrapped in a listbox of options; the
  // listbox roles hide what they are (and nest a focusable input in an option), so they are plain groups here.
  // Its dropdowns put a hidden (aria-hidden) proxy input in the Tab order for Safari; here the dropdown's own
  // button takes the Tab stop instead, so nothing hidden from assistive technology is ever focused.
  function decorateControls() {
    document.querySelectorAll(".dash-checklist[role=listbox], .dash-radioitems[role=listbox]").forEach(function (list) {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
    });
    document.querySelectorAll(".dash-checklist > [role=option], .dash-radioitems > [role=option], "
                              + ".dash-checklist > [aria-selected], .dash-radioitems > [aria-selected]")
      .forEach(function (option) {
        option.removeAttribute("role");
        option.removeAttribute("aria-selected");
      });
    document.querySelectorAll(".dash-dropdown-wrapper").forEach(function (wrapper) {
      var proxy = wrapper.querySelector(":scope > input.dash-dropdown-focus-target");
      var button = wrapper.querySelector(":scope > button.dash-dropdown");
      if (proxy && proxy.tabIndex !== -1) {
        proxy.tabIndex = -1;
      }
      if (button && button.tabIndex !== 0) {
        button.tabIndex = 0;
      }
    });
  }
  function decorateAll() {
    decorate();
    decorateControls();
  }
  new MutationObserver(decorateAll).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["class", "tabindex", "aria-selected"]
  });
  document.addEventListener("DOMContentLoaded", decorateAll);
})();

// Typing into a dropdown never drops a character. Dash 4.4's dropdown collects what is typed on its closed
// button on keyup and moves the caret into its search box one animation frame later (and not at all when it
// opens with no options, as the search box does before the server has answered), so on a busy machine a key
// pressed down on the button and released in the search box is lost ("esketamine" became "eketamine").
// Here a character typed anywhere in a dropdown but its search box goes into the search box, in order.
(function () {
  var pending = new Map();  // dropdown wrapper -> characters typed before its search box was there
  var setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;

  function typed(event) {
    return event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.metaKey && !event.altKey;
  }
  function searchBox(wrapper) {
    return wrapper.querySelector("input.dash-dropdown-search");
  }
  function flush(wrapper) {
    var box = searchBox(wrapper);
    var text = pending.get(wrapper);
    if (!box || text === undefined) {
      return false;
    }
    pending.delete(wrapper);
    box.focus();
    setValue.call(box, text + box.value);  // typed before anything that reached the box itself
    box.dispatchEvent(new Event("input", {bubbles: true}));
    return true;
  }
  function waitAndFlush(wrapper, frames) {
    if (!flush(wrapper) && frames > 0 && pending.has(wrapper)) {
      requestAnimationFrame(function () { waitAndFlush(wrapper, frames - 1); });
    }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var wrapper = target && target.closest && target.closest(".dash-dropdown-wrapper");
    if (!wrapper) {
      return;
    }
    if (pending.has(wrapper) && target.matches("input.dash-dropdown-search")) {
      flush(wrapper);  // the box got the caret from elsewhere: what was typed before goes first
      return;
    }
    if (!typed(event) || target.matches("input.dash-dropdown-search")) {
      return;
    }
    if (!pending.has(wrapper) && searchBox(wrapper)) {
      searchBox(wrapper).focus();  // open: the character goes into the box, not the button or an option
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var first = !pending.has(wrapper);
    pending.set(wrapper, (pending.get(wrapper) || "") + event.key);
    if (first) {
      // The dropdown's own Enter handler opens it (and never closes it, unlike a click).
      var button = wrapper.querySelector("button.dash-dropdown");
      if (button) {
        button.dispatchEvent(new KeyboardEvent("keyup", {key: "Enter", bubbles: true}));
      }
      waitAndFlush(wrapper, 120);
    }
  }, true);
  // The dropdown's own type-ahead (on keyup) is replaced by the above.
  document.addEventListener("keyup", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("button.dash-dropdown") && typed(event)) {
      event.stopPropagation();
    }
  }, true);
})();
