import type { Node } from './node.js';

/**
 * Produces a block every `intervalMs` (DESIGN §3: a single sequencer orders transactions). Empty
 * blocks are produced too, so block time advances and time-based rules (unbonding, voting) move.
 */
export class BlockProducer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private current: Promise<unknown> | undefined;

  constructor(
    readonly node: Node,
    readonly intervalMs: number,
    readonly log: (line: string) => void = () => {},
  ) {}

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      const started = Date.now();
      this.current = this.node
        .produceBlock()
        .catch((e) => this.log(`block production failed: ${(e as Error).stack}`));
      await this.current;
      if (!this.stopped) this.timer = setTimeout(tick, Math.max(0, this.intervalMs - (Date.now() - started)));
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }
}
