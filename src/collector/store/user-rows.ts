/**
 * The per-user rows of one push as three typed columns (user id, upload, download): 100,000 users take 2.4 MB in
 * three allocations, where an array of [uid, u, d] tuples would be 100,000 arrays and 200,000 bigints.
 */
export type UserRowTuple = readonly [userId: number, u: bigint, d: bigint];

/** Upload and download of each row before the node's rate (index i for row i): what reports with rate=raw sum. */
export interface RawBytes {
  u: BigInt64Array;
  d: BigInt64Array;
}

export class UserRows implements Iterable<UserRowTuple> {
  length = 0;
  userId: Float64Array;
  u: BigInt64Array;
  d: BigInt64Array;

  constructor(capacity = 16) {
    const n = Math.max(1, capacity);
    this.userId = new Float64Array(n);
    this.u = new BigInt64Array(n);
    this.d = new BigInt64Array(n);
  }

  /** `rows` as UserRows (itself when it already is one). */
  static of(rows: UserRows | Iterable<UserRowTuple>): UserRows {
    if (rows instanceof UserRows) return rows;
    const out = new UserRows();
    for (const [uid, u, d] of rows) out.push(uid, u, d);
    return out;
  }

  push(userId: number, u: bigint, d: bigint): void {
    if (this.length === this.userId.length) this.grow();
    this.userId[this.length] = userId;
    this.u[this.length] = u;
    this.d[this.length] = d;
    this.length++;
  }

  *[Symbol.iterator](): Iterator<UserRowTuple> {
    for (let i = 0; i < this.length; i++) yield [this.userId[i], this.u[i], this.d[i]];
  }

  private grow(): void {
    const n = this.userId.length * 2;
    const userId = new Float64Array(n);
    const u = new BigInt64Array(n);
    const d = new BigInt64Array(n);
    userId.set(this.userId);
    u.set(this.u);
    d.set(this.d);
    this.userId = userId;
    this.u = u;
    this.d = d;
  }
}
