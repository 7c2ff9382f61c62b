/* The attempt page: a countdown to the server's deadline, and every answer saved through the
   API as it is given. Answers not yet acknowledged by the server are kept in localStorage, so
   a reload or a lost connection loses nothing; they are sent again when the connection returns.
   Without JavaScript the form still works: it posts the page's answers. */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) return;
  var attemptId = form.dataset.attempt;
  var api = form.dataset.api;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var statusEl = document.getElementById("save-status");
  var storeKey = "lentera-attempt-" + attemptId;
  var pending = {};
  var timers = {};
  var closed = false;
  var submitting = false;

  try { pending = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { pending = {}; }

  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* storage full or off */ }
  }
  function status(msg) { if (statusEl) statusEl.textContent = msg; }

  function fieldsetFor(qid) { return form.querySelector('fieldset.question[data-qid="' + qid + '"]'); }

  function readResponse(fs) {
    var type = fs.dataset.type;
    var name = "q-" + fs.dataset.qid;
    if (type === "multichoice") {
      var checked = Array.prototype.filter.call(fs.querySelectorAll('input[name="' + name + '"]'), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
      return fs.dataset.multiple === "1" ? checked : (checked[0] || null);
    }
    if (type === "truefalse") {
      var tf = fs.querySelector('input[name="' + name + '"]:checked');
      return tf ? tf.value === "true" : null;
    }
    if (fs.dataset.shape === "map") {  // matching, gaps, cloze: one field per part
      var out = {};
      fs.querySelectorAll("[data-stem]").forEach(function (s) {
        if (s.multiple) {
          var picked = Array.prototype.filter.call(s.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
          if (picked.length) out[s.dataset.stem] = picked;
        } else if (s.value) out[s.dataset.stem] = s.value;
      });
      return out;
    }
    var el = fs.querySelector('[name="' + name + '"]');
    if (!el) return null;
    if (type === "numerical") return el.value.trim() === "" ? null : el.value.trim();
    return el.value;
  }

  function writeResponse(fs, value) {
    var type = fs.dataset.type;
    var name = "q-" + fs.dataset.qid;
    if (type === "multichoice") {
      var list = Array.isArray(value) ? value : [value];
      fs.querySelectorAll('input[name="' + name + '"]').forEach(function (i) { i.checked = list.indexOf(i.value) >= 0; });
    } else if (type === "truefalse") {
      fs.querySelectorAll('input[name="' + name + '"]').forEach(function (i) { i.checked = value !== null && i.value === String(value); });
    } else if (fs.dataset.shape === "map") {
      fs.querySelectorAll("[data-stem]").forEach(function (s) {
        var v = (value && value[s.dataset.stem]) || "";
        if (s.multiple) Array.prototype.forEach.call(s.options, function (o) { o.selected = v.indexOf(o.value) >= 0; });
        else s.value = v;
        s.dispatchEvent(new CustomEvent("lentera:restored", { bubbles: true }));
      });
    } else {
      var el = fs.querySelector('[name="' + name + '"]');
      if (el) el.value = value === null || value === undefined ? "" : value;
    }
  }

  // A quiz stored for offline learning (app/sync): without a signal its answers go to the device's
  // queue, which sends them to the server in order when the signal returns.
  var LO = null, storedOffline = false;
  function offlineReady() {
    LO = window.LenteraOffline;
    if (!LO) return Promise.resolve(false);
    return LO.storedPage(location.pathname).then(function (p) { storedOffline = !!(p && p.offline_allowed); return storedOffline; });
  }
  function keepOnDevice(qid, value) {
    return LO.record({type: "answer", activity_id: parseInt(form.dataset.activity, 10),
                      data: {attempt_id: parseInt(attemptId, 10), question_id: parseInt(qid, 10), response: value}})
      .then(function () {
        if (JSON.stringify(pending[qid]) === JSON.stringify(value)) { delete pending[qid]; persist(); }
        status(form.dataset.msgDevice);
      });
  }
  function offlineNow() { return !navigator.onLine || (LO && LO.isOfflineCopy()); }
  function submittedOnDevice() {
    if (form.querySelector(".offline-submitted") || document.querySelector(".offline-submitted")) return;
    closed = true;
    try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    status(form.dataset.msgSubmittedDevice);
    form.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = true; });
    var done = document.createElement("p");
    done.className = "flash flash-success offline-submitted";
    done.textContent = form.dataset.msgSubmittedDevice;
    var back = document.createElement("a");
    back.href = form.dataset.courseUrl;
    back.textContent = " ‹ " + (document.querySelector("h1") || {textContent: ""}).textContent;
    done.appendChild(back);
    form.parentNode.insertBefore(done, form);
  }
  // A stored attempt page is the page as it was downloaded; the answers given since wait in the
  // device's queue. Without a signal, the latest of each is put back into the form (answers not
  // yet queued, kept in localStorage, win), and a submission waiting in the queue shows as such.
  function restoreFromDevice() {
    if (!storedOffline || !offlineNow()) return Promise.resolve();
    return LO.pending().then(function (rows) {
      var latest = {}, submitted = false;
      rows.forEach(function (r) {
        var d = r.data || {};
        if (String(d.attempt_id) !== String(attemptId)) return;
        if (r.type === "answer") latest[d.question_id] = d.response;
        else if (r.type === "submit") submitted = true;
      });
      Object.keys(latest).forEach(function (qid) {
        var fs = fieldsetFor(qid);
        if (fs && !(qid in pending)) writeResponse(fs, latest[qid]);
      });
      if (submitted) submittedOnDevice();
    }).catch(function () { /* no IndexedDB: the page as stored */ });
  }

  function send(qid) {
    if (closed || !(qid in pending)) return Promise.resolve();
    if (storedOffline && offlineNow()) return keepOnDevice(qid, pending[qid]);
    var value = pending[qid];
    status(form.dataset.msgSaving);
    return fetch(api + qid, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ response: value })
    }).then(function (resp) {
      if (resp.ok) {
        if (JSON.stringify(pending[qid]) === JSON.stringify(value)) { delete pending[qid]; persist(); }
        fieldError(qid, "");
        status(form.dataset.msgSaved);
      } else if (resp.status === 409) {
        closed = true;
        status(form.dataset.msgClosed);
        submitNow();
      } else if (resp.status >= 400 && resp.status < 500) {
        // the server refused this value (e.g. not a number): keep it visible, do not retry
        return resp.json().then(function (body) {
          delete pending[qid]; persist();
          status(fieldError(qid, body.error.message));
        });
      } else {
        status(form.dataset.msgOffline);
      }
    }).catch(function () {
      if (storedOffline) return keepOnDevice(qid, value);
      status(form.dataset.msgOffline);
    });
  }

  // A refused answer is said beside its question, named, while the learner is still on it.
  function fieldError(qid, message) {
    var fs = fieldsetFor(qid);
    if (!fs) return message;
    var box = fs.querySelector(".field-error");
    if (!message) {
      if (box) box.remove();
      fs.removeAttribute("aria-invalid");
      return "";
    }
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      box.setAttribute("role", "alert");
      fs.appendChild(box);
    }
    var legend = fs.querySelector("legend");
    var named = (legend ? legend.firstChild.textContent.trim() + ": " : "") + message;
    box.textContent = named;
    fs.setAttribute("aria-invalid", "true");
    return named;
  }

  function flush() {
    return Promise.all(Object.keys(pending).map(send));
  }

  function changed(ev) {
    var fs = ev.target.closest("fieldset.question");
    // a checked question (interactive) is locked until "Coba lagi"; a chosen file goes with "Unggah"
    if (!fs || fs.querySelector("fieldset[disabled]") || ev.target.type === "file") return;
    var qid = fs.dataset.qid;
    pending[qid] = readResponse(fs);
    persist();
    clearTimeout(timers[qid]);
    var delay = ev.type === "input" ? 700 : 0;
    timers[qid] = setTimeout(function () { send(qid); }, delay);
  }

  function submitNow() {
    if (submitting) return;
    submitting = true;
    var go = document.createElement("input");
    go.type = "hidden"; go.name = "go"; go.value = "submit";
    form.appendChild(go);
    try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    form.submit();
  }

  // answers typed before a reload or while offline come back and are sent again
  Object.keys(pending).forEach(function (qid) {
    var fs = fieldsetFor(qid);
    if (fs) writeResponse(fs, pending[qid]);
  });
  document.addEventListener("DOMContentLoaded", function () {
    offlineReady().then(restoreFromDevice).then(flush);
  });

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  window.addEventListener("online", flush);
  setInterval(function () { if (Object.keys(pending).length) flush(); }, 10000);

  form.addEventListener("submit", function (ev) {
    var submitter = ev.submitter;
    var offlineSubmit = storedOffline && offlineNow() && submitter && submitter.value === "summary";
    if (offlineSubmit && !submitting) {
      // without a signal the summary page cannot be fetched: ask here instead
      if (!window.confirm(form.dataset.msgConfirm)) { ev.preventDefault(); return; }
    }
    if (storedOffline && offlineNow()) {
      // no signal: this page's answers (and the submission) go to the device's queue in order
      ev.preventDefault();
      var go = offlineSubmit ? "submit" : (submitter ? submitter.value : "");
      var open = Array.prototype.filter.call(form.querySelectorAll("fieldset.question"), function (fs) {
        return !fs.querySelector("fieldset[disabled]");
      });
      var answers = open.map(function (fs) {
        pending[fs.dataset.qid] = readResponse(fs);
        return fs.dataset.qid;
      });
      answers.reduce(function (p, qid) {
        return p.then(function () { return qid in pending ? keepOnDevice(qid, pending[qid]) : null; });
      }, Promise.resolve()).then(function () {
        if (go === "submit" || submitting) {
          return LO.record({type: "submit", activity_id: parseInt(form.dataset.activity, 10),
                            data: {attempt_id: parseInt(attemptId, 10)}}).then(submittedOnDevice);
        }
        if (/^\d+$/.test(go)) location.href = location.pathname + "?hal=" + go;
      });
      return;
    }
    // the form carries this page's answers itself; what it carries no longer needs the queue
    form.querySelectorAll("fieldset.question").forEach(function (fs) { delete pending[fs.dataset.qid]; });
    persist();
  });

  var deadline = form.dataset.deadline ? Date.parse(form.dataset.deadline) : null;
  var countdown = document.getElementById("countdown");
  if (deadline && countdown) {
    // measure against the server's clock, not the phone's
    var skew = form.dataset.now ? Date.parse(form.dataset.now) - Date.now() : 0;
    var tick = function () {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      countdown.textContent = (h ? h + ":" : "") + (h && m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      countdown.parentElement.classList.toggle("countdown-low", left <= 60);
      if (left <= 0) {
        clearInterval(timer);
        flush().then(submitNow, submitNow);
      }
    };
    var timer = setInterval(tick, 1000);
    tick();
  }
})();
