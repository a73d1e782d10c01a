// The control page: built from the layout the show sends, kept live over one WebSocket.
// Every control sends a small JSON message; the server answers "done" or "error" and pushes
// the values every other control writes, so the page never disagrees with the show.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const controls = new Map(); // parameter name -> {input, readout, spec, held}
const thumbs = new Map(); // seed -> <img>
let socket = null;
let layout = null;
let chosenSeed = null;
let previewUrl = null;
let retry = 1000;
const GRID = 12;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function toast(text, bad) {
  const box = $("toast");
  box.textContent = text;
  box.className = bad ? "shown bad" : "shown";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.className = ""; }, bad ? 4000 : 1500);
}

function setState(state) {
  const conn = $("conn");
  conn.dataset.state = state;
  conn.textContent = state;
}

function format(spec, value) {
  if (spec.type === "bool") return value ? "on" : "off";
  if (spec.type === "trigger") return String(value);
  const text = spec.type === "int" ? String(Math.round(value)) : Number(value).toFixed(spec.max - spec.min > 20 ? 1 : 3);
  return spec.unit ? `${text} ${spec.unit}` : text;
}

// --- building the page from the layout ---------------------------------------------------------

function makeControl(spec, where) {
  const row = document.createElement("div");
  row.className = "control";
  const name = document.createElement("label");
  name.className = "name";
  name.textContent = spec.label || spec.name;
  name.title = spec.help || spec.name;
  const readout = document.createElement("span");
  readout.className = "value";
  let input;
  if (spec.control === "button") {
    input = document.createElement("button");
    input.type = "button";
    input.textContent = "fire";
    input.addEventListener("click", () => send({ type: "fire", name: spec.name }));
  } else {
    input = document.createElement("input");
    if (spec.control === "toggle") {
      input.type = "checkbox";
      input.addEventListener("change", () => send({ type: "set", name: spec.name, value: input.checked }));
    } else {
      input.type = spec.control === "fader" ? "range" : "number";
      input.min = spec.min;
      input.max = spec.max;
      input.step = spec.step;
      input.addEventListener("input", () => {
        readout.textContent = format(spec, Number(input.value));
        throttled(spec.name, () => send({ type: "set", name: spec.name, value: Number(input.value) }));
      });
      // While a finger is on the fader the show's echo must not pull it back.
      input.addEventListener("pointerdown", () => { control.held = true; });
      input.addEventListener("pointerup", () => { control.held = false; });
      input.addEventListener("change", () => { control.held = false; });
    }
  }
  input.id = `p-${spec.name}` + (where.id === "speed-slot" ? "-motion" : "");
  input.dataset.name = spec.name;
  name.htmlFor = input.id;
  row.append(name, input, readout);
  where.append(row);
  const control = { input, readout, spec, held: false };
  if (!controls.has(spec.name)) controls.set(spec.name, []);
  controls.get(spec.name).push(control);
  return row;
}

const pending = new Map(); // parameter -> timer: at most one write per 30 ms per control
function throttled(name, action) {
  if (pending.has(name)) { pending.get(name).action = action; return; }
  action();
  const slot = { action: null };
  slot.timer = setTimeout(() => {
    pending.delete(name);
    if (slot.action) slot.action();
  }, 30);
  pending.set(name, slot);
}

function build(message) {
  layout = message;
  document.title = message.show;
  $("title").textContent = message.show;
  controls.clear();
  for (const id of ["param-list", "direction-list", "speed-slot", "keyframes", "scene-list", "slot"]) {
    $(id).replaceChildren();
  }
  // Directions get their own strips, with names, when the show computes them.
  const strips = message.directions !== "none";
  for (const spec of message.params) {
    const direction = strips && /^direction_\d+$/.test(spec.name);
    if (direction) makeDirection(spec);
    else makeControl(spec, $("param-list"));
    if (spec.name === "speed") makeControl(spec, $("speed-slot"));
  }
  $("directions").hidden = !strips || !message.params.some((s) => /^direction_\d+$/.test(s.name));
  $("direction-kind").textContent = message.directions;
  message.keyframes.forEach((text, index) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.textContent = `${index}: ${text}`;
    chip.dataset.keyframe = index;
    chip.addEventListener("click", () => send({ type: "keyframe", index }));
    $("keyframes").append(chip);
    $("slot").append(new Option(`${index} (${text})`, index));
  });
  $("slot").append(new Option(`${message.keyframes.length} (add)`, message.keyframes.length));
  for (const name of message.scenes) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.textContent = name;
    chip.dataset.scene = name;
    chip.addEventListener("click", () => send({ type: "scene", name }));
    $("scene-list").append(chip);
  }
  for (const id of ["save-scene", "to-keyframe"]) $(id).hidden = !message.editable;
  $("explorer").hidden = !message.explorer;
  if (message.explorer) explore();
}

function makeDirection(spec) {
  const box = document.createElement("div");
  box.className = "direction";
  makeControl(spec, box);
  const form = document.createElement("form");
  form.className = "row";
  const name = document.createElement("input");
  name.type = "text";
  name.maxLength = 40;
  name.placeholder = `name ${spec.name}`;
  name.value = spec.label;
  name.id = `label-${spec.name}`;
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "name it";
  form.append(name, save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send({ type: "label", name: spec.name, label: name.value });
  });
  box.append(form);
  $("direction-list").append(box);
}

// --- what the show sends -------------------------------------------------------------------

