// lotse-web's own script: small helps on top of pages that work without it. Loaded by every
// page (the Content-Security-Policy allows no inline script); each part looks for its elements.
'use strict';

// A button that prints the page (the receipt).
for (const button of document.querySelectorAll('button[data-print]')) {
  button.addEventListener('click', () => window.print());
}

// The time now, for "aktualisiert 14:03:12".
function clock() {
  return new Date().toLocaleTimeString('de-DE');
}

// The inbox takes each new message as it arrives (server-sent events from /posteingang/live):
// the server sends the list item as the page shows it, its text escaped there.
const inbox = document.querySelector('ol[data-inbox-live]');
if (inbox && 'EventSource' in window) {
  const status = document.querySelector('[data-live-status]');
  const empty = document.querySelector('p.empty');
  const markRead = document.querySelector('form[action="/posteingang/gelesen"]');
  const source =
      new EventSource('/posteingang/live?nach=' + encodeURIComponent(inbox.dataset.after));
  source.addEventListener('open', () => {
    status.textContent = 'Live: neue Nachrichten erscheinen sofort.';
  });
  source.addEventListener('message', (event) => {
    const template = document.createElement('template');
    template.innerHTML = event.data;
    inbox.append(template.content);
    inbox.dataset.after = event.lastEventId;
    if (empty) empty.hidden = true;
    if (markRead) {
      markRead.hidden = false;
      markRead.querySelector('input[name=bis]').value = event.lastEventId;
    }
    status.textContent = 'Neue Nachricht um ' + clock() + '.';
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      status.textContent = 'Keine Live-Verbindung: bitte die Seite neu laden.';
    }
  });
}

// A list that refreshes itself (the worklist): every data-live seconds the page is fetched
// again and the element with the same id swapped in, unless the person is working in it.
for (const element of document.querySelectorAll('[data-live][id]')) {
  const status = document.querySelector('[data-live-status]');
  const seconds = Math.max(5, Number(element.dataset.live) || 15);
  setInterval(async () => {
    if (document.hidden || element.contains(document.activeElement)) return;
    try {
      const response = await fetch(location.href, {credentials: 'same-origin'});
      if (!response.ok) return;
      const fresh = new DOMParser()
                        .parseFromString(await response.text(), 'text/html')
                        .getElementById(element.id);
      if (fresh && fresh.innerHTML !== element.innerHTML) {
        element.innerHTML = fresh.innerHTML;
        if (status) status.textContent = 'Aktualisiert um ' + clock() + '.';
      }
    } catch (e) {
      if (status) status.textContent = 'Keine Verbindung zum Server.';
    }
  }, seconds * 1000);
}
