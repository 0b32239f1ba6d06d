// The page's behaviour: plain DOM and fetch, no framework. Each form posts its
// fields under the command line's flag names; an error the server names a
// field for is shown next to that field (#<field>-error).
"use strict";

const $ = (sel) => document.querySelector(sel);

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}

// Each API field's name in plain Chinese, for the first half of an error
// message; the second half is the server's own English (it names the field
// as the command line does).
const kFieldZh = {
  surname: "姓", gender: "性别", lean: "把握", level: "常用度", "given-len": "字数", era: "年代", tones: "平仄",
  with: "字辈", "max-strokes": "笔画上限", source: "出处", avoid: "避讳", exclude: "不用的字", n: "数量",
  names: "名字", style: "风格", temperature: "温度", prefix: "开头", checkpoint: "模型", seed: "种子",
};
const kUnreachable = "连不上服务器：wuxia serve 还在运行吗？ The server cannot be reached: is wuxia serve still running?";

// An error in both languages: Chinese first (which field, or what went
// wrong), then the English detail.
function bilingual(field, status, message) {
  let zh;
  if (field && kFieldZh[field]) zh = "「" + kFieldZh[field] + "」填得不对：";
  else if (status === 413) zh = "请求太大：";
  else if (status >= 500) zh = "服务器出错了：";
  else zh = "出错了：";
  return zh + " " + message;
}

function clearErrors(form) {
  for (const e of form.querySelectorAll(".error")) e.textContent = "";
  for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
}

// Shows `message` beside the field it is about (`idOf` maps an API field to
// the form's id), or under the form's button when no field is named. The
// slots are role="alert": a screen reader says the message when it appears.
function showError(form, field, message, idOf) {
  const id = field ? (idOf[field] || field) : null;
  const slot = id && form.querySelector("#" + CSS.escape(id) + "-error");
  if (slot) {
    slot.textContent = message;
    const input = form.querySelector("#" + CSS.escape(id));
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  } else {
    form.querySelector("#" + form.id + "-error").textContent = message;
  }
}

class RequestFailure extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

async function post(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new RequestFailure(null, kUnreachable);
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    throw new RequestFailure(null, bilingual(null, res.status, "the server answered " + res.status + " without JSON"));
  }
  if (!res.ok) {
    const field = data.field || null;
    throw new RequestFailure(field, bilingual(field, res.status, data.error || "HTTP " + res.status));
  }
  return data;
}

// Runs `work` with the form's button disabled and errors shown where they
// belong; `clear` empties the form's old results first, so that a failed
// request never leaves an earlier list looking like its answer.
async function submit(form, idOf, clear, work) {
  clearErrors(form);
  clear();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  $("#status").textContent = "请稍候… working…";
  try {
    await work();
    $("#status").textContent = "";
  } catch (err) {
    $("#status").textContent = "";
    clear();
    if (err instanceof RequestFailure) {
      showError(form, err.field, err.message, idOf);
    } else {
      showError(form, null, "页面出错了： the page failed: " + String(err), idOf);
    }
  } finally {
    button.disabled = false;
  }
}

function intValue(id) {
  const v = $(id).value.trim();
  return v === "" ? undefined : Number(v);
}

// ---- naming a child ----
function readsAs(gender) {
  if (!gender || typeof gender.female !== "number") return "";
  // P(female) with equal priors (docs/NAMING.md): the side it leans to, and how far.
  const f = gender.female;
  if (f > 0.5) return "女 girl " + Math.round(f * 100) + "%";
  if (f < 0.5) return "男 boy " + Math.round((1 - f) * 100) + "%";
  return "中性 either";
}

function sourceText(sources) {
  if (!sources || !sources.length) return "";
  const s = sources[0];
  return s.line + " ——《" + s.title + "》" + (s.author ? " " + s.author : "");
}

function sourceCell(sources) {
  const td = el("td", { className: "source" });
  if (sources && sources.length) {
    const s = sources[0];
    td.append(s.line, el("cite", { textContent: "《" + s.title + "》" + (s.author ? " " + s.author : "") }));
  }
  return td;
}

function strokesText(n) {
  return (n.strokes || []).join(" · ");
}