function showValues(values) {
  for (const [name, value] of Object.entries(values)) {
    for (const control of controls.get(name) || []) {
      const { input, readout, spec } = control;
      if (spec.control === "toggle") input.checked = Boolean(value);
      // A number box being typed into keeps what is typed; a fader follows unless held.
      else if (spec.control !== "button" && !control.held &&
        (input.type === "range" || document.activeElement !== input)) input.value = value;
      readout.textContent = format(spec, value);
    }
    if (name === "keyframe") {
      for (const chip of $("keyframes").children) chip.classList.toggle("on", Number(chip.dataset.keyframe) === value);
    }
  }
}

const FACTS = [
  ["fps", "screen fps"], ["rendered_fps", "rendered fps"], ["level", "resolution"], ["batch", "batch"],
  ["latency_bound_ms", "latency bound ms"], ["scene", "scene"], ["sinks", "sinks"], ["pages", "pages open"],
];

function showStatus(status) {
  const list = $("status");
  list.replaceChildren();
  const add = (term, value, bad) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (bad) dd.className = "bad";
    list.append(dt, dd);
  };
  for (const [key, term] of FACTS) {
    const value = status[key];
    add(term, Array.isArray(value) ? value.join(", ") || "none" : value === "" || value == null ? "-" : value);
  }
  const shown = new Set(FACTS.map(([key]) => key));
  for (const [key, value] of Object.entries(status.inputs || {})) {
    if (!shown.has(key)) add(key, String(value), String(value).startsWith("off:"));
  }
  add("problems", status.problems.length ? status.problems.join("; ") : "none", status.problems.length > 0);
  $("facts").textContent = `${status.fps} fps · ${status.level ?? "-"} px · ≤ ${status.latency_bound_ms ?? "-"} ms` +
    (status.paused ? " · paused" : "");
  const pause = $("pause");
  pause.textContent = status.paused ? "play" : "pause";
  pause.classList.toggle("on", status.paused);
  pause.dataset.paused = status.paused;
  for (const chip of $("scene-list").children) chip.classList.toggle("on", chip.dataset.scene === status.scene);
}

function showPicture(data) {
  const bytes = new Uint8Array(data);
  if (bytes[0] === 1) {
    const url = URL.createObjectURL(new Blob([bytes.subarray(1)], { type: "image/jpeg" }));
    $("preview").src = url;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = url;
  } else if (bytes[0] === 2) {
    const seed = new DataView(data).getUint32(1);
    const img = thumbs.get(seed);
    if (!img) return;
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(new Blob([bytes.subarray(5)], { type: "image/jpeg" }));
  }
}

function receive(event) {
  if (typeof event.data !== "string") { showPicture(event.data); return; }
  const message = JSON.parse(event.data);
  if (message.type === "layout") build(message);
  else if (message.type === "values") showValues(message.values);
  else if (message.type === "status") showStatus(message);
  else if (message.type === "error") toast(message.error, true);
  else if (message.type === "done" && message.request !== "set" && message.request !== "hello" &&
    message.request !== "explore") toast(message.done, false);
}

// --- the explorer --------------------------------------------------------------------------

function explore() {
  const first = Math.max(0, Math.floor(Number($("seeds-first").value) || 0));
  const grid = $("grid");
  grid.replaceChildren();
  thumbs.clear();
  for (let seed = first; seed < first + GRID; seed++) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = `seed ${seed}`;
    img.dataset.seed = seed;
    const caption = document.createElement("figcaption");
    caption.textContent = seed;
    figure.append(img, caption);
    figure.addEventListener("click", () => choose(seed, figure));
    if (seed === chosenSeed) figure.classList.add("chosen");
    grid.append(figure);
    thumbs.set(seed, img);
  }
  send({ type: "explore", first, count: GRID });
}

function choose(seed, figure) {
  chosenSeed = seed;
  for (const other of $("grid").children) other.classList.toggle("chosen", other === figure);
  $("chosen").textContent = `seed ${seed}`;
  $("audition").disabled = $("to-keyframe").disabled = false;
}

// --- connecting ----------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  socket = new WebSocket(`${scheme}://${location.host}/ws${query}`);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => {
    retry = 1000;
    setState("live");
    const width = Math.round(Math.min(window.innerWidth, 512) * (window.devicePixelRatio || 1));
    send({ type: "hello", width });
  });
  socket.addEventListener("message", receive);
  socket.addEventListener("close", () => {
    setState("offline");
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10000);
  });
}

function wire() {
  $("pause").addEventListener("click", () => send({ type: "pause", paused: $("pause").dataset.paused !== "true" }));
  for (const button of document.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => send({ type: "keyframe", step: button.dataset.step }));
  }
  $("save-scene").addEventListener("submit", (event) => {
    event.preventDefault();
    send({ type: "save_scene", name: $("scene-name").value });
  });
  $("seeds-first").addEventListener("change", explore);
  $("seeds-back").addEventListener("click", () => {
    $("seeds-first").value = Math.max(0, Number($("seeds-first").value) - GRID);
    explore();
  });
  $("seeds-on").addEventListener("click", () => {
    $("seeds-first").value = Number($("seeds-first").value) + GRID;
    explore();
  });
  $("audition").addEventListener("click", () => send({ type: "audition", seed: chosenSeed }));
  $("audition-end").addEventListener("click", () => send({ type: "audition", seed: null }));
  $("to-keyframe").addEventListener("click", () =>
    send({ type: "to_keyframe", seed: chosenSeed, slot: Number($("slot").value) }));
  connect();
}

wire();
