#!/usr/bin/env node
// The daemon's V8 flags first, and only then the rest of the agent is loaded (src/agent/v8-flags.ts says why).
import '../dist/agent/v8-flags.js';
await import('../dist/agent/cli.js');
