// Keyboard shortcuts for the queue. Everything also works without this script: each key only
// moves focus or presses a button that is already on the page.
(() => {
  "use strict";
  const items = () => Array.from(document.querySelectorAll("article.item"));
  const focused = () => document.activeElement && document.activeElement.closest("article.item");
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

  function move(step) {
    const list = items();
    if (list.length === 0) return;
    const index = list.indexOf(focused());
    const next = list[Math.min(list.length - 1, Math.max(0, index + step))] || list[0];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function press(key) {
    const item = focused();
    const button = item && item.querySelector(`button[data-key="${key}"]`);
    if (button) button.click();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    if (key === "j") move(1);
    else if (key === "k") move(-1);
    else if (key === "a" || key === "r" || key === "s" || key === "f") press(key);
    else if (key === "x") {
      const box = focused() && focused().querySelector('input[type="checkbox"]');
      if (box) box.checked = !box.checked;
    } else if (key === "/") {
      const search = document.getElementById("q");
      if (search) search.focus();
    } else if (/^[1-5]$/.test(key)) {
      const tab = document.querySelector(`.status-tabs a[data-key="${key}"]`);
      if (tab) tab.click();
    } else return;
    event.preventDefault();
  });

  // After an action the page comes back with #item-ID: keep the moderator's place.
  const target = location.hash.startsWith("#item-") && document.getElementById(location.hash.slice(1));
  const start = target ? target.closest("li") : null;
  const next = start && start.nextElementSibling ? start.nextElementSibling.querySelector("article.item") : null;
  if (next) next.focus();
  else if (items().length > 0 && !document.querySelector("[autofocus]")) items()[0].focus();

  // A CSV of customers to invite: the chosen file's text goes into the form's text box, which
  // is what is sent (without this script, people paste the text themselves).
  const file = document.getElementById("csv-file");
  const text = document.getElementById("csv");
  if (file && text) {
    file.hidden = false;
    if (file.labels[0]) file.labels[0].hidden = false;
    file.addEventListener("change", () => {
      const chosen = file.files && file.files[0];
      if (!chosen) return;
      // Strictly UTF-8: a spreadsheet's older encoding would turn "Jörg" into "J�rg" in the
      // emails; the server names such a line, so it is left for the reader to see.
      chosen.arrayBuffer().then((bytes) => {
        try {
          text.value = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        } catch (_) {
          text.value = new TextDecoder("utf-8").decode(bytes);
        }
      });
    });
  }

  // The Embed page. Copy puts the text beside the button on the clipboard (without this
  // script the buttons stay hidden and the text is there to select).
  const showCopyButtons = () => {
    if (!navigator.clipboard) return;
    for (const button of document.querySelectorAll("button[data-copy]")) button.hidden = false;
  };
  showCopyButtons();
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    const source = button && document.getElementById(button.dataset.copy);
    if (!source) return;
    const said = button.parentElement.querySelector(".copied");
    navigator.clipboard.writeText(source.textContent).then(
      () => { if (said) said.textContent = "Copied."; },
      () => { if (said) said.textContent = "Copying was refused: select the text and copy it."; },
    );
  });
  // A changed choice shows at once: the page for the new choices is fetched and its live parts
  // (preview, contrast, code) and the fields' refusals replace these, so focus stays where the
  // person is (a reload would move it at every arrow key in a list). Without the script, the
  // form's button does the same.
  const live = document.querySelector("form[data-live]");
  if (live) {
    let asked = 0;
    live.addEventListener("change", async () => {
      const query = new URLSearchParams(new FormData(live)).toString();
      const ask = ++asked;
      let fresh;
      try {
        const response = await fetch(`${live.action}?${query}`, { credentials: "same-origin" });
        // A session that ended answers with the sign-in page: the form's button then says so.
        if (!response.ok || response.redirected) return;
        fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      } catch (_) {
        return; // the form's button still works
      }
      if (ask !== asked) return; // a later choice is on its way
      for (const region of document.querySelectorAll("[data-live-region]")) {
        const replacement = fresh.getElementById(region.id);
        // The same element keeps its place, so a status region is announced, and only when
        // what it says changed.
        if (replacement && replacement.innerHTML !== region.innerHTML) {
          region.replaceChildren(...Array.from(replacement.childNodes));
        }
      }
      for (const error of live.querySelectorAll(".error[id]")) error.remove();
      for (const field of live.querySelectorAll("[name][id]")) {
        const twin = fresh.getElementById(field.id);
        if (!twin) continue;
        for (const name of ["aria-invalid", "aria-describedby"]) {
          if (twin.hasAttribute(name)) field.setAttribute(name, twin.getAttribute(name));
          else field.removeAttribute(name);
        }
        const error = twin.nextElementSibling;
        if (error && error.matches(".error[id]")) field.after(document.adoptNode(error));
      }
      history.replaceState(null, "", `${live.action}?${query}`);
      showCopyButtons();
    });
  }
})();
