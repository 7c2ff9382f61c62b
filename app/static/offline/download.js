/* "Unduh untuk belajar offline" on the course page, and the list of stored courses on /offline.
   A course is stored in its own Cache Storage cache (pages, files, pictures, the video in its
   smallest form) and described in IndexedDB; the service worker serves it without a signal.
   Files are checked against the manifest's size and SHA-256. A download cut half-way resumes:
   what is already stored is not fetched again. */
(function () {
  "use strict";
  var LO = null;  // window.LenteraOffline, once every deferred script has run
  var lang = document.documentElement.lang || "id";

  // the service worker looks for "lentera-course|<person>|": one person's courses, never another's
  function cacheName(user, courseId) { return "lentera-course|" + encodeURIComponent(user) + "|" + courseId; }
  function fmt(tpl, values) {
    return tpl.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function getRecord(key) { return LO.tx("courses", "readonly", function (s) { return s.get(key); }); }
  function putRecord(rec) { return LO.tx("courses", "readwrite", function (s) { s.put(rec); }); }
  function deleteRecord(key) { return LO.tx("courses", "readwrite", function (s) { s.delete(key); }); }

  // --- the course page ---------------------------------------------------------------------
  function coursePanel(box) {
    var d = box.dataset;
    var user = LO.user;
    var courseId = parseInt(d.course, 10);
    var key = user + ":" + courseId;
    var select = box.querySelector(".offline-video");
    var sizeEl = box.querySelector(".offline-size"), statusEl = box.querySelector(".offline-status");
    var bar = box.querySelector(".offline-progress");
    var getBtn = box.querySelector(".offline-download-btn"), removeBtn = box.querySelector(".offline-remove-btn");
    var manifest = null;
    box.hidden = false;

    function showStored() {
      return getRecord(key).then(function (rec) {
        removeBtn.hidden = !rec;
        if (rec) {
          statusEl.textContent = fmt(d.msgStored, {size: LO.formatBytes(rec.bytes)});
          if (rec.video) select.value = rec.video;
        }
        return rec;
      });
    }
    function loadManifest() {
      if (!navigator.onLine) { sizeEl.textContent = d.msgOffline; return Promise.resolve(null); }
      return fetch(d.packageUrl + "?video=" + encodeURIComponent(select.value),
                   {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) {
          manifest = m;
          if (m) sizeEl.textContent = fmt(d.msgSize, {size: LO.formatBytes(m.bytes), pages: m.pages.length,
                                                       files: m.files.length});
          return m;
        }).catch(function () { sizeEl.textContent = d.msgOffline; return null; });
    }

    // Quizzes that may be taken offline: start (or resume) the attempt now, while online, and
    // store its pages; its answers then go to the queue.
    function prepareQuizzes(m) {
      var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
      var quizPages = m.pages.filter(function (p) { return p.type === "quiz" && p.offline_allowed && p.quiz_id; });
      return Promise.all(quizPages.map(function (p) {
        return fetch(d.attemptUrl.replace("/0/attempts", "/" + p.quiz_id + "/attempts"), {
          method: "POST", credentials: "same-origin",
          headers: {"Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf}, body: "{}"
        }).then(function (r) { return r.ok ? r.json() : null; }).then(function (attempt) {
          if (!attempt) return;
          var url = d.attemptPage + attempt.id;
          p.attempt_url = url;
          m.pages.forEach(function (q) { if (q.type === "quiz_page" && q.quiz_id === p.quiz_id) q.attempt_url = url; });
          m.pages.push({url: url, activity_id: p.activity_id, type: "attempt", attempt_id: attempt.id,
                        quiz_id: p.quiz_id, offline_allowed: true});
        }).catch(function () { /* stays online-only */ });
      }));
    }

    function download() {
      var user = LO.user;
      getBtn.disabled = true;
      statusEl.textContent = "";
      return loadManifest().then(function (m) {
        if (!m) throw new Error("no manifest");
        return prepareQuizzes(m).then(function () { return caches.open(cacheName(user, courseId)); }).then(function (cache) {
          // the video player's library too, when there is a video to play without a signal
          var player = m.files.some(function (f) { return f.kind === "video"; }) ? [{url: d.player, page: true}] : [];
          player.push({url: d.offlineHome, page: true});  // the device's own list opens offline too
          var items = m.pages.map(function (p) { return {url: p.url, page: true}; }).concat(player)
            .concat(m.files.map(function (f) { return {url: f.url, fetchUrl: f.fetch_url, bytes: f.bytes, sha256: f.sha256}; }));
          var total = m.bytes, done = 0, stored = 0;
          bar.hidden = false;
          function progress() {
            bar.value = total ? Math.round(done * 100 / total) : 100;
            statusEl.textContent = fmt(d.msgProgress, {done: LO.formatBytes(done), total: LO.formatBytes(total)});
          }
          function one(i) {
            if (i >= items.length) return Promise.resolve();
            var it = items[i];
            return cache.match(it.url).then(function (hit) {
              if (hit && !it.page) { done += it.bytes; stored += it.bytes; progress(); return; }
              // pages are fetched marked as a copy for the device: opening them later is what counts
              return fetch(it.fetchUrl || it.url, {credentials: "same-origin",
                                                   headers: it.page ? {"X-Lentera-Offline-Copy": "1"} : {}})
                .then(function (resp) {
                  if (!resp.ok) throw new Error(it.url + " " + resp.status);
                  return resp.arrayBuffer().then(function (buf) {
                    var check = it.page || !crypto.subtle ? Promise.resolve(null) : crypto.subtle.digest("SHA-256", buf);
                    return check.then(function (digest) {
                      if (!it.page && (buf.byteLength !== it.bytes || (digest && hex(digest) !== it.sha256))) {
                        throw new Error(it.url + " damaged");
                      }
                      var headers = new Headers(resp.headers);
                      headers.delete("Content-Encoding");
                      headers.delete("Content-Length");
                      headers.delete("Content-Disposition");  // a stored file opens in place offline
                      return cache.put(it.url, new Response(buf, {status: 200, headers: headers})).then(function () {
                        if (!it.page) { done += it.bytes; }
                        stored += buf.byteLength;
                        progress();
                      });
                    });
                  });
                });
            }).then(function () { return one(i + 1); });
          }
          progress();
          return one(0).then(function () {
            return putRecord({key: user + ":" + courseId, id: courseId, user: user, title: d.title, url: d.courseUrl,
                              video: m.video, bytes: stored, files: m.files, pages: m.pages,
                              stored_at: new Date().toISOString()});
          });
        });
      }).then(function () {
        bar.value = 100;
        return showStored();
      }).catch(function (err) {
        statusEl.textContent = err && err.name === "QuotaExceededError" ? d.msgFull : d.msgFailed;
      }).then(function () { getBtn.disabled = false; });
    }

    function remove() {
      return caches.delete(cacheName(LO.user, courseId)).then(function () { return deleteRecord(key); }).then(function () {
        removeBtn.hidden = true;
        bar.hidden = true;
        statusEl.textContent = d.msgRemoved;
      });
    }

    // The manifest costs a request: it is asked for only when the learner shows interest, and the
    // first press shows the size; the second downloads.
    select.addEventListener("change", function () { if (manifest) loadManifest(); });
    getBtn.addEventListener("click", function () {
      if (manifest) { download(); return; }
      getBtn.disabled = true;
      loadManifest().then(function (m) {
        getBtn.disabled = false;
        if (m) getBtn.textContent = fmt(d.msgStart, {size: LO.formatBytes(m.bytes)});
      });
    });
    removeBtn.addEventListener("click", remove);
    showStored();
  }

  // --- the /offline page -------------------------------------------------------------------
  function storedList(section) {
    var list = section.querySelector(".offline-course-list"), none = section.querySelector(".offline-none");
    LO.courses().then(function (rows) {
      none.textContent = rows.length ? "" : none.getAttribute("data-none");
      list.textContent = "";
      rows.forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = c.url;
        a.textContent = c.title;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" · " + LO.formatBytes(c.bytes) + " · " +
          new Date(c.stored_at).toLocaleDateString(lang)));
        list.appendChild(li);
      });
    });
  }

  function init() {
    LO = window.LenteraOffline;
    if (!LO) return;
    var box = document.getElementById("offline-download");
    if (box && window.caches && LO.user) coursePanel(box);
    var section = document.getElementById("offline-courses");
    if (section) storedList(section);
  }
  // deferred scripts run in document order, and this one may come before lentera-offline.js
  if (window.LenteraOffline) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
