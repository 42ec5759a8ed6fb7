// Small progressive enhancements for the console. Everything works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset ? button.dataset.confirm : null;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.id === "new-secret" && navigator.clipboard) {
    navigator.clipboard.writeText(target.textContent || "").catch(() => {});
  }
});
