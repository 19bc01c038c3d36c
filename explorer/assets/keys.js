// Arrow keys step through a hypothesis tour (for teaching from a projector); ignored while typing.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  if (typing || event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  var id = event.key === "ArrowRight" ? "tour-next" : event.key === "ArrowLeft" ? "tour-prev" : null;
  var button = id && document.getElementById(id);
  if (button && !button.disabled && button.offsetParent !== null) {
    event.preventDefault();
    button.click();
  }
});
