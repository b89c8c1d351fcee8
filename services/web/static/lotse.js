// lotse-web's own script: small helps on top of pages that work without it. Loaded by every
// page (the Content-Security-Policy allows no inline script); each part looks for its elements.
'use strict';

// A button that prints the page (the receipt).
for (const button of document.querySelectorAll('button[data-print]')) {
  button.addEventListener('click', () => window.print());
}
