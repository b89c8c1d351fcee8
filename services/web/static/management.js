// The live part of the operators' page (/betrieb): every 5 seconds the figures are fetched again
// from /betrieb.json and put in place. Without this script the page shows the same on reload.
// A switch on the page stops it (WCAG 2.2.2); screen readers hear only when the summary of the
// services' state changes, not every refresh.
'use strict';

(() => {
  const box = document.getElementById('betrieb-daten');
  const summary = document.getElementById('betrieb-zusammenfassung');
  const controls = document.getElementById('betrieb-steuerung');
  const toggle = document.getElementById('betrieb-live');
  if (!box || !summary || !controls || !toggle) {
    return;
  }
  const everyMs = 5000;
  let timer = null;

  function say(text) {
    if (summary.textContent !== text) {
      summary.textContent = text;
    }
  }

  function stop(reason) {
    clearInterval(timer);
    timer = null;
    toggle.checked = false;
    if (reason) {
      say(reason);
    }
  }

  async function refresh() {
    let answer;
    try {
      answer = await fetch(box.dataset.quelle, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: {Accept: 'application/json'},
      });
    } catch (e) {
      say('Lotse antwortet gerade nicht; nächster Versuch in wenigen Sekunden.');
      return;
    }
    const type = answer.headers.get('Content-Type') || '';
    if (!answer.ok || !type.startsWith('application/json')) {
      // Most likely the session ended: the answer is the login page.
      stop(
          'Die Anzeige wird nicht mehr aktualisiert. Bitte laden Sie die Seite neu ' +
          '(vielleicht ist Ihre Sitzung abgelaufen).');
      return;
    }
    const data = await answer.json();
    box.innerHTML = data.html;
    say(data.zusammenfassung);
  }

  function start() {
    if (timer === null) {
      timer = setInterval(() => {
        if (!document.hidden) {
          refresh();
        }
      }, everyMs);
    }
  }

  controls.hidden = false;
  toggle.addEventListener('change', () => {
    if (toggle.checked) {
      refresh();
      start();
    } else {
      stop();
    }
  });
  start();
})();