// What a parent should know before choosing the name: it sounds like a word,
// a known person bears it, a character has another reading, it is a title.
function warnings(n) {
  const out = [];
  for (const m of n.sounds_like || []) {
    out.push("谐音 sounds like " + m.word + " (" + m.pinyin + (m.tones || m.written ? "" : ", tones differ") + "): " +
             m.why);
  }
  if (n.namesake && n.namesake.length) out.push("同名 namesake: a person of " + n.namesake.join(", "));
  if (n.readings && n.readings.length) {
    out.push("多音 two readings: also read " + n.readings.map((r) => r.join(" ")).join("；"));
  }
  if (n.title) out.push("称谓 reads as a title: " + n.title);
  return out;
}

function warningsCell(n) {
  const td = el("td", { className: "warnings" });
  for (const w of warnings(n)) td.append(el("span", { className: "warn", textContent: w }));
  return td;
}

// ---- kept names (localStorage) ----
const kFavouritesKey = "wuxia.favourites";
const kMaxFavourites = 50;

function favourites() {
  try {
    const list = JSON.parse(localStorage.getItem(kFavouritesKey) || "[]");
    return Array.isArray(list) ? list.filter((n) => n && typeof n.name === "string") : [];
  } catch (e) {
    return [];  // storage off, or a value this page did not write
  }
}

function saveFavourites(list) {
  try {
    localStorage.setItem(kFavouritesKey, JSON.stringify(list.slice(0, kMaxFavourites)));
  } catch (e) {
    $("#status").textContent = "无法保存收藏（浏览器不允许）。 Kept names cannot be saved: this browser refuses storage.";
  }
}

function isKept(name) {
  return favourites().some((n) => n.name === name);
}

function toggleKept(n) {
  const list = favourites();
  const at = list.findIndex((k) => k.name === n.name);
  if (at >= 0) list.splice(at, 1);
  else list.push(n);
  saveFavourites(list);
  renderFavourites();
  syncKeepButtons();
}

function keepButton(n) {
  const b = el("button", { type: "button", className: "keep" });
  b.dataset.name = n.name;
  b.addEventListener("click", () => toggleKept(n));
  return b;
}

function syncKeepButtons() {
  for (const b of document.querySelectorAll("button.keep")) {
    const kept = isKept(b.dataset.name);
    b.textContent = kept ? "★" : "☆";
    b.setAttribute("aria-pressed", kept ? "true" : "false");
    b.setAttribute("aria-label", (kept ? "取消收藏 unkeep " : "收藏 keep ") + b.dataset.name);
  }
}

// The kept names side by side: a column a name, a row a property.
function renderFavourites() {
  const list = favourites();
  const table = $("#compare");
  $("#favourites-empty").hidden = list.length > 0;
  table.hidden = list.length === 0;
  const head = table.querySelector("thead tr");
  head.replaceChildren(head.firstElementChild);
  for (const n of list) {
    const remove = el("button", { type: "button", className: "remove", textContent: "✕" });
    remove.setAttribute("aria-label", "取消收藏 unkeep " + n.name);
    remove.addEventListener("click", () => toggleKept(n));
    head.append(el("th", { scope: "col" }, el("span", { className: "kept-name", textContent: n.name }), " ", remove));
  }
  const rows = [
    ["拼音 pinyin", (n) => (n.pinyin || []).join(" ")],
    ["平仄 tones", (n) => n.pingze || ""],
    ["笔画 strokes", strokesText],
    ["读来像 reads as", (n) => readsAs(n.gender)],
    ["提醒 warnings", (n) => warnings(n).join("；") || "—"],
    ["字义 glosses", (n) => (n.gloss || []).filter((g) => g).join("；")],
    ["出处 source", (n) => sourceText(n.sources)],
  ];
  table.querySelector("tbody").replaceChildren(...rows.map(([label, value]) =>
    el("tr", {}, el("th", { scope: "row", textContent: label }),
       ...list.map((n) => el("td", { textContent: value(n) })))));
}

function clearNames() {
  const table = $("#results");
  table.querySelector("tbody").replaceChildren();
  table.hidden = true;
  $("#name-note").textContent = "";
  $("#surname-note").textContent = "";
  $("#name-link").hidden = true;
}

