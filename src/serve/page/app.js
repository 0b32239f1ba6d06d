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

function clearErrors(form) {
  for (const e of form.querySelectorAll(".error")) e.textContent = "";
  for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
}

// Shows `message` beside the field it is about (`idOf` maps an API field to
// the form's id), or beside the form's button when no field is named.
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

async function post(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    throw { field: null, message: "the server answered " + res.status + " without JSON" };
  }
  if (!res.ok) throw { field: data.field || null, message: data.error || "HTTP " + res.status };
  return data;
}

// Runs `work` with the form's button disabled and errors shown where they belong.
async function submit(form, idOf, work) {
  clearErrors(form);
  const button = form.querySelector("button");
  button.disabled = true;
  $("#status").textContent = "…";
  try {
    await work();
    $("#status").textContent = "";
  } catch (err) {
    $("#status").textContent = "";
    if (err && err.message !== undefined) {
      showError(form, err.field, err.message, idOf);
    } else {
      showError(form, null, "the server cannot be reached: is wuxia serve still running?", idOf);
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
  // P(female) with equal priors (README "Naming a child"): the side it leans to, and how far.
  const f = gender.female;
  if (f > 0.5) return "女 girl " + Math.round(f * 100) + "%";
  if (f < 0.5) return "男 boy " + Math.round((1 - f) * 100) + "%";
  return "中性 either";
}

function sourceCell(sources) {
  const td = el("td", { className: "source" });
  if (sources && sources.length) {
    const s = sources[0];
    td.append(s.line, el("cite", { textContent: "《" + s.title + "》" + (s.author ? " " + s.author : "") }));
  }
  return td;
}

function showNames(names) {
  const table = $("#results");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const n of names) {
    body.append(
      el("tr", {},
        el("td", { className: "name", textContent: n.name }),
        el("td", { textContent: (n.pinyin || []).join(" ") }),
        el("td", { textContent: n.pingze || "" }),
        el("td", { textContent: readsAs(n.gender) }),
        el("td", { textContent: (n.gloss || []).filter((g) => g).join("；") }),
        sourceCell(n.sources)));
  }
  table.hidden = false;
}

$("#name-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  submit(form, {}, async () => {
    const body = {
      surname: $("#surname").value.trim(),
      gender: $("#gender").value,
      level: intValue("#level"),
      "given-len": intValue("#given-len"),
      n: intValue("#n"),
    };
    if (!body.surname) throw { field: "surname", message: "请输入姓 (type a surname)" };
    const tones = $("#tones").value.trim();
    if (tones) body.tones = tones;
    const withChar = $("#with").value.trim();
    if (withChar) body.with = withChar;
    const data = await post("/api/name", body);
    showNames(data.names);
    if (!data.names.length) showError(form, null, "没有符合的名字 (no name fits: loosen a filter)", {});
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
  submit(ev.currentTarget, { names: "explain-name", name: "explain-name" }, async () => {
    const names = $("#explain-name").value.split(/[\s,，、]+/).filter((s) => s);
    if (!names.length) throw { field: "names", message: "请输入名字 (type a name)" };
    const data = await post("/api/explain", { names });
    $("#explain-results").replaceChildren(...data.names.map(explainCard));
  });
});

// ---- wuxia names ----
$("#sample-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  submit(ev.currentTarget, { n: "sample-n", checkpoint: "style" }, async () => {
    const option = $("#style").selectedOptions[0];
    const body = { temperature: Number($("#temperature").value), n: intValue("#sample-n") };
    if (option) {
      body.style = option.value;
      body.checkpoint = option.dataset.checkpoint;
    }
    const prefix = $("#prefix").value.trim();
    if (prefix) body.prefix = prefix;
    const data = await post("/api/sample", body);
    const list = $("#sample-results");
    list.replaceChildren(
      ...data.names.map((s) =>
        el("li", {
          className: s.origin === "new" ? "sampled" : "sampled seen",
          textContent: s.name,
          title: s.origin === "new" ? "new" : "in the model's training list (" + s.origin + ")",
        })));
    if (data.shortfall) showError(ev.currentTarget, null, data.shortfall, {});
  });
});

// ---- the models served ----
const kStyleNames = { jinyong: "金庸 Jin Yong's cast", gulong: "古龙 Gu Long's cast", ancient: "古人 historical names",
  poets: "诗人 poets" };

async function loadModels() {
  try {
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
  } catch (e) {
    $("#status").textContent = "the server cannot be reached: is wuxia serve still running?";
  }
}
loadModels();
