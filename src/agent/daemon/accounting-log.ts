/** What the accounting noticed, as log lines: one level and one sentence per kind of event. */
import type { Logger } from 'pino';
import type { AccountingEvent } from '../accounting/accounting-event.js';

export function logAccountingEvent(log: Logger, e: AccountingEvent): void {
  switch (e.type) {
    case 'reboot':
      log.warn({ event: 'reboot-detected', ...e }, 'reboot detected: counters since boot count');
      break;
    case 'reset':
      log.warn({ event: 'reset-detected', ...e }, `counter reset on ${e.iface} (${e.direction}): the new value counts`);
      break;
    case 'wrap':
      log.info({ event: 'wrap-detected', ...e }, `32-bit counter wrap on ${e.iface} (${e.direction})`);
      break;
    case 'suspicious':
      log.warn(
        { event: 'suspicious-increase', ...e },
        `increase on ${e.iface} (${e.direction}) beyond maxRateBitsPerSec; counted`,
      );
      break;
    case 'implausible':
      log.error(
        { event: 'implausible-counter', ...e },
        `counter of ${e.iface} (${e.direction}) moved by 2^62 bytes or more: a broken counter, not traffic; nothing counted, the new value is the baseline`,
      );
      break;
    case 'new-interface':
      log.info({ event: 'interface-new', ...e }, `interface ${e.iface} appeared; counted from zero`);
      break;
    case 'interface-gone':
      log.info({ event: 'interface-gone', ...e }, `interface ${e.iface} disappeared; its last counters are kept`);
      break;
    case 'interface-back':
      log.info({ event: 'interface-back', ...e }, `interface ${e.iface} is back`);
      break;
    case 'period-start':
      log.info({ event: 'period-start', start: new Date(e.start).toISOString() }, 'a new billing period started');
      break;
    case 'proxy-restart':
      log.warn({ event: 'proxy-restart-detected' }, 'the proxy core restarted: its counters count from zero');
      break;
    case 'proxy-baseline':
      log.info({ event: 'proxy-baseline' }, 'per-user counters: baseline taken');
      break;
    case 'user-reset':
      log.info({ event: 'user-reset', email: e.email }, 'a user counter went down: the new value counts');
      break;
    case 'user-unmatched':
      log.warn(
        { event: 'user-unmatched', email: e.email },
        'a user email does not match userTraffic.emailPattern; its traffic is not attributed',
      );
      break;
  }
}
