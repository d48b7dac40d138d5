import { loadConfig } from '../config/load-config.js';
import { AgentError } from '../errors.js';

export function checkConfigCommand(file: string): number {
  try {
    const cfg = loadConfig(file);
    process.stdout.write(
      `${file}: OK (node ${cfg.node.id}, collector ${cfg.collector.url}, state in ${cfg.stateDir})\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof AgentError)) throw err;
    process.stdout.write(`${file}: ${err.message}\n${err.details.map((d) => `  ${d}\n`).join('')}`);
    return 1;
  }
}
