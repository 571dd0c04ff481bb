// Live check of a permission's JSON: each textarea[data-check] asks the server, a moment
// after typing stops, whether its content parses against the collection's schema, and
// shows "OK" or what is wrong beneath it. The server checks again when the form is saved.
const PAUSE_MS = 400;

async function check(area, output) {
  const form = area.form;
  const body = new URLSearchParams({
    csrf: form.elements.csrf.value,
    collection: form.dataset.collection,
    kind: area.dataset.check,
    value: area.value,
  });
  let answer;
  try {
    const response = await fetch("/admin/permissions/check", { method: "POST", body });
    if (response.redirected) {
      answer = { ok: false, message: "Not checked: the session ended. Sign in again." };
    } else if (response.ok) {
      answer = await response.json();
    } else {
      answer = { ok: false, message: `Not checked: the server answered ${response.status}.` };
    }
  } catch {
    answer = { ok: false, message: "Not checked: the server did not answer." };
  }
  output.textContent = answer.message;
  output.classList.toggle("field-error", !answer.ok);
  output.classList.toggle("passed", answer.ok);
}

document.querySelectorAll("textarea[data-check]").forEach((area) => {
  const output = document.getElementById(`${area.id}-check`);
  if (!output) return;
  let timer;
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => check(area, output), PAUSE_MS);
  });
  if (area.value.trim()) check(area, output);
});
