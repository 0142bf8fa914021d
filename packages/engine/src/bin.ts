#!/usr/bin/env node
import { engineCommand } from './cli.js';

engineCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
