/**
 * One yargs setup for both command lines, so their help reads the same: wrapped at word boundaries to the terminal's
 * width (at most 120 columns; COLUMNS or 80 in a pipe).
 *
 * Why yargs is loaded through require(): its ES module entry lays help out with cliui's ES module build, whose
 * wrap() cuts text every N characters ("deli / vers", "key pa / th"); the CommonJS entry uses wrap-ansi, which
 * breaks lines between words.
 */
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';

export const HELP_MAX_COLUMNS = 120;

const require = createRequire(import.meta.url);
const yargsFactory = require('yargs') as (args: readonly string[]) => Argv;

/** The terminal's width capped at 120; COLUMNS (or 80) when output goes to a pipe, where yargs knows no width. */
export function helpWidth(y: Argv<unknown>): number {
  const columns = y.terminalWidth() || Number(process.env.COLUMNS) || 80;
  return Math.min(HELP_MAX_COLUMNS, columns);
}

/** A yargs parser over `args` whose help wraps at word boundaries at helpWidth(). */
export function cliParser(args: readonly string[]): Argv {
  const y = yargsFactory(args);
  return y.wrap(helpWidth(y));
}
