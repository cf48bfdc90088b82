/* casebot's organizer Mini App: vanilla JS, no framework.
 * initData comes from Telegram's script when present, else from the tgWebAppData URL
 * fragment; every API call sends it in "Authorization: tma …" and uses paths relative to
 * the page, so the app works on 127.0.0.1 and behind a TLS proxy alike. A case's names
 * and timeline events (add, edit, delete) are edit.js's, loaded first. */
(function () {
  "use strict";
  var L = JSON.parse(document.getElementById("labels").textContent);
  var tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  var state = { initData: "", caseId: null, detail: null, draftId: null, statuses: [] };
  var mainAction = null;
  var editor = window.casebotEditor({
    L: L, $: $, el: el, api: api, say: say, ask: ask, openCase: openCase,
    caseId: function () { return state.caseId; }
  });

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function say(text) { $("status").textContent = text || ""; }

  function readInitData() {
    if (tg && tg.initData) return tg.initData;
    var hash = window.location.hash.replace(/^#/, "");
    return new URLSearchParams(hash).get("tgWebAppData") || "";
  }

  function api(method, path, body) {
    var options = {
      method: method,
      credentials: "omit",
      headers: { "Authorization": "tma " + state.initData, "Accept": "application/json" }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("api/" + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401) { stop(data.error === "expired" ? L.expired : L.no_init); throw data; }
        if (response.status === 403) { stop(L.refused); throw data; }
        if (!response.ok) { say(data.message || L.failed); throw data; }
        return data;
      });
    });
  }

  function stop(text) {
    ["list-screen", "case-screen", "preview-screen"].forEach(function (id) { $(id).hidden = true; });
    setMain(null);
    say(text);
  }

  function show(id, focus) {
    ["list-screen", "case-screen", "preview-screen"].forEach(function (other) {
      $(other).hidden = other !== id;
    });
    if (tg && tg.BackButton) {
      if (id === "list-screen") tg.BackButton.hide(); else tg.BackButton.show();
    }
    if (id !== "preview-screen") setMain(null);
    closeAsk();
    var target = focus ? $(focus) : $(id);
    if (target) { if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1"); target.focus(); }
  }

  function setMain(action, text) {
    mainAction = action;
    if (!tg || !tg.MainButton) return;
    if (action) { tg.MainButton.setText(text); tg.MainButton.show(); } else { tg.MainButton.hide(); }
  }

  function applyTheme() {
    if (!tg || !tg.themeParams) return;
    var map = { bg_color: "--bg", text_color: "--fg", hint_color: "--hint",
      button_color: "--accent", button_text_color: "--accent-fg", secondary_bg_color: "--box" };
    Object.keys(map).forEach(function (key) {
      if (tg.themeParams[key]) document.documentElement.style.setProperty(map[key], tg.themeParams[key]);
    });
  }

  /* -- the list of cases ------------------------------------------------------------- */

  function caseLink(item) {
    var li = el("li");
    var button = el("button", item.label, "link");
    button.type = "button";
    button.addEventListener("click", function () { openCase(item.id); });
    li.appendChild(button);
    return li;
  }

  function loadCases(query) {
    return api("GET", "cases?q=" + encodeURIComponent(query || "")).then(function (items) {
      var list = $("case-list");
      list.replaceChildren();
      if (!items.length) list.appendChild(el("li", L.no_cases));
      items.forEach(function (item) { list.appendChild(caseLink(item)); });
      say("");
    });
  }

  function createCase(force) {
    var name = $("new-name").value;
    return api("POST", "cases", { name: name, force: force }).then(function (data) {
      if (data.state === "similar") {
        var list = $("similar-list");
        list.replaceChildren();
        data.similar.forEach(function (item) { list.appendChild(caseLink(item)); });
        $("similar").hidden = false;
        say(L.similar);
        return;
      }
      $("similar").hidden = true;
      $("new-name").value = "";
      say(L.case_created);
      openCase(data.id);
    });
  }

  /* -- the case editor --------------------------------------------------------------- */

  function openCase(caseId) {
    state.caseId = caseId;
    return api("GET", "cases/" + caseId).then(function (detail) {
      state.detail = detail;
      renderCase(detail);
      show("case-screen", "case-title");
    });
  }

  function renderStatuses(detail) {
    var box = $("status-selects");
    box.replaceChildren();
    state.statuses.forEach(function (dim) {
      var wrap = el("div");
      var id = "st-" + dim.dimension;
      var label = el("label", dim.label);
      label.htmlFor = id;
      var select = el("select");
      select.id = id;
      select.name = dim.dimension;
      var current = detail.statuses[dim.dimension];
      if (!current) select.appendChild(el("option", "—"));
      dim.options.forEach(function (option) {
        var node = el("option", option.label);
        node.value = option.key;
        if (option.key === current) node.selected = true;
        select.appendChild(node);
      });
      wrap.appendChild(label);
      wrap.appendChild(select);
      box.appendChild(wrap);
    });
  }

  function renderCase(detail) {
    $("case-title").textContent = detail.title;
    renderStatuses(detail);
    ["kk", "ru", "en"].forEach(function (code) { $("note-" + code).value = ""; });
    var hearing = detail.hearing;
    $("hearing-now").textContent = hearing
      ? [hearing.text, hearing.court, hearing.city].filter(Boolean).join(", ")
      : L.no_hearing;
    $("cancel-hearing").hidden = !hearing;
    var court = $("h-court");
    court.replaceChildren();
    detail.courts.forEach(function (item) {
      var node = el("option", [item.name, item.city].filter(Boolean).join(", "));
      node.value = String(item.id);
      court.appendChild(node);
    });
    var fresh = el("option", L.new_court);
    fresh.value = "new";
    court.appendChild(fresh);
    court.value = "new";
    $("h-date").value = hearing ? hearing.date : "";
    $("h-time").value = hearing ? hearing.time : "";
    toggleCourt();
    var s = detail.sentence;
    $("s-months").value = s.months === null ? "" : s.months;
    $("s-days").value = s.days === null ? "" : s.days;
    $("s-ratio").value = s.ratio === null ? "" : String(s.ratio).replace(/\.0$/, "");
    $("s-detained").value = s.detained || "";
    $("s-verdict").value = s.verdict || "";
    $("s-release").value = s.release || "";
    document.querySelectorAll("input[name=suspended]").forEach(function (radio) {
      radio.checked = radio.value === s.suspended;
    });
    $("s-expected").textContent = s.expected || "—";
    editor.render(detail);
  }

  function toggleCourt() { $("new-court").hidden = $("h-court").value !== "new"; }

  function statusBody() {
    var changed = state.statuses.filter(function (dim) {
      return $("st-" + dim.dimension).value !== (state.detail.statuses[dim.dimension] || "—");
    });
    if (changed.length !== 1) { say(changed.length ? L.one_status : ""); return null; }
    var dim = changed[0].dimension;
    var note = {};
    ["kk", "ru", "en"].forEach(function (code) { note[code] = $("note-" + code).value; });
    return { kind: "status", dimension: dim, key: $("st-" + dim).value, note: note };
  }

  function hearingBody() {
    return {
      kind: "hearing", date: $("h-date").value, time: $("h-time").value,
      court_id: $("h-court").value, court: $("h-court-name").value,
      city: $("h-city").value, tz: $("h-tz").value
    };
  }

  function sentenceBody() {
    var suspended = document.querySelector("input[name=suspended]:checked");
    return {
      kind: "sentence", months: $("s-months").value, days: $("s-days").value,
      ratio: $("s-ratio").value, detained: $("s-detained").value,
      verdict: $("s-verdict").value, release: $("s-release").value,
      suspended: suspended ? suspended.value : "unknown"
    };
  }

  var estimateTimer = null;
  function estimateSoon() {
    clearTimeout(estimateTimer);
    estimateTimer = setTimeout(function () {
      api("POST", "estimate", sentenceBody()).then(function (data) {
        $("s-expected").textContent = data.text || "—";
      }).catch(function () { $("s-expected").textContent = "—"; });
    }, 200);
  }

  /* -- "Add anyway?" (a date after today), as the chat asks; "Delete?" (edit.js) ---- */

  var pending = null;
  function ask(message, again, yes) {
    pending = again;
    $("ask-yes").textContent = yes || L.add_anyway;
    $("ask-question").textContent = message;
    $("ask").hidden = false;
    $("ask-yes").focus();
  }
  function closeAsk() { $("ask").hidden = true; pending = null; }

  /* -- preview, Send, Undo ----------------------------------------------------------- */

  function propose(body) {
    if (!body) return Promise.resolve();
    return api("POST", "cases/" + state.caseId + "/preview", body).then(function (data) {
      if (data.state === "ask") {
        ask(data.message, function () { body.force = true; return propose(body); });
        return;
      }
      if (data.state !== "preview") { say(data.message); return openCase(state.caseId); }
      state.draftId = data.draft_id;
      $("preview-heading").textContent = data.message;
      $("preview-notice").textContent = data.notice;
      var parts = $("preview-parts");
      parts.replaceChildren();
      data.languages.forEach(function (part) {
        var box = el("article", null, "part");
        box.lang = part.lang;
        box.setAttribute("data-lang", part.lang);
        box.setAttribute("data-count", String(part.count));
        box.appendChild(el("h3", part.heading));
        box.appendChild(el("p", part.text, "alert"));
        parts.appendChild(box);
      });
      $("preview-buttons").hidden = false;
      $("after-send").hidden = true;
      say("");
      show("preview-screen", "preview-heading");
      setMain(send, L.send);
    });
  }

  function send() {
    setMain(null);
    return api("POST", "drafts/" + state.draftId + "/send", {}).then(function (data) {
      $("preview-buttons").hidden = true;
      $("after-send").hidden = false;
      $("undo-confirm").hidden = true;
      $("sent-message").textContent = data.message;
      $("undo-question").textContent = data.question || "";
      $("undo").hidden = data.state !== "sent";
      say(data.message);
      $("sent-message").setAttribute("tabindex", "-1");
      $("sent-message").focus();
    });
  }

  function cancel() {
    return api("POST", "drafts/" + state.draftId + "/cancel", {}).then(function (data) {
      say(data.message);
      return openCase(state.caseId);
    });
  }

  function undo() {
    return api("POST", "drafts/" + state.draftId + "/undo", {}).then(function (data) {
      $("undo-confirm").hidden = true;
      $("undo").hidden = true;
      $("sent-message").textContent = data.message;
      say(data.message);
    });
  }

  /* -- wiring ------------------------------------------------------------------------ */

  function onSubmit(id, work) {
    $(id).addEventListener("submit", function (event) {
      event.preventDefault();
      work().catch(function () {});
    });
  }

  function wire() {
    onSubmit("search-form", function () { return loadCases($("q").value); });
    onSubmit("new-case-form", function () { return createCase(false); });
    $("create-anyway").addEventListener("click", function () { createCase(true).catch(function () {}); });
    $("back").addEventListener("click", function () { show("list-screen", "q"); });
    $("done").addEventListener("click", function () {
      show("list-screen", "q");
      loadCases($("q").value).catch(function () {});
    });
    $("h-court").addEventListener("change", toggleCourt);
    onSubmit("status-form", function () { return propose(statusBody()); });
    onSubmit("hearing-form", function () { return propose(hearingBody()); });
    $("cancel-hearing").addEventListener("click", function () {
      propose({ kind: "cancel_hearing" }).catch(function () {});
    });
    onSubmit("sentence-form", function () { return propose(sentenceBody()); });
    $("sentence-form").addEventListener("input", estimateSoon);
    $("sentence-form").addEventListener("change", estimateSoon);
    editor.wire();
    $("ask-yes").addEventListener("click", function () {
      var again = pending;
      closeAsk();
      if (again) again().catch(function () {});
    });
    $("ask-no").addEventListener("click", closeAsk);
    $("send").addEventListener("click", function () { send().catch(function () {}); });
    $("cancel").addEventListener("click", function () { cancel().catch(function () {}); });
    $("undo").addEventListener("click", function () {
      $("undo-confirm").hidden = false;
      $("undo-yes").focus();
    });
    $("undo-yes").addEventListener("click", function () { undo().catch(function () {}); });
    $("undo-no").addEventListener("click", function () {
      $("undo-confirm").hidden = true;
      $("undo").focus();
    });
    if (tg) {
      if (tg.MainButton) tg.MainButton.onClick(function () { if (mainAction) mainAction().catch(function () {}); });
      if (tg.BackButton) tg.BackButton.onClick(function () {
        if (!$("case-screen").hidden) show("list-screen", "q"); else openCase(state.caseId);
      });
    }
  }

  function start() {
    if (tg) { tg.ready(); if (tg.expand) tg.expand(); applyTheme(); }
    wire();
    state.initData = readInitData();
    if (!state.initData) { stop(L.no_init); return; }
    api("GET", "me").then(function (me) {
      var asked = new URLSearchParams(window.location.search).get("lang");
      if (me.lang !== document.documentElement.lang && asked !== me.lang) {
        var query = new URLSearchParams(window.location.search);
        query.set("lang", me.lang);
        window.location.replace("?" + query.toString() + window.location.hash);
        return null;
      }
      state.statuses = me.statuses;
      show("list-screen", "q");
      var wanted = parseInt(new URLSearchParams(window.location.search).get("case") || "", 10);
      return loadCases("").then(function () { if (wanted > 0) return openCase(wanted); });
    }).catch(function () {});
  }

  start();
})();
