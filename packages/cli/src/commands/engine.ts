import type { Command } from '../command.js';

/** `openledger engine …`: local model work, handed to the engine package's own command line. */
export const engineCommand: Command = {
  name: 'engine',
  summary: 'Local model work: train-base, finetune, generate, eval (see openledger engine --help).',
  usage: 'openledger engine train-base|finetune|generate|eval …',
  async raw(argv) {
    // loaded on demand: the engine pulls in the numeric runtime, which other commands do not need
    const { engineCommand: run } = await import('@openledger/engine');
    return run(argv);
  },
};
