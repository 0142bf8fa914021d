#!/usr/bin/env node
// Shim so npm links the command at install time, before `tsc -b` has built dist/.
import '../dist/bin.js';
