// "Pilih semua" on the attendance list: ticks every participant's checkbox at once.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll(`input[type=checkbox][name="${all.dataset.target}"]`).forEach((box) => {
      box.checked = all.checked;
    });
  });
});
