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
// SMS editor: characters and billed parts as typed (signature and opt-out note included;
// variables count as written, the server preview counts them with sample values).
const smsBody = document.querySelector("textarea[data-sms-body]");
const smsCount = document.getElementById("sms-count");
if (smsBody instanceof HTMLTextAreaElement && smsCount) {
  const marketing = document.getElementById("tpl-marketing");
  const update = () => {
    const note = smsBody.dataset.optOut || "";
    let text = "【" + (smsBody.dataset.signature || "") + "】" + smsBody.value.trim();
    if (marketing instanceof HTMLInputElement && marketing.checked && !text.includes(note)) {
      text += " " + note;
    }
    const chars = Array.from(text).length;
    const parts = chars <= 70 ? 1 : Math.ceil(chars / 67);
    smsCount.textContent = (smsCount.dataset.template || "{chars} / {parts}")
      .replace("{chars}", String(chars))
      .replace("{parts}", String(parts));
  };
  smsBody.addEventListener("input", update);
  if (marketing) marketing.addEventListener("change", update);
  update();
}
// The sidebar's menu is a <details> so that phones can fold it without scripts; wide screens
// show it always (CSS does where the browser allows, this does it elsewhere).
const menu = document.getElementById("menu");
if (menu instanceof HTMLDetailsElement && window.matchMedia) {
  const wide = window.matchMedia("(min-width: 861px)");
  const fit = () => { menu.open = wide.matches; };
  wide.addEventListener("change", fit);
  fit();
}
// A tab bar wider than a phone scrolls sideways: bring the open tab into view.
const openTab = document.querySelector(".tabs [aria-current=page]");
if (openTab instanceof HTMLElement && openTab.parentElement) {
  const bar = openTab.parentElement;
  if (bar.scrollWidth > bar.clientWidth) {
    bar.scrollLeft = openTab.offsetLeft - (bar.clientWidth - openTab.offsetWidth) / 2;
  }
}
