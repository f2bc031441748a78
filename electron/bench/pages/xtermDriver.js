// Drives the @xterm/xterm baseline: the same lines as Builder Bar's Logs window is fed
// (`globalThis.logViewLines`, the bundled electron/bench/logViewLines.ts + logViewPacing.ts,
// added by the benchmark), written with xterm's own `term.write`.
(() => {
  const { Terminal } = globalThis;
  let term = null;

  const open = (scrollback) => {
    term?.dispose();
    const container = document.getElementById('terminal');
    container.replaceChildren();
    // Wide enough that no benchmark line (107 visible characters at most) wraps, so one log
    // line is one buffer row, as in the Logs window.
    term = new Terminal({ scrollback, cols: 120, rows: 50, convertEol: false });
    term.open(container);
  };

  // The run's lines, "\r\n"-terminated, in chunks of `linesPerChunk`: built before the clock starts.
  const chunks = (lines, runId, from, to, linesPerChunk) => {
    const { benchRunLine } = globalThis.logViewLines;
    const out = [];
    for (let start = from; start < to; start += linesPerChunk) {
      let text = '';
      const end = Math.min(to, start + linesPerChunk);
      for (let i = start; i < end; i += 1) text += benchRunLine(i, lines, runId) + '\r\n';
      out.push(text);
    }
    return out;
  };

  const writeAll = (parts) =>
    new Promise((resolve) => {
      parts.forEach((part, index) => term.write(part, index === parts.length - 1 ? () => resolve(performance.now()) : undefined));
    });

  globalThis.xtermBench = {
    open,
    // Writes a run as fast as xterm takes it; ms from the first write to the last chunk's callback.
    async throughput(lines, runId, linesPerChunk) {
      const parts = chunks(lines, runId, 0, lines, linesPerChunk);
      const started = performance.now();
      const finished = await writeAll(parts);
      return finished - started;
    },
    // Streams a run at a fixed rate (paced with the same linesDue as the core's feeder) and
    // resolves once the last line is written.
    stream(lines, runId, ratePerSecond, tickMs) {
      const { benchRunLine, linesDue } = globalThis.logViewLines;
      return new Promise((resolve) => {
        const started = performance.now();
        let sent = 0;
        const timer = setInterval(() => {
          const due = linesDue(ratePerSecond, performance.now() - started, sent, lines);
          if (due === 0) return;
          let text = '';
          for (let i = sent; i < sent + due; i += 1) text += benchRunLine(i, lines, runId) + '\r\n';
          sent += due;
          const last = sent === lines;
          if (last) clearInterval(timer);
          term.write(text, last ? () => resolve(performance.now() - started) : undefined);
        }, tickMs);
      });
    },
    // Holds a run in the scrollback; the chunks are made and written a part at a time so the
    // page never holds the whole run as strings next to the buffer.
    async hold(lines, runId, linesPerChunk) {
      const slice = 100_000;
      for (let from = 0; from < lines; from += slice) {
        await writeAll(chunks(lines, runId, from, Math.min(lines, from + slice), linesPerChunk));
      }
      return term.buffer.active.length;
    },
  };
})();
