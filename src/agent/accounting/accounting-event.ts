/**
 * What the accounting core noticed in one tick (a reboot, a reset, a wrap, an interface that came or went, ...): the
 * caller turns each into a log line or a metric. Its own module, so the core's parts (account-tick, user-deltas)
 * share it without importing each other.
 */
export type AccountingEvent =
  | { type: 'reboot'; previousBootId: string | null; bootId: string | null }
  | {
      type: 'reset' | 'wrap' | 'suspicious' | 'new-interface' | 'implausible';
      iface: string;
      direction: 'rx' | 'tx' | 'both';
      delta: string;
    }
  | { type: 'interface-gone' | 'interface-back'; iface: string }
  | { type: 'period-start'; start: number }
  | { type: 'proxy-restart' | 'proxy-baseline' }
  | { type: 'user-reset'; email: string }
  | { type: 'user-unmatched'; email: string };
