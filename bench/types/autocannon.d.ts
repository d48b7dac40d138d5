// autocannon ships no types; the benches use its promise API and read a few numbers from the result.
declare module 'autocannon' {
  function autocannon(opts: autocannon.Options): Promise<autocannon.Result>;
  namespace autocannon {
    interface Histogram {
      average: number;
      mean: number;
      p50: number;
      p90: number;
      p99: number;
      max: number;
      min: number;
      total: number;
    }
    type Options = Record<string, unknown>;
    interface Result {
      requests: Histogram;
      latency: Histogram;
      throughput: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      duration: number;
      '2xx': number;
      [k: string]: unknown;
    }
  }
  export default autocannon;
}
