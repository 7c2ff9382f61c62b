/* Lentera on weak networks and offline (issue 20). Loaded on every page; no inline script (CSP).
   - the data-saver indicator: what this page cost in bytes over the network (cached files cost 0)
   - the service worker (installable app, stored courses open without a signal)
   - the queue: every view, watched span and quiz answer made offline is kept in IndexedDB with
     an id made on the device, and sent to POST /api/v1/sync when a signal comes back —
     automatically and with the button — in pieces, so a sync cut half-way resumes where it
     stopped; the server applies each id once.
   Events belong to the person who made them: on a shared phone, only the signed-in person's
   events are sent. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "id";
  var me = document.getElementById("lentera-offline");
  var cfg = me ? me.dataset : {};
  var user = cfg.user || "";
  // pieces of a sync (never more than the server takes) and how often an open page syncs: settings
  var CHUNK = Math.max(1, parseInt(cfg.syncChunk, 10) || 100);
  var SYNC_EVERY_MS = Math.max(10, parseInt(cfg.syncEvery, 10) || 60) * 1000;
  var DB_NAME = "lentera-offline";

  function formatBytes(n) {
    if (n >= 1024 * 1024) return (n / (1024 * 1024)).toLocaleString(lang, {maximumFractionDigits: 1}) + " MB";
    return Math.max(n ? 1 : 0, Math.round(n / 1024)).toLocaleString(lang) + " KB";
  }

  // --- data-saver indicator ------------------------------------------------------------------
  function pageBytes() {
    if (!window.performance || !performance.getEntriesByType) return null;
    var total = 0;
    performance.getEntriesByType("navigation").forEach(function (e) { total += e.transferSize || 0; });
    performance.getEntriesByType("resource").forEach(function (e) { total += e.transferSize || 0; });
    return total;
  }
  function showCost() {
    var el = document.getElementById("data-cost");
    if (!el) return;
    var bytes = pageBytes();
    if (bytes === null) return;
    el.textContent = el.getAttribute("data-template").replace("{size}", formatBytes(bytes));
    el.setAttribute("data-bytes", String(bytes));
    el.hidden = false;
  }
  window.addEventListener("load", function () { setTimeout(showCost, 0); });
  if (window.PerformanceObserver) {
    try { new PerformanceObserver(showCost).observe({type: "resource", buffered: false}); } catch (e) { /* old browser */ }
  }

  // --- IndexedDB ---------------------------------------------------------------------------
  var dbPromise = null;
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        var q = db.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});
        q.createIndex("user", "user");
        db.createObjectStore("courses", {keyPath: "key"});
        db.createObjectStore("meta");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbPromise;
  }
  function tx(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(store));
        if (result && typeof result === "object" && "onsuccess" in result) {
          var req = result;
          req.onsuccess = function () { result = req.result; };
        }
      });
    });
  }
  function all(store, index, key) {
    return tx(store, "readonly", function (s) { return index ? s.index(index).getAll(key) : s.getAll(); });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function deviceId() {
    return tx("meta", "readonly", function (s) { return s.get("device"); }).then(function (id) {
      if (id) return id;
      id = uuid();
      return tx("meta", "readwrite", function (s) { s.put(id, "device"); }).then(function () { return id; });
    });
  }

  // --- the queue ---------------------------------------------------------------------------
  /** Keep an event for the sync: {type, activity_id, data}; its id and time are made here. */
  function record(event) {
    if (!user) return Promise.resolve(null);
    var row = {id: uuid(), user: user, type: event.type, activity_id: event.activity_id,
               at: event.at || new Date().toISOString(), data: event.data || {}};
    return tx("queue", "readwrite", function (s) { s.add(row); }).then(function () {
      refreshBar();
      return row.id;
    });
  }
  function pending() { return user ? all("queue", "user", user) : Promise.resolve([]); }

  function refreshBar() {
    var bar = document.getElementById("offline-bar");
    return pending().then(function (rows) {
      var n = rows.length;
      var text = cfg.queueTemplate;
      document.querySelectorAll(".offline-queue, .offline-queue-text").forEach(function (el) {
        var tpl = el.getAttribute("data-template") || (bar && bar.querySelector(".offline-queue").getAttribute("data-template"));
        el.textContent = n ? tpl.replace("{n}", n.toLocaleString(lang)) : (el.getAttribute("data-none") || "");
        el.setAttribute("data-count", String(n));
      });
      var offline = !navigator.onLine;
      if (bar) {
        var state = bar.querySelector(".offline-state");
        state.textContent = offline ? state.getAttribute("data-offline") : "";
        bar.hidden = !n && !offline;
      }
      return text ? n : n;
    }).catch(function () { return 0; });
  }

  function showRefused(list) {
    if (!list.length) return;
    var box = document.querySelector(".offline-refused");
    var text = list.map(function (r) { return (cfg.msgRefused || "") + " " + r.message; });
    try {
      var kept = JSON.parse(localStorage.getItem("lentera-offline-refused") || "[]").concat(text).slice(-20);
      localStorage.setItem("lentera-offline-refused", JSON.stringify(kept));
    } catch (e) { /* private mode */ }
    if (!box) return;
    box.hidden = false;
    text.forEach(function (t) { var li = document.createElement("li"); li.textContent = t; box.appendChild(li); });
  }

  var syncing = null;
  /** Send the signed-in person's queue, oldest first, in pieces; stops at the first failure and
      resumes next time. Resolves to the number of events the server took (applied or known). */
  function sync() {
    if (syncing) return syncing;
    if (!user || !navigator.onLine) return Promise.resolve(0);
    var done = 0;
    syncing = pending().then(function (rows) {
      if (!rows.length) return 0;
      // a fresh CSRF token (a stored page's own may be hours old), and the person must still be signed in
      return fetch(cfg.sessionUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) {
          if (!r.ok) throw {login: r.status === 401 || r.status === 403};
          return r.json();
        }).then(function (session) {
          if (session.username !== user) throw {login: true};
          return deviceId().then(function (device) {
            function next(i) {
              var chunk = rows.slice(i, i + CHUNK);
              if (!chunk.length) return done;
              return fetch(cfg.syncUrl, {
                method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": session.csrf_token},
                body: JSON.stringify({device_id: device, events: chunk.map(function (r) {
                  return {id: r.id, type: r.type, activity_id: r.activity_id, at: r.at, data: r.data};
                })})
              }).then(function (r) {
                if (!r.ok) throw {login: r.status === 401 || r.status === 403};
                return r.json();
              }).then(function (res) {
                var gone = {};
                res.applied.concat(res.duplicates).forEach(function (id) { gone[id] = true; });
                res.refused.forEach(function (x) { gone[x.id] = true; });
                showRefused(res.refused);
                done += res.applied.length + res.duplicates.length;
                return tx("queue", "readwrite", function (s) {
                  chunk.forEach(function (r) { if (gone[r.id]) s.delete(r.seq); });
                }).then(function () { return next(i + CHUNK); });
              });
            }
            return next(0);
          });
        });
    }).catch(function (err) {
      if (err && err.login) {
        var bar = document.getElementById("offline-bar");
        if (bar) bar.querySelector(".offline-state").textContent = cfg.msgLogin || "";
      }
      return done;
    }).then(function (n) {
      syncing = null;
      refreshBar();
      document.dispatchEvent(new CustomEvent("lentera:synced", {detail: {count: n}}));
      return n;
    });
    return syncing;
  }

  // --- what the device stores ---------------------------------------------------------------
  function courses() { return user ? all("courses").then(function (rows) {
    return rows.filter(function (c) { return c.user === user; });
  }) : Promise.resolve([]); }
  /** The stored page for a URL: {activity_id, type, completion, quiz_id, offline_allowed, attempt_url}. */
  function storedPage(path) {
    return courses().then(function (list) {
      for (var i = 0; i < list.length; i++) {
        var pages = list[i].pages || [];
        for (var j = 0; j < pages.length; j++) {
          if (pages[j].url === path) return pages[j];
        }
      }
      return null;
    });
  }
  /** The playlist of an activity's stored video, or null. */
  function storedVideo(activityId) {
    return courses().then(function (list) {
      for (var i = 0; i < list.length; i++) {
        var files = list[i].files || [];
        for (var j = 0; j < files.length; j++) {
          var f = files[j];
          if (f.kind === "video" && f.activity_id === activityId && /index\.m3u8$/.test(f.url)) return f.url;
        }
      }
      return null;
    });
  }
  function isOfflineCopy() { return document.documentElement.getAttribute("data-offline-copy") === "1"; }

  // A stored lesson (or link) opened without a signal is a view the server has not seen.
  function recordOfflineVisit() {
    if (!isOfflineCopy()) return;
    storedPage(location.pathname).then(function (page) {
      if (page && page.activity_id && page.completion === "view" && page.type !== "file") {
        record({type: "view", activity_id: page.activity_id});
      }
      if (page && page.attempt_url && (page.type === "quiz" || page.type === "quiz_page")) {
        // the quiz's "start" button needs the server; its attempt was started when it was stored
        var main = document.querySelector("main");
        var p = document.createElement("p");
        var a = document.createElement("a");
        a.className = "button offline-quiz-link";
        a.href = page.attempt_url;
        a.textContent = cfg.msgQuiz || "";
        p.appendChild(a);
        if (main) main.insertBefore(p, main.firstChild);
      }
    });
  }
  // A stored file opened without a signal is read, as its download is online.
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[href]");
    if (!a || navigator.onLine && !isOfflineCopy()) return;
    var m = /^\/aktivitas\/(\d+)\/berkas$/.exec(a.getAttribute("href"));
    if (m) record({type: "view", activity_id: parseInt(m[1], 10)});
  });

  // --- start ---------------------------------------------------------------------------------
  // the service worker shows stored courses only to the person signed in last (a shared phone)
  tx("meta", "readwrite", function (s) { s.put(user, "current-user"); }).catch(function () { /* no IndexedDB */ });
  if ("serviceWorker" in navigator && cfg.sw && user) {
    navigator.serviceWorker.register(cfg.sw, {scope: "/"}).catch(function () { /* not over http(s) */ });
  }
  document.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest(".offline-sync-now")) sync();
  });
  window.addEventListener("online", function () { refreshBar(); sync(); });
  window.addEventListener("offline", refreshBar);
  setInterval(function () { if (navigator.onLine) sync(); }, SYNC_EVERY_MS);
  if (user) {
    recordOfflineVisit();
    refreshBar().then(function (n) { if (n && navigator.onLine) sync(); });
  }

  window.LenteraOffline = {
    formatBytes: formatBytes, record: record, sync: sync, pending: pending, refreshBar: refreshBar,
    courses: courses, storedPage: storedPage, storedVideo: storedVideo, isOfflineCopy: isOfflineCopy,
    tx: tx, user: user, uuid: uuid
  };
  Object.defineProperty(window.LenteraOffline, "syncing", {get: function () { return !!syncing; }});
})();
