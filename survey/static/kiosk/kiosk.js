/* SIPAS kiosk: one question per screen, an offline queue that sends each answer sheet exactly once. */
(function () {
  "use strict";

  var S = JSON.parse(document.getElementById("kiosk-settings").textContent);
  var Q = S.questionnaire;
  var QUEUE_KEY = "sipas.kiosk.queue";
  var REJECTED_KEY = "sipas.kiosk.rejected";
  var SETASIDE_KEY = "sipas.kiosk.setaside";
  var RETRY_KEY = "sipas.kiosk.retries";
  var DEVICE_KEY = "sipas.kiosk.device";
  var COLOURS = {1: "#c62828", 2: "#ef6c00", 3: "#f9a825", 4: "#7cb342", 5: "#2e7d32"};
  var screenEl = document.getElementById("screen");
  var progressEl = document.getElementById("progress");
  var state, steps, lastActivity = Date.now(), thanksTimer = null, flushing = false, flushTimer = null;
  /* A sheet that keeps failing (5xx, unexpected answer) is retried with a growing pause of its own and
     set aside after MAX_ATTEMPTS tries; it never holds back the sheets behind it. */
  var MAX_ATTEMPTS = Math.max(1, Number(S.attempts) || 8);
  var BACKOFF_MS = Math.max(0.05, Number(S.backoff) || Number(S.retry) || 20) * 1000;
  var BACKOFF_MAX_MS = Math.max(BACKOFF_MS, (Number(S.backoff_max) || 0) * 1000 || 16 * BACKOFF_MS);

  /* ---------- small helpers ---------- */
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function t(key) { return S.texts[state.lang][key]; }
  function tr(obj) { return obj ? (obj[state.lang] || obj.vi) : ""; }
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load(key, fallback) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; }
    catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function deviceId() {
    var id = localStorage.getItem(DEVICE_KEY);
    if (!id) { id = uuid4(); localStorage.setItem(DEVICE_KEY, id); }
    return id;
  }
  function face(value) {
    var c = 33 + (value - 3) * 5;
    return '<svg class="face" viewBox="0 0 48 48" aria-hidden="true" focusable="false">' +
      '<circle cx="24" cy="24" r="22" fill="' + COLOURS[value] + '"/>' +
      '<circle cx="16" cy="19" r="3.2" fill="#111"/><circle cx="32" cy="19" r="3.2" fill="#111"/>' +
      '<path d="M14 33 Q24 ' + c + ' 34 33" stroke="#111" stroke-width="3.2" fill="none" stroke-linecap="round"/></svg>';
  }

  /* ---------- the survey's steps ---------- */
  function buildSteps() {
    var list = [];
    if (S.areas.length > 1) list.push({kind: "area"});
    Q.elements.forEach(function (el) {
      el.criteria.forEach(function (c) { list.push({kind: "item", code: c.code, text: c.question, group: el.label}); });
      if (el.overall) list.push({kind: "item", code: el.overall.code, text: el.overall.question, group: el.label});
    });
    if (Q.overall) list.push({kind: "item", code: Q.overall.code, text: Q.overall.question, group: null});
    if ((Q.profile || []).length) list.push({kind: "profile"});
    else list.push({kind: "send"});
    var number = 0;
    list.forEach(function (step) { if (step.kind === "item") step.number = ++number; });
    return list;
  }

  function questionCount() {
    return steps.filter(function (s) { return s.kind === "item"; }).length;
  }

  function isCriterion(code) {
    return Q.elements.some(function (el) {
      return el.criteria.some(function (c) { return c.code === code; });
    });
  }

  /* "Please rate at least one of the service questions (questions 1–22)": the range only when the
     criteria are the first questions in a row, as in the SIPAS questionnaire. */
  function needCriterion() {
    var numbers = steps.filter(function (s) { return s.kind === "item" && isCriterion(s.code); })
      .map(function (s) { return s.number; });
    var contiguous = numbers.length && numbers[0] === 1 && numbers[numbers.length - 1] === numbers.length;
    return contiguous ? t("need_criterion").replace("{last}", String(numbers.length)) : t("need_criterion_any");
  }

  function fresh() {
    return {lang: "vi", large: false, step: -1, answers: {}, profile: {}, area: null, started: null,
      notice: false};
  }

  /* ---------- rendering ---------- */
  function applyChrome() {
    document.documentElement.lang = state.lang;
    document.documentElement.classList.toggle("large", state.large);
    var lang = document.getElementById("lang-toggle");
    lang.setAttribute("aria-pressed", String(state.lang === "en"));
    lang.setAttribute("aria-label", t("language") + ": " + (state.lang === "vi" ? "Tiếng Việt" : "English"));
    var text = document.getElementById("text-toggle");
    text.textContent = t("large_text");
    text.setAttribute("aria-pressed", String(state.large));
    document.title = tr(Q.title);
  }

  function showProgress() {
    var visible = state.step >= 0 && state.step < steps.length;
    progressEl.hidden = !visible;
    if (!visible) return;
    /* "Question k / N" counts the questions only; the area and profile screens have no number. */
    var step = steps[state.step], total = questionCount(), label = "", done;
    if (step.kind === "item") {
      done = step.number;
      label = t("question") + " " + step.number + " / " + total;
    } else {
      done = step.kind === "area" ? 0 : total;
    }
    document.getElementById("progress-fill").style.width = (total ? 100 * done / total : 100) + "%";
    document.getElementById("progress-label").textContent = label;
    progressEl.setAttribute("aria-label", t("progress"));
  }

  /* The action bar (Back, Next, Send, Skip) sticks to the bottom of the screen: always in view. */
  function navButtons(withNext, middle) {
    return '<div class="actions nav">' +
      '<button type="button" class="btn secondary" data-action="back">&#8592; ' + esc(t("back")) + "</button>" +
      (middle ? '<div class="send-row">' + middle + "</div>" : "") +
      (withNext ? '<button type="button" class="btn secondary" data-action="next">' + esc(t("next")) + " &#8594;</button>" :
        '<span class="nav-spacer" aria-hidden="true"></span>') +
      "</div>";
  }

  function renderStart() {
    screenEl.innerHTML =
      '<section class="start">' +
      '<p class="badge">' + esc(t("anonymous")) + "</p>" +
      '<h1 tabindex="-1">' + esc(t("welcome")) + "</h1>" +
      '<p class="lead">' + esc(tr(Q.intro) || t("tap_to_start")) + "</p>" +
      '<div class="start-faces" aria-hidden="true">' + [1, 2, 3, 4, 5].map(face).join("") + "</div>" +
      '<button type="button" class="btn primary huge" data-action="start">' + esc(t("start")) + "</button>" +
      "</section>";
  }

  function renderArea() {
    screenEl.innerHTML = '<section><h1 tabindex="-1">' + esc(t("choose_area")) + "</h1>" +
      '<div class="choices">' + S.areas.map(function (a) {
        var on = state.area === a.code;
        return '<button type="button" class="btn choice' + (on ? " selected" : "") + '" aria-pressed="' + on +
          '" data-action="area" data-value="' + esc(a.code) + '">' + esc(a[state.lang] || a.vi) + "</button>";
      }).join("") + "</div>" + navButtons(false) + "</section>";
  }

  function renderItem(step) {
    var chosen = state.answers[step.code];
    var scale = Q.scale, buttons = "";
    for (var v = scale.min; v <= scale.max; v++) {
      var on = chosen === v;
      buttons += '<button type="button" class="answer a' + v + (on ? " selected" : "") + '" aria-pressed="' + on +
        '" data-action="answer" data-value="' + v + '">' + face(v) +
        '<span class="answer-label">' + esc(tr(scale.labels[String(v)])) + "</span></button>";
    }
    var na = chosen === null;
    screenEl.innerHTML = '<section class="question">' +
      '<p class="group">' + esc(step.group ? tr(step.group) : t("overall")) + "</p>" +
      '<h1 tabindex="-1" id="q-text">' + esc(tr(step.text)) + "</h1>" +
      (state.notice ? '<p class="notice" role="alert">' + esc(needCriterion()) + "</p>" : "") +
      '<div class="answers" role="group" aria-labelledby="q-text">' + buttons + "</div>" +
      '<button type="button" class="answer na' + (na ? " selected" : "") + '" aria-pressed="' + na +
      '" data-action="answer" data-value="na">' + esc(tr(scale.not_applicable)) + "</button>" +
      navButtons(step.code in state.answers) + "</section>";
  }

  function renderProfile() {
    var fields = (Q.profile || []).map(function (f) {
      return '<fieldset class="profile-field"><legend>' + esc(tr(f.label)) + "</legend>" +
        f.options.map(function (o) {
          var on = state.profile[f.code] === o.code;
          return '<button type="button" class="chip' + (on ? " selected" : "") + '" aria-pressed="' + on +
            '" data-action="profile" data-field="' + esc(f.code) + '" data-value="' + esc(o.code) + '">' +
            esc(tr(o.label)) + "</button>";
        }).join("") + "</fieldset>";
    }).join("");
    screenEl.innerHTML = '<section class="profile"><h1 tabindex="-1">' + esc(t("profile")) + "</h1>" +
      '<p class="lead">' + esc(t("profile_hint")) + "</p>" + '<div class="profile-fields">' + fields + "</div>" +
      navButtons(false, '<button type="button" class="btn secondary" data-action="skip">' + esc(t("skip")) + "</button>" +
        '<button type="button" class="btn primary huge" data-action="send">' + esc(t("send")) + "</button>") +
      "</section>";
  }

  function renderSend() {
    screenEl.innerHTML = '<section class="profile"><h1 tabindex="-1">' + esc(t("send")) + "</h1>" +
      navButtons(false, '<button type="button" class="btn primary huge" data-action="send">' + esc(t("send")) +
        "</button>") + "</section>";
  }

  function renderThanks() {
    screenEl.innerHTML = '<section class="thanks" role="status"><div class="big-face" aria-hidden="true">' + face(5) + "</div>" +
      '<h1 tabindex="-1">' + esc(t("thanks")) + "</h1>" +
      '<p class="lead">' + esc(t("recorded")) + "</p><p>" + esc(t("restart")) + "</p>" +
      '<button type="button" class="btn primary" data-action="reset">' + esc(t("finish")) + "</button></section>";
  }

  function render() {
    applyChrome();
    showProgress();
    if (state.step === "thanks") renderThanks();
    else if (state.step < 0) renderStart();
    else {
      var step = steps[state.step];
      ({area: renderArea, item: renderItem, profile: renderProfile, send: renderSend})[step.kind](step);
    }
    var heading = screenEl.querySelector("h1");
    if (heading) heading.focus({preventScroll: true});
    renderPending();
  }

  /* ---------- the offline queue ---------- */
  function queue() { return load(QUEUE_KEY, []); }

  function renderPending() {
    var n = queue().length, el = document.getElementById("pending");
    el.hidden = n === 0;
    el.textContent = n ? String(n) : "";
    el.title = t("pending") + ": " + n;
    el.setAttribute("aria-label", t("pending") + ": " + n);
    renderSetAside();
  }

  /* ---------- sheets set aside: a discreet count for staff, exported as a JSON file ---------- */
  function setAsideItems() {
    var list = load(SETASIDE_KEY, []);
    return Array.isArray(list) ? list.map(function (r) { return r.item; }).filter(Boolean) : [];
  }

  function renderSetAside() {
    var n = setAsideItems().length, el = document.getElementById("setaside");
    el.hidden = n === 0;
    el.textContent = n ? "\u2691 " + n : "";
    el.title = t("set_aside") + ": " + n;
    el.setAttribute("aria-label", t("set_aside") + ": " + n);
  }

  var exportUrl = null;
  function exportName() {
    var d = new Date(), pad = function (x) { return (x < 10 ? "0" : "") + x; };
    return "sipas-set-aside-" + d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()) + "-" +
      pad(d.getHours()) + pad(d.getMinutes()) + "-" + deviceId().slice(0, 8) + ".json";
  }

  function openSetAside() {
    var items = setAsideItems(), dialog = document.getElementById("setaside-dialog");
    var link = document.getElementById("setaside-download");
    if (exportUrl) URL.revokeObjectURL(exportUrl);
    exportUrl = URL.createObjectURL(new Blob([JSON.stringify(items, null, 2)], {type: "application/json"}));
    link.href = exportUrl;
    link.download = exportName();
    link.textContent = t("set_aside_download");
    document.getElementById("setaside-title").textContent = t("set_aside") + ": " + items.length;
    document.getElementById("setaside-text").textContent = t("set_aside_hint");
    document.getElementById("setaside-close").textContent = t("set_aside_close");
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  }

  function closeSetAside() {
    var dialog = document.getElementById("setaside-dialog");
    if (dialog.close) dialog.close(); else dialog.removeAttribute("open");
  }

  var COUNTER_GONE = {retired_counter: 1, inactive_counter: 1, unknown_counter: 1};
  var retryAt = 0;

  function retries() { var r = load(RETRY_KEY, {}); return r && typeof r === "object" ? r : {}; }
  function forget(id) {
    var all = retries();
    if (Object.prototype.hasOwnProperty.call(all, id)) { delete all[id]; save(RETRY_KEY, all); }
  }
  function unqueue(item) { save(QUEUE_KEY, queue().filter(function (p) { return p.id !== item.id; })); }

  function drop(item, rejection) {
    if (rejection) {
      /* Refused for good: keep the whole sheet for staff, never send it again. */
      var rejected = load(REJECTED_KEY, []);
      rejected.push({id: item.id, status: rejection.status, error: rejection.error || null,
        at: new Date().toISOString(), item: item});
      save(REJECTED_KEY, rejected.slice(-200));
    }
    unqueue(item);
    forget(item.id);
  }

  /* Tried MAX_ATTEMPTS times without an answer that settles it: kept for staff to export and
     no longer sent automatically. Saved before it leaves the queue, so it is never lost. */
  function setAside(item, record) {
    var list = load(SETASIDE_KEY, []);
    if (!list.some(function (r) { return r.id === item.id; })) {
      list.push({id: item.id, attempts: record.strikes, status: record.status || null,
        at: new Date().toISOString(), item: item});
      save(SETASIDE_KEY, list);
    }
    unqueue(item);
    forget(item.id);
  }

  /* One failed try of ``item``: the next one waits BACKOFF doubled per try (at most BACKOFF_MAX, at
     least the server's Retry-After). A strike counts towards setting the sheet aside. */
  function failed(item, status, waitMs, strike) {
    var all = retries(), r = all[item.id] || {tries: 0, strikes: 0};
    r.tries += 1;
    if (strike) r.strikes += 1;
    r.status = status;
    r.next = Date.now() + Math.max(Math.min(BACKOFF_MS * Math.pow(2, r.tries - 1), BACKOFF_MAX_MS), waitMs || 0);
    all[item.id] = r;
    save(RETRY_KEY, all);
    if (r.strikes >= MAX_ATTEMPTS) setAside(item, r);
  }

  /* A network error counts against a sheet only when the server answered other sheets meanwhile. */
  function strike(item) {
    if (!queue().some(function (p) { return p.id === item.id; })) return;
    var all = retries(), r = all[item.id];
    if (!r) return;
    r.strikes += 1;
    save(RETRY_KEY, all);
    if (r.strikes >= MAX_ATTEMPTS) setAside(item, r);
  }

  /* The network is back: sheets that only met network errors are due again at once. */
  function networkBack(except) {
    var all = retries(), changed = false;
    Object.keys(all).forEach(function (id) {
      if (all[id].status === 0 && except.indexOf(id) < 0) { all[id].next = 0; changed = true; }
    });
    if (changed) save(RETRY_KEY, all);
  }

  function retryAfterMs(res) {
    var v = res.headers.get("Retry-After"), secs = Number(v);
    if (v && isNaN(secs)) secs = (Date.parse(v) - Date.now()) / 1000;
    return v && secs > 0 ? Math.min(secs, 3600) * 1000 : 0;
  }

  /* Send one sheet. Resolves "ok" (stored, or already stored), "refused" (400, 409, 422, 404 for a
     retired/inactive/unknown counter: kept aside for staff, never sent again), "pause" (429: the
     server asks every sheet to wait until Retry-After), "failed" (5xx or an unexpected answer) or
     "net" (network error); the last two are retried later without holding back the others. */
  function send(item) {
    return fetch(S.api, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(item), credentials: "omit", cache: "no-store"})
      .then(function (res) {
        var status = res.status;
        if (status === 200 || status === 201) { drop(item); return "ok"; }
        if (status === 429) { retryAt = Date.now() + (retryAfterMs(res) || S.retry * 1000); return "pause"; }
        if (status >= 500) { failed(item, status, retryAfterMs(res), true); return "failed"; }
        return res.json().catch(function () { return {}; }).then(function (body) {
          var error = body && typeof body.error === "string" ? body.error : null;
          if (status === 400 || status === 409 || status === 422 ||
              (status === 404 && error && COUNTER_GONE[error])) {
            drop(item, {status: status, error: error});
            return "refused";
          }
          failed(item, status, 0, true);
          return "failed";
        });
      }, function () { failed(item, 0, 0, false); return "net"; });
  }

  function due(item, all, now) { var r = all[item.id]; return !r || !(r.next > now); }

  /* Wake up when the next sheet (or the end of a 429 pause) is due, rather than at the next tick. */
  function scheduleFlush() {
    clearTimeout(flushTimer);
    var items = queue();
    if (!items.length || navigator.onLine === false) return;
    var all = retries(), now = Date.now(), at = Infinity;
    items.forEach(function (p) { var r = all[p.id]; at = Math.min(at, r && r.next > now ? r.next : now); });
    at = Math.max(at, retryAt);
    if (at < Infinity) flushTimer = setTimeout(flush, Math.min(Math.max(at - now, 0) + 20, 2147483000));
  }

  /* One pass over the queue in order: every sheet that is due is tried once. */
  function flush() {
    if (flushing) return;
    if (navigator.onLine === false) return;
    if (Date.now() < retryAt) { scheduleFlush(); return; }
    flushing = true;
    var ids = queue().map(function (p) { return p.id; }), i = 0, answered = false, netFailed = [];
    function finish() {
      if (answered) {
        netFailed.forEach(strike);
        networkBack(netFailed.map(function (p) { return p.id; }));
      }
      flushing = false;
      renderPending();
      scheduleFlush();
    }
    function next() {
      var item = null, all = retries(), now = Date.now(), items = queue();
      while (!item && i < ids.length) {
        var id = ids[i++];
        item = items.filter(function (p) { return p.id === id; })[0] || null;
        if (item && !due(item, all, now)) item = null;
      }
      if (!item || navigator.onLine === false) { finish(); return; }
      send(item).then(function (outcome) {
        if (outcome === "net") netFailed.push(item); else answered = true;
        renderPending();
        if (outcome === "pause") finish(); else next();
      }, finish);
    }
    next();
  }

  function submit() {
    var answers = {};
    Object.keys(state.answers).forEach(function (k) { if (state.answers[k] !== null) answers[k] = state.answers[k]; });
    var payload = {
      id: uuid4(), counter: S.token, questionnaire: Q.code, version: S.version, channel: "kiosk",
      service_area: state.area || (S.areas.length === 1 ? S.areas[0].code : null),
      answers: answers, profile: state.profile, started_at: state.started,
      submitted_at: new Date().toISOString(), locale: state.lang, client_id: deviceId()
    };
    var items = queue();
    items.push(payload);
    save(QUEUE_KEY, items);
    state = {lang: state.lang, large: state.large, step: "thanks", answers: {}, profile: {}, area: null, started: null};
    render();
    clearTimeout(thanksTimer);
    thanksTimer = setTimeout(reset, S.thanks * 1000);
    flush();
  }

  /* ---------- navigation ---------- */
  function reset() {
    clearTimeout(thanksTimer);
    state = fresh();
    render();
  }

  function go(delta) {
    var next = Math.max(-1, Math.min(steps.length - 1, state.step + delta));
    if (next === -1) { reset(); return; }
    state.step = next;
    render();
  }

  function hasCriterion() {
    return Q.elements.some(function (el) {
      return el.criteria.some(function (c) { return typeof state.answers[c.code] === "number"; });
    });
  }

  var actions = {
    start: function () { state.started = new Date().toISOString(); go(1); },
    back: function () { go(-1); },
    next: function () { go(1); },
    area: function (btn) { state.area = btn.dataset.value; setTimeout(function () { go(1); }, 150); render(); },
    answer: function (btn) {
      var step = steps[state.step];
      state.answers[step.code] = btn.dataset.value === "na" ? null : Number(btn.dataset.value);
      state.notice = false;
      render();
      setTimeout(function () { if (steps[state.step] === step) go(1); }, 250);
    },
    profile: function (btn) {
      var f = btn.dataset.field;
      state.profile[f] = state.profile[f] === btn.dataset.value ? undefined : btn.dataset.value;
      if (state.profile[f] === undefined) delete state.profile[f];
      render();
    },
    skip: function () { state.profile = {}; actions.send(); },
    send: function () {
      if (!hasCriterion()) {
        /* The overall question alone is not enough: go back to the first service question. */
        var first = 0;
        while (first < steps.length - 1 && !(steps[first].kind === "item" && isCriterion(steps[first].code))) first++;
        state.step = first; state.notice = true; render(); window.scrollTo(0, 0); return;
      }
      submit();
    },
    reset: reset
  };

  screenEl.addEventListener("click", function (event) {
    var btn = event.target.closest("[data-action]");
    if (btn && actions[btn.dataset.action]) actions[btn.dataset.action](btn);
  });
  document.getElementById("lang-toggle").addEventListener("click", function () {
    state.lang = state.lang === "vi" ? "en" : "vi"; render();
  });
  document.getElementById("text-toggle").addEventListener("click", function () {
    state.large = !state.large; render();
  });

  /* ---------- idle reset: the next citizen never sees the previous one's answers ---------- */
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { lastActivity = Date.now(); }, {passive: true});
  });
  setInterval(function () {
    if (state.step !== -1 && state.step !== "thanks" && Date.now() - lastActivity > S.idle * 1000) reset();
  }, 500);

  /* ---------- network ---------- */
  window.addEventListener("online", function () { networkBack([]); flush(); });
  document.getElementById("setaside").addEventListener("click", openSetAside);
  document.getElementById("setaside-close").addEventListener("click", closeSetAside);
  document.getElementById("setaside-dialog").addEventListener("close", function () {
    lastActivity = Date.now();
  });
  setInterval(flush, S.retry * 1000);
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(S.sw, {scope: S.sw.replace(/[^/]*$/, "")}).catch(function () {});
    if (window.caches) caches.open(S.cache).then(function (c) { return c.add(location.href); }).catch(function () {});
  }

  steps = buildSteps();
  state = fresh();
  render();
  flush();
})();
