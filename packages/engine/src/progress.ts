/** A one-line progress bar for stderr (redrawn in place on a TTY, one line per update otherwise). */
export class ProgressBar {
  #last = 0;
  readonly #tty: boolean;
  constructor(
    readonly label: string,
    readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.#tty = Boolean(out.isTTY);
  }
  update(done: number, total: number, info = '', force = false): void {
    const now = Date.now();
    if (!force && !this.#tty && now - this.#last < 10_000 && done < total) return;
    if (!force && this.#tty && now - this.#last < 100 && done < total) return;
    this.#last = now;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * width);
    const bar = `${'#'.repeat(fill)}${'-'.repeat(width - fill)}`;
    const line = `${this.label} [${bar}] ${done}/${total} ${info}`;
    if (this.#tty) this.out.write(`\r${line}\x1b[K`);
    else this.out.write(`${line}\n`);
  }
  end(): void {
    if (this.#tty) this.out.write('\n');
  }
}

export function fmtEta(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}