function showNames(names) {
  const table = $("#results");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const n of names) {
    body.append(
      el("tr", {},
        el("td", {}, keepButton(n)),
        el("td", { className: "name", textContent: n.name }),
        el("td", { textContent: (n.pinyin || []).join(" ") }),
        el("td", { textContent: n.pingze || "" }),
        el("td", { className: "strokes", textContent: strokesText(n) }),
        el("td", { textContent: readsAs(n.gender) }),
        warningsCell(n),
        el("td", { textContent: (n.gloss || []).filter((g) => g).join("；") }),
        sourceCell(n.sources)));
  }
  syncKeepButtons();
  table.hidden = false;
}

// The naming form's fields as the API takes them (empty ones left out).
const kNameInputs = ["surname", "gender", "lean", "level", "given-len", "era", "tones", "with", "max-strokes", "source",
  "avoid", "exclude", "n"];
const kNameNumbers = new Set(["lean", "level", "given-len", "max-strokes", "n"]);
const kNameChecks = ["allow-repeat", "allow-sounds-like", "allow-namesakes"];

function nameBody() {
  const body = {};
  for (const id of kNameInputs) {
    const v = $("#" + id).value.trim();
    if (v === "") continue;
    if (id === "avoid") body.avoid = v.split(/[\s,，、]+/).filter((s) => s);
    else body[id] = kNameNumbers.has(id) ? Number(v) : v;
  }
  // The lean applies to girl or boy only; "any" leaves it out.
  if (body.gender === "any") delete body.lean;
  for (const id of kNameChecks) if ($("#" + id).checked) body[id] = true;
  return body;
}

// A link that asks again for the same list: the form's values in the query.
function shareLink(form, body, anchor) {
  const q = new URLSearchParams();
  q.set("form", form);
  for (const [k, v] of Object.entries(body)) q.set(k, Array.isArray(v) ? v.join(" ") : String(v));
  return location.origin + location.pathname + "?" + q.toString() + "#" + anchor;
}

function checkSurname(surname) {
  const chars = Array.from(surname);
  if (!chars.length) throw new RequestFailure("surname", "请填写姓。 Type a surname (one or two characters: 张, 欧阳).");
  if (chars.length > 2) {
    throw new RequestFailure("surname", "姓只有一个或两个字（张、欧阳），这里有 " + chars.length +
      " 个。 A surname is one or two characters, not " + chars.length + ": give the surname alone.");
  }
}

$("#name-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  submit(form, {}, clearNames, async () => {
    const body = nameBody();
    checkSurname(body.surname || "");
    const data = await post("/api/name", body);
    showNames(data.names);
    if (data.surname_known === false) {
      $("#surname-note").textContent = "「" + body.surname + "」不在常见姓氏表里，按 " + data.surname_reading +
        " 读。 " + body.surname + " is not in the list of surnames; read as " + data.surname_reading + ".";
    }
    if (!data.names.length) {
      showError(form, null, "没有符合的名字，请放宽条件。 No name fits: loosen a filter.", {});
    } else if (data.shortfall) {
      $("#name-note").textContent = "只找到 " + data.names.length + " 个。 " + data.shortfall;
    }
    const link = $("#name-link");
    link.href = shareLink("name", body, "part-child");
    link.hidden = false;
  });
});

// ---- explain a name ----
function explainCard(n) {
  const dl = el("dl");
  const row = (term, value) => {
    if (value === undefined || value === null || value === "") return;
    dl.append(el("dt", { textContent: term }), el("dd", { textContent: value }));
  };
  for (const m of n.sounds_like || []) {
    row("谐音 sounds like", m.word + " (" + m.pinyin + (m.tones || m.written ? "" : ", tones differ") + "): " + m.why);
  }
  row("拼音 pinyin", (n.pinyin || []).join(" "));
  row("又读 also read", (n.readings || []).map((r) => r.join(" ")).join("；"));
  row("平仄 tones", n.pingze);
  row("笔画 strokes", (n.strokes || []).join(" · "));
  row("常用度 level", (n.levels || []).map((l) => (l ? l + "级" : "表外")).join(" · "));
  row("读来像 reads as", readsAs(n.gender));
  row("字义 glosses", (n.gloss || []).filter((g) => g).join("；"));
  if (typeof n.percentile === "number") row("模型 model percentile", Math.round(n.percentile) + "%");
  for (const s of (n.sources || []).slice(0, 3)) row("出处 source", s.line + " ——《" + s.title + "》" + (s.author || ""));
  row("称谓 a title", n.title);
  if (n.namesake && n.namesake.length) row("同名 namesake", "a person of " + n.namesake.join(", "));
  const title = n.surname ? n.surname + " · " + (n.given || "") : n.name;
  return el("div", { className: "card" }, el("h3", { className: "explained", textContent: title }), dl);
}

