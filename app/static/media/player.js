/* Lentera video player: hls.js (adaptive, light build, loaded on "play"), "hemat data" (240p or
   audio only) with what the whole video will cost, resume from the server-side position, and
   heartbeats of the spans actually played. No inline scripts (CSP). */
(function () {
  "use strict";
  var HEARTBEAT_MS = 10000;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return {offline: true}; });
  }

  function formatBytes(n) {
    var lang = document.documentElement.lang || "id";
    var mb = n / (1024 * 1024);
    if (mb >= 1) return "\u00b1 " + mb.toLocaleString(lang, {maximumFractionDigits: 1}) + " MB";
    return "\u00b1 " + Math.max(1, Math.round(n / 1024)).toLocaleString(lang) + " KB";
  }

  function pollStatus(box) {
    // While the video is being transcoded, refresh the page when its state changes.
    var status = box.querySelector(".video-status");
    if (!status) return;
    var state = status.getAttribute("data-state");
    if (state === "ready" || state === "failed" || state === "none") return;
    setInterval(function () {
      fetch(status.getAttribute("data-state-url"), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status.state !== state || s.status.state === "processing") {
            if (s.status.state === "processing") {
              var bar = status.querySelector(".progress-bar"), txt = status.querySelector(".progress-text");
              if (bar) bar.style.width = s.status.progress + "%";
              if (txt) txt.textContent = s.status.progress + "%";
              var say = status.querySelector(".video-status-message");
              if (say && s.status.message) say.textContent = s.status.message;
              if (state === "processing") return;
            }
            window.location.reload();
          }
        }).catch(function () {});
    }, 3000);
  }

  function setup(box) {
    if (box.getAttribute("data-ready")) return;  // the script may be included once per activity
    box.setAttribute("data-ready", "1");
    var video = box.querySelector("video.video-player");
    if (!video) { pollStatus(box); return; }
    var master = box.getAttribute("data-master"), audio = box.getAttribute("data-audio");
    var mp4 = box.getAttribute("data-mp4"), watchUrl = box.getAttribute("data-watch-url");
    var resumeAt = parseFloat(box.getAttribute("data-position") || "0");
    var duration = parseFloat(box.getAttribute("data-duration") || "0");
    var quality = box.querySelector(".video-quality");
    var percentEl = box.querySelector(".video-percent"), doneEl = box.querySelector(".video-done");
    var hls = null, mode = "auto";
    try { mode = localStorage.getItem("lentera-video-quality") || "auto"; } catch (e) { /* private mode */ }
    if (mode === "audio" && !audio) mode = "auto";
    if (quality) quality.value = mode;
    var costEl = box.querySelector(".video-cost");
    function showCost() {
      // What pressing "play" will cost for the whole video at the chosen quality.
      if (!costEl) return;
      var bytes = parseInt(costEl.getAttribute("data-bytes-" + (mode === "auto" ? "high" : mode)) || "0", 10);
      costEl.textContent = bytes ? formatBytes(bytes) : "";
    }
    showCost();

    // --- what was played: [spanStart, lastTime] while playing without a jump
    // spanAt: when the span began on this device's clock (an offline span is checked against it)
    var spanStart = null, lastTime = 0, spanAt = null;
    var LO = null, activityId = parseInt(box.getAttribute("data-activity"), 10);
    function keepOffline() { return LO && (!navigator.onLine || LO.isOfflineCopy()); }
    function flush(keepalive) {
      if (spanStart === null) return;
      var from = spanStart, to = lastTime, startedAt = spanAt || new Date();
      spanStart = video.paused ? null : lastTime;
      spanAt = spanStart === null ? null : new Date();
      if (to - from < 0.1) return;
      var span = {from: Math.round(from * 10) / 10, to: Math.round(to * 10) / 10,
                  position: Math.round(video.currentTime * 10) / 10};
      function onDevice() {
        // no signal: the span waits on the device with its own times, and is synced later
        span.started_at = startedAt.toISOString();
        LO.record({type: "watch", activity_id: activityId, data: span});
      }
      if (keepOffline()) { onDevice(); return; }
      post(watchUrl, span, keepalive).then(function (res) {
        if (res && res.offline) { if (LO) onDevice(); return; }
        show(res);
      });
    }
    function show(res) {
      if (!res || res.offline) return;
      if (percentEl) percentEl.textContent = res.percent;
      if (doneEl && res.completed) doneEl.hidden = false;
    }
    video.addEventListener("playing", function () { lastTime = video.currentTime; spanStart = lastTime; spanAt = new Date(); });
    video.addEventListener("timeupdate", function () {
      if (spanStart !== null && !video.seeking) lastTime = video.currentTime;
    });
    // A seek ends the span at the last time actually played; jumping ahead is never counted.
    video.addEventListener("seeking", function () { flush(false); spanStart = null; });
    video.addEventListener("seeked", function () {
      lastTime = video.currentTime;
      if (!video.paused) { spanStart = lastTime; spanAt = new Date(); }
    });
    video.addEventListener("pause", function () { lastTime = video.currentTime; flush(false); spanStart = null; });
    video.addEventListener("ended", function () { lastTime = video.currentTime; flush(false); spanStart = null; });
    setInterval(function () { if (spanStart !== null) { lastTime = video.currentTime; flush(false); } }, HEARTBEAT_MS);
    window.addEventListener("pagehide", function () { if (spanStart !== null) { lastTime = video.currentTime; flush(true); } });

    function lowestLevel() {
      var best = 0;
      hls.levels.forEach(function (l, i) { if (l.height < hls.levels[best].height) best = i; });
      return best;
    }
    function applyLevel() {
      if (!hls || !hls.levels || !hls.levels.length) return;
      hls.currentLevel = mode === "low" ? lowestLevel() : -1;
    }
    function needHls(then) {
      // hls.js (light build) only now, and only where Media Source Extensions let it work
      // (it is preferred to a browser's own HLS, as before: the same quality switching everywhere).
      if (window.Hls || !(window.MediaSource || window.ManagedMediaSource)) { then(); return; }
      var s = document.createElement("script");
      s.src = box.getAttribute("data-hls");
      s.onload = then;
      s.onerror = then;  // no hls.js (offline and not stored): load() falls back to the MP4
      document.head.appendChild(s);
    }
    function load(src, at) {
      var wasPlaying = !video.paused;
      if (window.Hls && window.Hls.isSupported()) {
        if (hls) hls.destroy();
        hls = new window.Hls({startPosition: at || -1, capLevelToPlayerSize: true});
        hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
          applyLevel();
          if (wasPlaying) video.play().catch(function () {});
        });
        hls.on(window.Hls.Events.ERROR, function (_e, data) {
          if (!data.fatal) return;
          if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
            // Signed segment URLs lapse after a long pause: reload the playlist where we are.
            var t = video.currentTime;
            setTimeout(function () { load(src, t); }, 2000);
          } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
            hls.recoverMediaError();
          }
        });
        hls.loadSource(src);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = src;  // Safari plays HLS itself
        video.addEventListener("loadedmetadata", function once() {
          video.removeEventListener("loadedmetadata", once);
          if (at) video.currentTime = at;
        });
      } else {
        video.src = mp4;  // no MSE at all: the MP4 fallback
        video.addEventListener("loadedmetadata", function once() {
          video.removeEventListener("loadedmetadata", once);
          if (at) video.currentTime = at;
        });
      }
    }
    var start = resumeAt > 0 && (!duration || resumeAt < duration - 2) ? resumeAt : 0;
    var started = false;
    // Nothing is fetched before "play" (no hls.js, no playlist, no segment, no poster): on a weak
    // signal the page costs a few KB until the learner decides to spend on the video.
    function begin() {
      if (started) return;
      started = true;
      if (playBtn) playBtn.hidden = true;
      video.controls = true;
      LO = window.LenteraOffline || null;
      function go(src) {
        needHls(function () {
          load(src, start);
          video.play().catch(function () {});
        });
      }
      if (keepOffline()) {
        // no signal: the form of the video stored on this device (240p or audio only)
        LO.storedVideo(activityId).then(function (stored) { go(stored || (mode === "audio" ? audio : master)); });
        return;
      }
      // An empty heartbeat says "the player is open": the first one starts the server's clock.
      post(watchUrl, {from: start, to: start, position: start}, false).then(show);
      go(mode === "audio" ? audio : master);
    }
    var playBtn = box.querySelector(".video-play");
    if (playBtn) playBtn.addEventListener("click", begin);
    video.addEventListener("play", function () { if (!started) { video.pause(); begin(); } });

    if (quality) quality.addEventListener("change", function () {
      var was = mode;
      mode = quality.value;
      try { localStorage.setItem("lentera-video-quality", mode); } catch (e) { /* private mode */ }
      showCost();
      if (!started) return;
      if (mode === "audio" || was === "audio") {
        flush(false);
        load(mode === "audio" ? audio : master, video.currentTime);
      } else {
        applyLevel();
      }
    });
  }

  document.querySelectorAll(".video-activity").forEach(setup);
})();
