// Scan a certificate's QR code in the page where the browser can (BarcodeDetector: Chromium on
// Android and desktop); elsewhere the phone's own camera opens the verify link the QR holds.
(function () {
  var button = document.getElementById("scan-qr");
  var video = document.getElementById("scan-view");
  var input = document.getElementById("serial");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            input.value = codes[0].rawValue;
            document.getElementById("verify-form").submit();
          } else {
            window.requestAnimationFrame(tick);
          }
        }).catch(stop);
      };
      tick();
    }).catch(function () { button.hidden = true; });
  });
})();
