/* SIPAS kiosk: one element per screen, its criteria as rows of faces; an offline queue that sends each answer sheet exactly once. */
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
  var navEl = document.getElementById("nav");
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

  /* ---------- the survey's pages ---------- */
  /* One page per element, its criteria (and the element's own overall question) as rows; the
     questionnaire's overall question closes the last element's page. Rows are numbered across
     the survey, so "questions 1–22" still means the criteria. */
  function buildSteps() {
    var list = [], number = 0;
    if (S.areas.length > 1) list.push({kind: "area"});
    Q.elements.forEach(function (el) {
      var rows = el.criteria.map(function (c) { return {code: c.code, text: c.question, criterion: true}; });
      if (el.overall) rows.push({code: el.overall.code, text: el.overall.question, criterion: false});
      list.push({kind: "page", code: el.code, group: el.label, rows: rows, closing: []});
    });
    var pages = list.filter(function (s) { return s.kind === "page"; });
    if (Q.overall && pages.length) {
      pages[pages.length - 1].closing.push({code: Q.overall.code, text: Q.overall.question, criterion: false});
    }
    pages.forEach(function (page, i) {
      page.index = i + 1;
      page.rows.concat(page.closing).forEach(function (row) { row.number = ++number; });
    });
    /* After a low rating, one screen asks why; it is passed over when nothing was rated low. */
    list.push({kind: "reasons"});
    if ((Q.profile || []).length) list.push({kind: "profile"});
    else list.push({kind: "send"});
    return list;
  }

  function pages() { return steps.filter(function (s) { return s.kind === "page"; }); }
  function rowsOf(step) { return step.rows.concat(step.closing); }
  function allRows() { return pages().reduce(function (acc, p) { return acc.concat(rowsOf(p)); }, []); }
  function isCriterion(code) {
    return allRows().some(function (r) { return r.code === code && r.criterion; });
  }

  /* "Please rate at least one of the service questions (questions 1–22)": the range only when the
     criteria are the first rows in a row, as in the SIPAS questionnaire. */
  function needCriterion() {
    var numbers = allRows().filter(function (r) { return r.criterion; }).map(function (r) { return r.number; });
    var contiguous = numbers.length && numbers[0] === 1 && numbers[numbers.length - 1] === numbers.length;
    return contiguous ? t("need_criterion").replace("{last}", String(numbers.length)) : t("need_criterion_any");
  }

  function fresh() {
    return {lang: "vi", large: false, read: false, step: -1, answers: {}, profile: {}, area: null,
      started: null, notice: false, reasons: {}, comment: "", complaint: false};
  }

  /* ---------- why a low rating: the threshold and the lists come from the server ---------- */
  function isLow(code) {
    var v = state.answers[code];
    return typeof v === "number" && v <= S.low_rating_max;
  }
  function lowRows() { return allRows().filter(function (r) { return isLow(r.code); }); }
  function reasonsOf(code) { return (S.reason_lists || {})[(S.reason_topics || {})[code]] || []; }

  /* What the sheet carries: reasons only for items still rated low (an answer changed since
     drops them), the words without control characters, at most comment_max characters. */
  function why() {
    var reasons = {};
    Object.keys(state.reasons).forEach(function (code) {
      var offered = reasonsOf(code).map(function (r) { return r.code; });
      var chosen = state.reasons[code].filter(function (c) { return offered.indexOf(c) >= 0; });
      if (isLow(code) && chosen.length) reasons[code] = chosen;
    });
    var words = Array.from(String(state.comment || "").replace(/[\u0000-\u001f\u007f]+/g, " ").trim())
      .slice(0, S.comment_max || 1000).join("").trim();
    var out = {reasons: reasons};
    if (words) out.comment = words;
    if (state.complaint) out.complaint = true;
    return out;
  }

  /* ---------- rendering ---------- */
  /* The language button names the language it switches to, in that language: its accessible name
     is its visible label (WCAG 2.5.3), marked with the right lang for screen readers. */
  function applyChrome() {
    document.documentElement.lang = state.lang;
    document.documentElement.classList.toggle("large", state.large);
    var lang = document.getElementById("lang-toggle"), other = state.lang === "vi" ? "en" : "vi";
    lang.textContent = other === "en" ? "English" : "Tiếng Việt";
    lang.setAttribute("lang", other);
    var read = document.getElementById("read-toggle");
    read.textContent = t("read_aloud");
    read.setAttribute("aria-pressed", String(state.read));
    read.hidden = !canSpeakAny();
    var text = document.getElementById("text-toggle");
    text.textContent = t("large_text");
    text.setAttribute("aria-pressed", String(state.large));
    document.title = tr(Q.title);
  }

  /* "Part k / N" counts the element pages; the bar is a real progressbar (no aria-label on a
     plain div, which axe reports as a prohibited attribute). */
  function showProgress() {
    var visible = state.step >= 0 && state.step < steps.length;
    progressEl.hidden = !visible;
    if (!visible) return;
    var step = steps[state.step], total = pages().length, label = "", done;
    if (step.kind === "page") {
      done = step.index;
      label = t("part") + " " + step.index + " / " + total;
    } else {
      done = step.kind === "area" ? 0 : total;
    }
    var track = document.getElementById("progress-track");
    track.setAttribute("aria-label", t("progress"));
    track.setAttribute("aria-valuemin", "0");
    track.setAttribute("aria-valuemax", String(total));
    track.setAttribute("aria-valuenow", String(done));
    track.setAttribute("aria-valuetext", label || (done + " / " + total));
    document.getElementById("progress-fill").style.width = (total ? 100 * done / total : 100) + "%";
    document.getElementById("progress-label").textContent = label;
  }

  /* The action bar (Back, Next, Skip, Send) lives outside the scrolling screen: it never covers
     an answer, and it is always in view. */
  function renderNav(withNext, middle) {
    navEl.hidden = false;
    navEl.setAttribute("aria-label", t("navigation"));
    navEl.innerHTML =
      '<button type="button" class="btn secondary" data-action="back">&#8592; ' + esc(t("back")) + "</button>" +
      '<div class="nav-end">' + (middle || "") +
      (withNext ? '<button type="button" class="btn secondary" data-action="next">' + esc(t("next")) + " &#8594;</button>" : "") +
      "</div>";
  }

  function hideNav() { navEl.hidden = true; navEl.innerHTML = ""; }

  function renderStart() {
    hideNav();
    screenEl.innerHTML =
      '<section class="start">' +
      '<p class="badge">' + esc(t("anonymous")) + "</p>" +
      '<h1 tabindex="-1">' + esc(t("welcome")) + "</h1>" +
      '<p class="lead">' + esc(tr(Q.intro) || t("tap_to_start")) + "</p>" +
      '<div class="start-faces" aria-hidden="true">' + [1, 2, 3, 4, 5].map(face).join("") + "</div>" +
      '<button type="button" class="btn primary huge" data-action="start">' + esc(t("start")) + "</button>" +
      "</section>";
  }

  /* The counter's service areas; "other" (code KHAC) comes last, set apart, when it is served. */
  function renderArea() {
    screenEl.innerHTML = '<section><h1 tabindex="-1">' + esc(t("choose_area")) + "</h1>" +
      '<div class="choices">' + S.areas.map(function (a) {
        var on = state.area === a.code, other = a.code === S.other_area;
        return '<button type="button" class="btn choice' + (other ? " other" : "") + (on ? " selected" : "") +
          '" aria-pressed="' + on + '" data-action="area" data-value="' + esc(a.code) + '">' +
          esc(a[state.lang] || a.vi) + "</button>";
      }).join("") + "</div></section>";
    renderNav(false);
  }

  function answerButton(code, value, label, chosen) {
    var na = value === "na", on = na ? chosen === null : chosen === value;
    return '<button type="button" class="answer ' + (na ? "na" : "a" + value) + (on ? " selected" : "") +
      '" aria-pressed="' + on + '" data-action="answer" data-code="' + esc(code) + '" data-value="' + value + '">' +
      (na ? "" : face(value)) + '<span class="answer-label">' + esc(label) + "</span></button>";
  }

  /* "Nghe": reads the row's question aloud. Hidden (never broken) when the kiosk has neither a
     device voice nor a generated file for it; the accessible name is the visible word, the
     question it reads is its description. */
  function listenButton(stem, describedBy) {
    return '<button type="button" class="listen" data-action="listen" data-stem="' + esc(stem) +
      '" aria-pressed="false" aria-describedby="' + esc(describedBy) + '"' + (canSpeak(stem) ? "" : " hidden") + ">" +
      '<svg class="speaker" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M3 9v6h4l5 4V5L7 9H3z" fill="currentColor"/>' +
      '<path d="M15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round"/></svg>' +
      '<span class="listen-label">' + esc(t("listen")) + "</span></button>";
  }

  /* One criterion: its question and its Nghe button, then its five faces and "no opinion" together. */
  function renderRow(row) {
    var scale = Q.scale, chosen = state.answers[row.code], buttons = "";
    for (var v = scale.min; v <= scale.max; v++) buttons += answerButton(row.code, v, tr(scale.labels[String(v)]), chosen);
    buttons += answerButton(row.code, "na", tr(scale.not_applicable), chosen);
    return '<div class="crit' + (row.code in state.answers ? " done" : "") + '" id="row-' + esc(row.code) +
      '" data-code="' + esc(row.code) + '">' +
      '<div class="crit-q">' + listenButton(row.code, "q-" + row.code) + '<p id="q-' + esc(row.code) + '">' +
      '<span class="crit-n">' + row.number + ".</span> " + esc(tr(row.text)) + "</p></div>" +
      '<div class="crit-a" role="group" aria-labelledby="q-' + esc(row.code) + '">' + buttons + "</div></div>";
  }

  function renderPage(step) {
    screenEl.innerHTML = '<section class="page">' +
      '<h1 tabindex="-1">' + esc(tr(step.group)) + "</h1>" +
      (state.notice ? '<p class="notice" role="alert">' + esc(needCriterion()) + "</p>" : "") +
      '<div class="rows">' + step.rows.map(renderRow).join("") + "</div>" +
      (step.closing.length ? '<h2 class="closing">' + esc(t("overall")) + '</h2><div class="rows">' +
        step.closing.map(renderRow).join("") + "</div>" : "") +
      "</section>";
    renderNav(true);
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
      "</section>";
    renderNav(false, '<button type="button" class="btn secondary" data-action="skip">' + esc(t("skip")) + "</button>" +
      '<button type="button" class="btn primary send" data-action="send">' + esc(t("send")) + "</button>");
  }

  /* "Vì sao Ông/Bà chưa hài lòng?": the low-rated rows grouped by element, each with its
     element's reasons as toggle chips; the citizen's own words; the complaint toggle. */
  function renderReasons() {
    var groups = [];
    pages().forEach(function (page) {
      var rows = page.rows.filter(function (r) { return isLow(r.code); });
      var closing = page.closing.filter(function (r) { return isLow(r.code); });
      if (rows.length) groups.push({title: tr(page.group), rows: rows});
      if (closing.length) groups.push({title: t("overall"), rows: closing});
    });
    var body = groups.map(function (g) {
      return '<h2 class="why-group">' + esc(g.title) + "</h2>" + g.rows.map(function (row) {
        var chosen = state.reasons[row.code] || [];
        return '<fieldset class="why-row" data-code="' + esc(row.code) + '"><legend id="why-' + esc(row.code) + '">' +
          '<span class="crit-n">' + row.number + ".</span> " + esc(tr(row.text)) + "</legend>" +
          reasonsOf(row.code).map(function (r) {
            var on = chosen.indexOf(r.code) >= 0;
            return '<button type="button" class="chip why-chip' + (on ? " selected" : "") + '" aria-pressed="' + on +
              '" data-action="reason" data-code="' + esc(row.code) + '" data-value="' + esc(r.code) + '">' +
              esc(tr(r.label)) + "</button>";
          }).join("") + "</fieldset>";
      }).join("");
    }).join("");
    screenEl.innerHTML = '<section class="reasons"><div class="crit-q">' + listenButton("reasons", "why-title") +
      '<h1 tabindex="-1" id="why-title">' + esc(t("reasons_title")) + "</h1></div>" +
      '<p class="lead">' + esc(t("reasons_hint")) + "</p>" + body +
      '<label class="why-label" for="why-comment">' + esc(t("comment")) + "</label>" +
      '<textarea id="why-comment" class="why-comment" rows="3" maxlength="' + (S.comment_max || 1000) + '">' +
      esc(state.comment || "") + "</textarea>" +
      '<button type="button" class="chip why-complaint' + (state.complaint ? " selected" : "") + '" aria-pressed="' +
      !!state.complaint + '" data-action="complaint">' + esc(t("complaint")) + "</button>" +
      "</section>";
    renderNav(false, '<button type="button" class="btn secondary" data-action="reasons-skip">' + esc(t("skip")) + "</button>" +
      '<button type="button" class="btn primary send" data-action="reasons-continue">' + esc(t("continue")) + "</button>");
  }

  function renderSend() {
    screenEl.innerHTML = '<section class="profile"><h1 tabindex="-1">' + esc(t("send")) + "</h1></section>";
    renderNav(false, '<button type="button" class="btn primary send" data-action="send">' + esc(t("send")) + "</button>");
  }

  function renderThanks() {
    hideNav();
    screenEl.innerHTML = '<section class="thanks" role="status"><div class="big-face" aria-hidden="true">' + face(5) + "</div>" +
      '<h1 tabindex="-1">' + esc(t("thanks")) + "</h1>" +
      '<p class="lead">' + esc(t("recorded")) + "</p><p>" + esc(t("restart")) + "</p>" +
      '<button type="button" class="btn primary" data-action="reset">' + esc(t("finish")) + "</button></section>";
  }

  /* Draw the current screen from scratch, at its top, with the focus on its heading; whatever
     was being read stops, and in read-aloud mode the new screen is read. */
  function render() {
    stopSpeaking();
    applyChrome();
    showProgress();
    if (state.step === "thanks") renderThanks();
    else if (state.step < 0) renderStart();
    else {
      var step = steps[state.step];
      ({area: renderArea, page: renderPage, reasons: renderReasons, profile: renderProfile,
        send: renderSend})[step.kind](step);
    }
    screenEl.dataset.screen = state.step === "thanks" ? "thanks" : state.step < 0 ? "start" :
      steps[state.step].kind + (steps[state.step].index ? "-" + steps[state.step].index : "");
    screenEl.scrollTop = 0;
    var heading = screenEl.querySelector("h1");
    if (heading) heading.focus({preventScroll: true});
    renderPending();
    if (state.read) readScreen();
  }

  /* A tap on one face updates its row in place (no redraw), so the page keeps its scroll. */
  function markRow(code) {
    var row = document.getElementById("row-" + code), chosen = state.answers[code];
    if (!row) return;
    row.classList.toggle("done", code in state.answers);
    Array.prototype.forEach.call(row.querySelectorAll("[data-action=answer]"), function (btn) {
      var v = btn.dataset.value, on = v === "na" ? chosen === null : chosen === Number(v);
      btn.classList.toggle("selected", on);
      btn.setAttribute("aria-pressed", String(on));
    });
  }

  function behaviour() {
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return reduce ? "auto" : "smooth";
  }

  /* Bring the next unanswered row fully into view, only if it is not already. */
  function revealNext(step, code) {
    var rows = rowsOf(step), i = rows.map(function (r) { return r.code; }).indexOf(code), next = null;
    for (var k = i + 1; k < rows.length && !next; k++) if (!(rows[k].code in state.answers)) next = rows[k];
    var el = next && document.getElementById("row-" + next.code);
    if (!el) return;
    var box = el.getBoundingClientRect(), view = screenEl.getBoundingClientRect();
    if (box.top < view.top || box.bottom > view.bottom) el.scrollIntoView({behavior: behaviour(), block: "nearest"});
  }

  /* ---------- spoken questions ---------- */
  /* The device's own voice for a language (voice.lang "vi", "vi-VN", "vi_VN"…), else null. */
  var player = {queue: [], token: 0, button: null};
  function synth() { return window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null; }
  function voiceFor(lang) {
    var voices = synth() ? synth().getVoices() || [] : [];
    for (var i = 0; i < voices.length; i++) {
      if (String(voices[i].lang || "").toLowerCase().indexOf(lang) === 0) return voices[i];
    }
    return null;
  }
  /* The file ``make audio`` made for an item in the current language, else null. */
  function audioUrl(stem) { return ((S.audio || {})[state.lang] || {})[stem] || null; }
  function canSpeak(stem) { return !!(voiceFor(state.lang) || audioUrl(stem)); }
  function canSpeakAny() {
    return !!(voiceFor(state.lang) || Object.keys((S.audio || {})[state.lang] || {}).length);
  }
  function audioEl() { return document.getElementById("kiosk-audio"); }

  function markPlaying(button) {
    if (player.button && player.button !== button) {
      player.button.classList.remove("playing");
      player.button.setAttribute("aria-pressed", "false");
    }
    player.button = button;
    if (button) { button.classList.add("playing"); button.setAttribute("aria-pressed", "true"); }
  }

  /* Stop any reading; callbacks of the reading stopped see a stale token and do nothing. */
  function stopSpeaking() {
    player.queue = [];
    player.token += 1;
    if (synth()) synth().cancel();
    var audio = audioEl();
    if (audio && !audio.paused) audio.pause();
    markPlaying(null);
  }

  /* Say one item with the device's voice. */
  function sayWithVoice(item, voice, done) {
    var utterance = new window.SpeechSynthesisUtterance(item.text);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    utterance.rate = 0.9;
    utterance.onend = done;
    utterance.onerror = done;
    synth().speak(utterance);
  }

  /* Play one item's generated file; a file that fails to play ends the reading quietly. */
  function sayWithFile(item, done, token) {
    var url = audioUrl(item.stem), audio = audioEl();
    if (!url) { done(); return; }
    audio.onended = done;
    audio.onerror = done;
    audio.dataset.item = item.stem;
    audio.src = url;
    var started = audio.play();
    if (started && started.catch) started.catch(function () { if (token === player.token) stopSpeaking(); });
  }

  function sayNext() {
    var item = player.queue.shift(), token = player.token;
    if (!item) { markPlaying(null); return; }
    var done = function () { if (token === player.token) sayNext(); };
    var voice = voiceFor(state.lang);
    if (voice) sayWithVoice(item, voice, done);
    else sayWithFile(item, done, token);
  }

  /* Read ``items`` ({stem, text}) one after the other, ``button`` shown as playing meanwhile. */
  function speak(items, button) {
    stopSpeaking();
    player.queue = items.filter(function (item) { return canSpeak(item.stem); });
    markPlaying(button || null);
    sayNext();
  }

  function rowItem(row) { return {stem: row.code, text: row.number + ". " + tr(row.text)}; }

  /* Read-aloud mode: the start screen's introduction; a page's heading, then each question. */
  function reasonsItems() {
    return [{stem: "reasons", text: t("reasons_title")}, {stem: "reasons", text: t("reasons_hint")}];
  }

  function readScreen() {
    if (state.step === -1 && Q.intro) { speak([{stem: "start.intro", text: tr(Q.intro)}]); return; }
    var step = state.step >= 0 && steps[state.step];
    if (step && step.kind === "reasons") { speak(reasonsItems()); return; }
    if (!step || step.kind !== "page") return;
    speak([{stem: step.code + ".label", text: tr(step.group)}].concat(rowsOf(step).map(rowItem)));
  }

  /* A tap on Nghe reads its question; a second tap while it plays stops it. */
  function listen(btn) {
    if (player.button === btn) { stopSpeaking(); return; }
    if (btn.dataset.stem === "reasons") { speak(reasonsItems(), btn); return; }
    var row = allRows().filter(function (r) { return r.code === btn.dataset.stem; })[0];
    if (row) speak([rowItem(row)], btn);
  }

  function toggleRead() {
    state.read = !state.read;
    applyChrome();
    if (state.read) readScreen(); else stopSpeaking();
  }

  /* Voices often arrive after the page: show the Nghe buttons they make possible. */
  function refreshSpeech() {
    applyChrome();
    Array.prototype.forEach.call(screenEl.querySelectorAll("[data-action=listen]"), function (btn) {
      btn.hidden = !canSpeak(btn.dataset.stem);
    });
  }

  /* Keep every generated file of this questionnaire in the offline cache. */
  function cacheAudio() {
    var urls = [];
    Object.keys(S.audio || {}).forEach(function (lang) {
      Object.keys(S.audio[lang]).forEach(function (stem) { urls.push(S.audio[lang][stem]); });
    });
    if (!urls.length || !window.caches) return;
    caches.open(S.cache).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return cache.match(url).then(function (hit) { return hit || cache.add(url); });
      }));
    }).catch(function () {});
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

  /* ---------- staff mode: the officer on duty signs on with a PIN (never a citizen's choice) ---------- */
  function dutyShow(body) {
    var status = document.getElementById("duty-status"), d = body && body.on_duty;
    if (!d) { status.textContent = t("duty_none"); return; }
    var since = new Date(d.since), pad = function (x) { return (x < 10 ? "0" : "") + x; };
    status.textContent = t("duty_on").replace("%(name)s", d.name).replace("%(code)s", d.code)
      .replace("%(time)s", pad(since.getHours()) + ":" + pad(since.getMinutes()));
  }
  function dutyMessage(text) { document.getElementById("duty-message").textContent = text || ""; }
  function dutyCall(method, url, body) {
    return fetch(url, {method: method, headers: {"Content-Type": "application/json"},
                       body: body ? JSON.stringify(body) : undefined, cache: "no-store"})
      .then(function (r) { return r.json().then(function (j) { return {status: r.status, body: j}; }); });
  }
  function openDuty() {
    var dialog = document.getElementById("duty-dialog");
    dutyMessage(""); document.getElementById("duty-status").textContent = "";
    document.getElementById("duty-pin").value = "";
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    dutyCall("GET", S.duty_api + "?counter=" + encodeURIComponent(S.token)).then(function (r) {
      if (r.status === 200) dutyShow(r.body); else dutyMessage(t("duty_offline"));
    }).catch(function () { dutyMessage(t("duty_offline")); });
  }
  function closeDuty() {
    var dialog = document.getElementById("duty-dialog");
    document.getElementById("duty-pin").value = "";
    if (dialog.close) dialog.close(); else dialog.removeAttribute("open");
  }
  function signOn(event) {
    event.preventDefault();
    var code = document.getElementById("duty-code").value.trim().toUpperCase();
    var pin = document.getElementById("duty-pin").value;
    document.getElementById("duty-pin").value = "";
    dutyCall("POST", S.duty_api, {counter: S.token, officer: code, pin: pin}).then(function (r) {
      if (r.status === 200) { dutyShow(r.body); dutyMessage(""); setTimeout(closeDuty, 1500); }
      else if (r.status === 423) dutyMessage(t("duty_locked"));
      else if (r.status === 401 || r.status === 422) dutyMessage(t("duty_wrong"));
      else dutyMessage(t("duty_offline"));
    }).catch(function () { dutyMessage(t("duty_offline")); });
  }
  function signOff() {
    dutyCall("POST", S.duty_end_api, {counter: S.token}).then(function (r) {
      if (r.status === 200) { dutyShow(r.body); dutyMessage(t("duty_ended")); }
      else dutyMessage(t("duty_offline"));
    }).catch(function () { dutyMessage(t("duty_offline")); });
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
    var reasons = why();
    if (Object.keys(reasons.reasons).length) payload.reasons = reasons.reasons;
    if (reasons.comment) payload.comment = reasons.comment;
    if (reasons.complaint) payload.complaint = true;
    var items = queue();
    items.push(payload);
    save(QUEUE_KEY, items);
    var chrome = {lang: state.lang, large: state.large, read: state.read};
    state = fresh();
    state.lang = chrome.lang; state.large = chrome.large; state.read = chrome.read; state.step = "thanks";
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
    var next = state.step + delta;
    while (next >= 0 && next < steps.length && steps[next].kind === "reasons" && !lowRows().length) next += delta;
    next = Math.max(-1, Math.min(steps.length - 1, next));
    if (next === -1) { reset(); return; }
    state.step = next;
    render();
  }

  function hasCriterion() {
    return allRows().some(function (r) { return r.criterion && typeof state.answers[r.code] === "number"; });
  }

  function pageComplete(step) {
    return rowsOf(step).every(function (r) { return r.code in state.answers; });
  }

  /* A tap on a face answers its row. The tap that completes the page moves on by itself (as the
     old one-question screens did); changing an answer on a complete page does not. */
  function answer(btn) {
    var step = steps[state.step], code = btn.dataset.code, first = !(code in state.answers);
    state.answers[code] = btn.dataset.value === "na" ? null : Number(btn.dataset.value);
    if (state.notice) {
      state.notice = false;
      var notice = screenEl.querySelector(".notice");
      if (notice) notice.remove();
    }
    markRow(code);
    if (first && pageComplete(step)) setTimeout(function () { if (steps[state.step] === step) go(1); }, 350);
    else if (first) revealNext(step, code);
  }

  var actions = {
    start: function () { state.started = new Date().toISOString(); go(1); },
    back: function () { go(-1); },
    next: function () { go(1); },
    area: function (btn) { state.area = btn.dataset.value; setTimeout(function () { go(1); }, 150); render(); },
    answer: answer,
    listen: listen,
    profile: function (btn) {
      var f = btn.dataset.field;
      state.profile[f] = state.profile[f] === btn.dataset.value ? undefined : btn.dataset.value;
      if (state.profile[f] === undefined) delete state.profile[f];
      var on = f in state.profile;
      Array.prototype.forEach.call(screenEl.querySelectorAll('[data-action=profile][data-field="' + f + '"]'), function (chip) {
        var pressed = on && chip.dataset.value === state.profile[f];
        chip.classList.toggle("selected", pressed);
        chip.setAttribute("aria-pressed", String(pressed));
      });
    },
    skip: function () { state.profile = {}; actions.send(); },
    reason: function (btn) {
      var code = btn.dataset.code, list = state.reasons[code] || [], i = list.indexOf(btn.dataset.value);
      if (i >= 0) list.splice(i, 1); else list.push(btn.dataset.value);
      state.reasons[code] = list;
      btn.classList.toggle("selected", i < 0);
      btn.setAttribute("aria-pressed", String(i < 0));
    },
    complaint: function (btn) {
      state.complaint = !state.complaint;
      btn.classList.toggle("selected", state.complaint);
      btn.setAttribute("aria-pressed", String(state.complaint));
    },
    "reasons-skip": function () { state.reasons = {}; state.comment = ""; state.complaint = false; go(1); },
    "reasons-continue": function () { go(1); },
    send: function () {
      if (!hasCriterion()) {
        /* The overall questions alone are not enough: go back to the first service question. */
        var first = 0;
        while (first < steps.length - 1 && !(steps[first].kind === "page" &&
          steps[first].rows.some(function (r) { return r.criterion; }))) first++;
        state.step = first; state.notice = true; render(); return;
      }
      submit();
    },
    reset: reset
  };

  function onAction(event) {
    var btn = event.target.closest("[data-action]");
    if (btn && actions[btn.dataset.action]) actions[btn.dataset.action](btn);
  }
  screenEl.addEventListener("click", onAction);
  screenEl.addEventListener("input", function (event) {
    if (event.target.id === "why-comment") state.comment = event.target.value;
  });
  navEl.addEventListener("click", onAction);
  document.getElementById("lang-toggle").addEventListener("click", function () {
    state.lang = state.lang === "vi" ? "en" : "vi"; render();
  });
  document.getElementById("read-toggle").addEventListener("click", toggleRead);
  if (synth() && synth().addEventListener) synth().addEventListener("voiceschanged", refreshSpeech);
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
  document.getElementById("duty-open").addEventListener("click", openDuty);
  document.getElementById("duty-form").addEventListener("submit", signOn);
  document.getElementById("duty-end").addEventListener("click", signOff);
  document.getElementById("duty-close").addEventListener("click", closeDuty);
  document.getElementById("duty-dialog").addEventListener("close", function () { lastActivity = Date.now(); });
  document.getElementById("setaside-close").addEventListener("click", closeSetAside);
  document.getElementById("setaside-dialog").addEventListener("close", function () {
    lastActivity = Date.now();
  });
  setInterval(flush, S.retry * 1000);
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(S.sw, {scope: S.sw.replace(/[^/]*$/, "")}).catch(function () {});
    if (window.caches) caches.open(S.cache).then(function (c) { return c.add(location.href); }).catch(function () {});
    cacheAudio();
  }

  steps = buildSteps();
  state = fresh();
  render();
  flush();
})();
