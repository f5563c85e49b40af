// Progress of long work (fuzz, bench) as one status line on stderr, rewritten in place: cases done
// of the total, and the elapsed time. Only on a terminal outside CI: pipes and CI logs stay quiet.

export interface Progress {
  /** One more item done; `what` names the one now running. */
  tick(what?: string): void;
  /** Prints a line of its own (to stderr, or `to`) above the status line, which is redrawn under it. */
  log(line: string, to?: NodeJS.WritableStream): void;
  /** Clears the status line. */
  done(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, env = process.env): Progress {
  const live = stream.isTTY === true && !env.CI;
  const started = performance.now();
  let count = 0;
  let current = '';
  let shown = false;
  let drawnAt = 0;
  const draw = () => {
    drawnAt = performance.now();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const text = `${label}: ${count}/${total} cases, ${seconds} s${current ? `, ${current}` : ''}`;
    stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (stream.columns || 80) - 1))}`);
    shown = true;
  };
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  // The elapsed time moves even while one long case runs.
  const timer = live ? setInterval(draw, 500) : null;
  timer?.unref();
  return {
    tick(what = '') {
      count++;
      current = what;
      if (live && performance.now() - drawnAt > 100) draw(); // at most 10 redraws a second
    },
    log(line, to = stream) {
      clear();
      to.write(`${line}\n`);
      if (live) draw();
    },
    done() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}