$("#explain-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const clear = () => $("#explain-results").replaceChildren();
  submit(ev.currentTarget, { names: "explain-name", name: "explain-name" }, clear, async () => {
    const names = $("#explain-name").value.split(/[\s,，、]+/).filter((s) => s);
    if (!names.length) throw new RequestFailure("names", "请输入名字。 Type a name.");
    const data = await post("/api/explain", { names });
    $("#explain-results").replaceChildren(...data.names.map(explainCard));
  });
});

// ---- wuxia names ----
// The seed a shared link asks for, used by the next request only.
let linkedSeed = null;

$("#sample-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  const clear = () => {
    $("#sample-results").replaceChildren();
    $("#sample-link").hidden = true;
  };
  submit(form, { n: "sample-n", checkpoint: "style" }, clear, async () => {
    const option = $("#style").selectedOptions[0];
    const body = { temperature: Number($("#temperature").value), n: intValue("#sample-n") };
    if (option) {
      body.style = option.value;
      body.checkpoint = option.dataset.checkpoint;
    }
    const prefix = $("#prefix").value.trim();
    if (prefix) body.prefix = prefix;
    if (linkedSeed !== null) body.seed = linkedSeed;
    linkedSeed = null;
    const data = await post("/api/sample", body);
    const list = $("#sample-results");
    list.replaceChildren(
      ...data.names.map((s) =>
        el("li", {
          className: s.origin === "new" ? "sampled" : "sampled seen",
          textContent: s.name,
          title: s.origin === "new" ? "new" : "in the model's training list (" + s.origin + ")",
        })));
    if (data.shortfall) showError(form, null, "只生成了 " + data.names.length + " 个。 " + data.shortfall, {});
    // The seed drawn makes the same list again; a string, as JSON numbers
    // past 2^53 would not survive.
    const link = $("#sample-link");
    link.href = shareLink("sample", Object.assign({}, body, { seed: String(data.seed) }), "part-wuxia");
    link.hidden = false;
  });
});

// ---- the models served ----
const kStyleNames = { jinyong: "金庸 Jin Yong's cast", gulong: "古龙 Gu Long's cast", ancient: "古人 historical names",
  poets: "诗人 poets" };

async function loadModels() {
  const res = await fetch("/api/models");
  const data = await res.json();
  const select = $("#style");
  const lines = [];
  const seen = new Set();
  for (const m of data.models) {
    // A fine-tune knows its base's styles too; offer those it was trained on.
    for (const s of m.trained_styles.length ? m.trained_styles : m.styles) {
      const label = (kStyleNames[s] || s) + (seen.has(s) ? " (" + m.checkpoint + ")" : "");
      seen.add(s);
      const o = el("option", { value: s, textContent: label });
      o.dataset.checkpoint = m.checkpoint;
      select.append(o);
    }
    lines.push(m.checkpoint + " (step " + m.step + ")");
  }
  $("#models-line").textContent = "Models: " + lines.join(", ") + ".";
}

// A shared link (shareLink): its values into the form, and the list asked again.
function followLink() {
  const q = new URLSearchParams(location.search);
  if (q.get("form") === "name") {
    for (const id of kNameInputs) if (q.has(id)) $("#" + id).value = q.get(id);
    for (const id of kNameChecks) $("#" + id).checked = q.get(id) === "true";
    $("#name-form").requestSubmit();
  } else if (q.get("form") === "sample") {
    const option = Array.from($("#style").options).find(
      (o) => o.value === q.get("style") && (!q.has("checkpoint") || o.dataset.checkpoint === q.get("checkpoint")));
    if (option) option.selected = true;
    if (q.has("temperature")) $("#temperature").value = q.get("temperature");
    if (q.has("n")) $("#sample-n").value = q.get("n");
    if (q.has("prefix")) $("#prefix").value = q.get("prefix");
    if (q.has("seed")) linkedSeed = q.get("seed");
    $("#sample-form").requestSubmit();
  }
}

renderFavourites();
loadModels().then(followLink, () => {
  $("#status").textContent = kUnreachable;
});
