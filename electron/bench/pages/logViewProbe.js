// The log-view benchmark's in-page probe, added to Builder Bar's Logs window and to the
// @xterm/xterm baseline page alike (never part of the product renderer): requestAnimationFrame
// deltas over a window, and the moment a given text first shows in an element.
(() => {
  let stopFrames = () => [];
  let seen = null;
  const probe = {
    // Times `watchText`'s rescue button appeared since the page loaded.
    rescues: 0,
    startFrames() {
      const deltas = [];
      let last = null;
      let running = true;
      const tick = (time) => {
        if (!running) return;
        if (last !== null) deltas.push(time - last);
        last = time;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      stopFrames = () => {
        running = false;
        return deltas;
      };
    },
    stopFrames() {
      return stopFrames();
    },
    // Arms a watch for `text` inside `selector`; `textSeen()` resolves once it shows. With
    // `rescue` (a button's text, e.g. "Jump to latest"), a view that stops following its tail
    // mid-run gets that button pressed, as a user would (again every 250 ms while it stays),
    // and each time it appears is counted. Checked on every change and every 100 ms, since a
    // stuck view may not change at all.
    watchText(selector, text, rescue) {
      const element = document.querySelector(selector);
      if (!element) throw new Error(`no element matches ${selector}`);
      let showing = false;
      let pressedAt = -Infinity;
      seen = new Promise((resolve) => {
        const check = () => {
          if (element.textContent.includes(text)) {
            observer.disconnect();
            clearInterval(timer);
            resolve(performance.now());
            return;
          }
          const button = rescue ? [...element.querySelectorAll('button')].find((b) => b.textContent === rescue) : undefined;
          if (button && !showing) probe.rescues += 1;
          showing = Boolean(button);
          if (button && performance.now() - pressedAt > 250) {
            pressedAt = performance.now();
            button.click();
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(element, { childList: true, subtree: true, characterData: true });
        const timer = setInterval(check, 100);
        check();
      });
    },
    textSeen() {
      if (!seen) throw new Error('watchText was not called');
      return seen;
    },
  };
  globalThis.logViewProbe = probe;
})();
