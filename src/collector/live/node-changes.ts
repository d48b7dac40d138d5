/**
 * "These nodes changed" (a heartbeat landed, a period was reset), fanned out to the live streams (live-streams.ts).
 * In-process here: enough for one collector on SQLite. pg-node-changes.ts carries the same signal between several
 * collector processes sharing one PostgreSQL database. Only node ids travel; the streams read the state from the store,
 * so a lost or repeated signal costs an update, never a wrong number.
 */
export type ChangeListener = (change: { ids: readonly number[] } | { resync: true }) => void;

export interface NodeChanges {
  /** A node's stored state changed (called after the store committed it). */
  publish(nodeId: number): void;
  /** Listens to every change, local or from another process; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

export class LocalNodeChanges implements NodeChanges {
  private readonly listeners = new Set<ChangeListener>();

  publish(nodeId: number): void {
    this.emit({ ids: [nodeId] });
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands a change to every listener; one that throws does not keep the others from it. */
  emit(change: Parameters<ChangeListener>[0]): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A listener's own failure is its to report (live-streams.ts logs its flush errors); the rest still hear it.
      }
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
