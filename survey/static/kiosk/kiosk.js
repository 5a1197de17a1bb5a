/* SIPAS kiosk: one question per screen, an offline queue that sends each answer sheet exactly once. */
(function () {
  "use strict";

  var S = JSON.parse(document.getElementById("kiosk-settings").textContent);
  var Q = S.questionnaire;
  var QUEUE_KEY = "sipas.kiosk.queue";
  var REJECTED_KEY = "sipas.kiosk.rejected";
  var DEVICE_KEY = "sipas.kiosk.device";
  var COLOURS = {1: "#c62828", 2: "#ef6c00", 3: "#f9a825", 4: "#7cb342", 5: "#2e7d32"};
  var screenEl = document.getElementById("screen");
  var progressEl = document.getElementById("progress");
  var state, steps, lastActivity = Date.now(), thanksTimer = null, flushing = false;

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
  }

  var COUNTER_GONE = {retired_counter: 1, inactive_counter: 1, unknown_counter: 1};
  var retryAt = 0;

  function drop(item, rejection) {
    save(QUEUE_KEY, queue().filter(function (p) { return p.id !== item.id; }));
    if (rejection) {
      /* Refused for good: keep the whole sheet for staff, never send it again. */
      var rejected = load(REJECTED_KEY, []);
      rejected.push({id: item.id, status: rejection.status, error: rejection.error || null,
        at: new Date().toISOString(), item: item});
      save(REJECTED_KEY, rejected.slice(-200));
    }
  }

  function retryAfter(res) {
    var v = res.headers.get("Retry-After"), secs = Number(v);
    if (v && isNaN(secs)) secs = (Date.parse(v) - Date.now()) / 1000;
    if (v && secs > 0) retryAt = Date.now() + Math.min(secs, 3600) * 1000;
  }

  /* Send the head of the queue. Resolves true to go on with the next item, false to stop and
     retry later (offline, network error, 429, 5xx). A sheet the server refuses for good (400, 409,
     422, 404 for a retired/inactive/unknown counter) is set aside so it never blocks the others. */
  function sendNext() {
    var items = queue();
    if (!items.length || navigator.onLine === false) return Promise.resolve(false);
    var item = items[0];
    return fetch(S.api, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(item), credentials: "omit", cache: "no-store"})
      .then(function (res) {
        var status = res.status;
        if (status === 200 || status === 201) { drop(item); return true; }
        if (status === 429 || status >= 500) { retryAfter(res); return false; }
        return res.json().catch(function () { return {}; }).then(function (body) {
          var error = body && typeof body.error === "string" ? body.error : null;
          if (status === 400 || status === 409 || status === 422 ||
              (status === 404 && error && COUNTER_GONE[error])) {
            drop(item, {status: status, error: error});
            return true;
          }
          return false;
        });
      }, function () { return false; });
  }

  function flush() {
    if (flushing || Date.now() < retryAt) return;
    flushing = true;
    (function loop() {
      sendNext().then(function (more) {
        renderPending();
        if (more) loop(); else flushing = false;
      }, function () { flushing = false; renderPending(); });
    })();
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
  window.addEventListener("online", flush);
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
