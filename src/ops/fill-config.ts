/**
 * Fills the install-time values into a config template (config.example.json or
 * collector.example.json, passed in as text). Pure: text in, text out.
 */
import { errorMessage } from '../common/error-message.js';

export interface ConfigValues {
  /** The agent's node.id: the positive integer `traffic-collector node add` printed. */
  nodeId?: number;
  collectorUrl?: string;
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`config template: ${where} must be a JSON object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function section(root: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = root[key];
  if (existing === undefined) {
    const created: Record<string, unknown> = {};
    root[key] = created;
    return created;
  }
  return asObject(existing, key);
}

/**
 * Sets node.id and collector.url when given. node.token is always emptied: the token goes to
 * the root-only credential file beside the config (see install.ts), never into config.json,
 * which the service's transient user must be able to read.
 */
export function fillConfig(template: string, values: ConfigValues): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(template);
  } catch (err) {
    throw new Error(`config template is not valid JSON: ${errorMessage(err)}`);
  }
  const root = asObject(parsed, '(top level)');
  if (values.nodeId !== undefined) section(root, 'node').id = values.nodeId;
  if (values.collectorUrl !== undefined) section(root, 'collector').url = values.collectorUrl;
  const node = root.node === undefined ? undefined : asObject(root.node, 'node');
  if (node !== undefined && 'token' in node) node.token = '';
  return `${JSON.stringify(root, null, 2)}\n`;
}
