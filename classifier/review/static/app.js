// The review page: one comment at a time, every change POSTed to the server at once.
// Text from the data is only ever set with textContent, never parsed as HTML.
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const KEYS = "1234567890abcdefghijklmoqrtuvwxyz".split(""); // n, p, s are commands
const POLARITIES = ["neg", "pos", "neu"];
const NAMES = { neg: "complaint", pos: "praise", neu: "neutral" };
let state = null; // {codebook, polarity, items, file}
let index = 0;
let saving = Promise.resolve();

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function reviewedCount() {
  return state.items.filter((item) => item.reviewed).length;
}

function showProgress() {
  const done = reviewedCount();
  $("progress").max = state.items.length;
  $("progress").value = done;
  $("progress-text").textContent = `${done} of ${state.items.length} reviewed`;
}

function describe(labels) {
  const ids = Object.keys(labels);
  if (!ids.length) return "no category";
  return ids.map((id) => (labels[id] ? `${id} (${labels[id]})` : id)).join(", ");
}

function render() {
  const item = state.items[index];
  $("done").hidden = true;
  $("card").hidden = false;
  $("meta").textContent =
    `Comment ${index + 1} of ${state.items.length} · id ${item.id} · language ${item.lang} · ` +
    `model confidence ${Number(item.confidence).toFixed(2)}` + (item.reviewed ? " · reviewed" : "");
  $("text").textContent = item.text;
  $("reason").textContent = item.reason ? `Why it is here: ${item.reason}` : "";
  $("predicted").textContent = `The model said: ${describe(item.predicted)}`;
  const body = $("categories").tBodies[0];
  body.replaceChildren();
  state.codebook.forEach((category, j) => {
    const row = el("tr");
    const coded = Object.prototype.hasOwnProperty.call(item.labels, category.id);
    if (coded) row.className = "on";
    row.append(el("td", KEYS[j] || "", "key"));
    const name = el("td", category.name);
    if (category.name !== category.id) name.append(" ", el("span", category.id, "was"));
    if (Object.prototype.hasOwnProperty.call(item.predicted, category.id)) {
      name.append(" ", el("span", `model: ${item.predicted[category.id] || "yes"}`, "was"));
    }
    row.append(name);
    const cell = el("td");
    // With polarity, a category coded without one (a bare id) shows as its own pressed button.
    const bare = coded && item.labels[category.id] === "";
    const choices = !state.polarity ? [""] : bare ? ["", ...POLARITIES] : POLARITIES;
    for (const pol of choices) {
      const button = el("button", pol ? NAMES[pol] : state.polarity ? "no polarity" : "coded", `choice ${pol || "on"}`);
      button.type = "button";
      button.dataset.category = category.id;
      button.dataset.polarity = pol;
      button.setAttribute("aria-pressed", String(coded && item.labels[category.id] === pol));
      button.title = pol ? `${category.id}:${pol}` : category.id;
      button.addEventListener("click", () => {
        const on = coded && item.labels[category.id] === pol;
        setLabel(category.id, on ? null : pol);
      });
      cell.append(button);
    }
    row.append(cell);
    body.append(row);
  });
  showProgress();
}

function setLabel(category, polarity) {
  const item = state.items[index];
  if (polarity === null) delete item.labels[category];
  else item.labels[category] = polarity;
  render();
  save(item);
}

function cycle(category) {
  const item = state.items[index];
  const has = Object.prototype.hasOwnProperty.call(item.labels, category);
  if (!state.polarity) return setLabel(category, has ? null : "");
  const order = [null, ...POLARITIES];
  const now = has && item.labels[category] ? order.indexOf(item.labels[category]) : 0; // bare id: like off
  setLabel(category, order[(now + 1) % order.length]);
}

function save(item) {
  const labels = { ...item.labels };
  saving = saving.then(async () => {
    try {
      const response = await fetch(`api/save?token=${encodeURIComponent(token)}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ id: item.id, labels }),
      });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      item.reviewed = true;
      $("status").className = "";
      $("status").textContent = `Saved ${item.id} to ${state.file}.`;
      showProgress();
    } catch (error) {
      $("status").className = "error";
      $("status").textContent = `NOT saved (${error.message}); is classify review still running?`;
    }
  });
  return saving;
}

function nextOpen(from, includeFrom) {
  const n = state.items.length;
  for (let step = includeFrom ? 0 : 1; step < n + (includeFrom ? 0 : 1); step++) {
    const j = (from + step) % n;
    if (!state.items[j].reviewed && (includeFrom || j !== from)) return j;
  }
  return -1;
}

function goTo(j) {
  if (j < 0) {
    $("card").hidden = true;
    $("done").hidden = false;
    $("next-step").textContent = `classify train --data shipped --data ${state.file}`;
    showProgress();
    return;
  }
  index = j;
  render();
}

async function next() {
  const item = state.items[index];
  if (!item.reviewed) await save(item); // "next" confirms the coding as it stands
  goTo(nextOpen(index, false));
}

function skip() {
  goTo(nextOpen(index, false));
}

function previous() {
  if (index > 0) goTo(index - 1);
}

function search() {
  const query = $("search").value.trim().toLowerCase();
  const list = $("results");
  list.replaceChildren();
  list.hidden = !query;
  if (!query) return;
  const hits = state.items
    .map((item, j) => ({ item, j }))
    .filter(({ item }) => item.text.toLowerCase().includes(query) || String(item.id).toLowerCase() === query);
  if (!hits.length) list.append(el("li", "No comment of the queue matches."));
  for (const { item, j } of hits.slice(0, 30)) {
    const button = el("button", `${item.reviewed ? "✓ " : ""}${item.id}: ${item.text.slice(0, 140)}`);
    button.type = "button";
    button.addEventListener("click", () => {
      $("search").value = "";
      list.hidden = true;
      goTo(j);
    });
    const li = el("li");
    li.append(button);
    list.append(li);
  }
}

function onKey(event) {
  if (event.target === $("search")) {
    if (event.key === "Escape") {
      $("search").value = "";
      search();
      $("search").blur();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || !state || $("card").hidden) return;
  const key = event.key.toLowerCase();
  if (key === "n" || key === "enter") next();
  else if (key === "s") skip();
  else if (key === "p") previous();
  else if (key === "/") $("search").focus();
  else if (KEYS.includes(key) && KEYS.indexOf(key) < state.codebook.length) cycle(state.codebook[KEYS.indexOf(key)].id);
  else return;
  event.preventDefault();
}

async function start() {
  const response = await fetch(`api/state?token=${encodeURIComponent(token)}`);
  if (!response.ok) {
    $("progress-text").textContent = `Cannot load the queue (${response.status}); use the address classify printed.`;
    return;
  }
  state = await response.json();
  if (!state.polarity) {
    $("cycle-help").textContent = "on and off";
  }
  $("next").addEventListener("click", next);
  $("skip").addEventListener("click", skip);
  $("previous").addEventListener("click", previous);
  $("search").addEventListener("input", search);
  document.addEventListener("keydown", onKey);
  goTo(nextOpen(0, true)); // resume at the first comment not reviewed yet
}

start();
