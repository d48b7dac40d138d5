/**
 * Reads, validates and resolves the agent's config once. Every problem is reported with its key path
 * (`collector.url: must be an http(s) URL`), all of them at once, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { isValidTimeZone } from '../../common/calendar.js';
import { schemaProblems } from '../../common/schema-hints.js';
import { AgentError, errorMessage } from '../errors.js';
import { compileEmailPattern } from '../sources/proxy-stats/parse-user-counters.js';
import {
  AgentConfigSchema,
  DEFAULT_EXCLUDE,
  DEFAULT_PROC_ROOT,
  DEFAULT_STATE_DIR,
  type AgentConfig,
  type AgentConfigInput,
} from './schema.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
ajv.addKeyword('errorMessage');
const validate = ajv.compile<AgentConfigInput>(AgentConfigSchema);

export interface ConfigEnv {
  TRAFFIC_AGENT_TOKEN?: string;
  CREDENTIALS_DIRECTORY?: string;
  STATE_DIRECTORY?: string;
}

/** A secret from a systemd credential file; an empty or missing file counts as absent. */
function credential(env: ConfigEnv, name: string): string | null {
  if (!env.CREDENTIALS_DIRECTORY) return null;
  try {
    return readFileSync(join(env.CREDENTIALS_DIRECTORY, name), 'utf8').trim() || null;
  } catch {
    // Absent or unreadable counts as not given: the next source is tried, and no token at all is CONFIG_INVALID.
    return null;
  }
}

/** Token order: TRAFFIC_AGENT_TOKEN, then the node-token credential, then node.token in the file. */
function tokenFromEnv(env: ConfigEnv): string | null {
  return env.TRAFFIC_AGENT_TOKEN?.trim() || credential(env, 'node-token');
}

/** Validates a parsed config object; returns the resolved config or throws CONFIG_INVALID listing every problem. */
export function resolveConfig(raw: unknown, env: ConfigEnv = process.env as ConfigEnv): AgentConfig {
  const input = structuredClone(raw);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AgentError('CONFIG_INVALID', 'the configuration must be a JSON object', [
      '(top level): must be a JSON object',
    ]);
  }
  const problems = validate(input) ? [] : schemaProblems(validate.errors ?? []);
  const cfg = input as AgentConfigInput;
  // The checks a schema cannot express run on whatever parts are well-typed, so every problem is listed at once.
  const str = (v: unknown): v is string => typeof v === 'string';
  const period = cfg.period as Partial<AgentConfigInput['period']> | undefined;
  const user = cfg.userTraffic as Partial<AgentConfigInput['userTraffic']> | undefined;
  const panel = cfg.panel as Partial<AgentConfigInput['panel']> | undefined;
  if (str(period?.timezone) && !isValidTimeZone(period.timezone))
    problems.push(`period.timezone: unknown IANA time zone ${JSON.stringify(period.timezone)}`);
  if (str(user?.emailPattern)) {
    try {
      compileEmailPattern(user.emailPattern);
    } catch (err) {
      problems.push(`userTraffic.emailPattern: ${errorMessage(err)}`);
    }
  }
  if (panel && str(panel.url) && user?.enabled === false)
    problems.push('panel: a panel takes per-user traffic; set userTraffic.enabled to true');
  const panelToken = credential(env, 'panel-token');
  if (panel && panelToken) panel.token = panelToken;
  if (panel && str(panel.url) && (panel.nodeId === null || panel.token === '')) {
    problems.push('panel: url is set, so nodeId and token (or the panel-token credential) are required too');
  }
  const node = cfg.node as Partial<AgentConfigInput['node']> | undefined;
  if (node && typeof node === 'object') {
    const token = tokenFromEnv(env) ?? (str(node.token) ? node.token : '');
    if (!token)
      problems.push(
        'node.token: is empty (set it here, in TRAFFIC_AGENT_TOKEN, or as the node-token systemd credential)',
      );
    else node.token = token;
  }
  problems.sort();
  if (problems.length > 0)
    throw new AgentError(
      'CONFIG_INVALID',
      `invalid configuration (${problems.length} problem${problems.length > 1 ? 's' : ''})`,
      problems,
    );
  return Object.freeze({
    ...cfg,
    stateDir: cfg.stateDir ?? env.STATE_DIRECTORY?.split(':')[0] ?? DEFAULT_STATE_DIR,
    procRoot: cfg.procRoot ?? DEFAULT_PROC_ROOT,
    interfaces: { include: cfg.interfaces.include ?? [], exclude: cfg.interfaces.exclude ?? [...DEFAULT_EXCLUDE] },
  }) as AgentConfig;
}

export function loadConfig(file: string, env: ConfigEnv = process.env as ConfigEnv): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AgentError('CONFIG_UNREADABLE', `cannot read the configuration ${file}: ${errorMessage(err)}`, [], {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AgentError('CONFIG_INVALID', `${file} is not valid JSON`, [`(file): ${errorMessage(err)}`]);
  }
  return resolveConfig(raw, env);
}
