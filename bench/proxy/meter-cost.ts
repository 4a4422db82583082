// What the proxy's request counting costs, alone: per request it reads the clock when the
// request is routed and when it ends, and adds status, latency and bytes to its release's
// counters (core/metrics/meter.ts). Timed over many calls, against the same loop without the
// counting, so the figure can be set beside the proxy's CPU time per request from
// `npm run bench:proxy` (tens of microseconds).
//
//   node dist/bench/proxy/meter-cost.js [--calls 20000000]
import { countRequest, METER_SIZE } from '../../src/core/metrics/meter.js';

const i = process.argv.indexOf('--calls');
const calls = i === -1 ? 20_000_000 : Number(process.argv[i + 1]);
const meter = new Float64Array(METER_SIZE);
const statuses = [200, 200, 200, 304, 404, 502];

function loop(counting: boolean): number {
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let n = 0; n < calls; n++) {
    const status = statuses[n % statuses.length]!;
    if (counting) {
      const routedAt = performance.now();
      countRequest(meter, status, performance.now() - routedAt, n & 1023, 13);
    } else {
      sink += status;
    }
  }
  if (sink < 0) console.log(sink);
  return Number(process.hrtime.bigint() - started) / calls;
}

// Warm both loops up so both run optimized, then take the best of five of each.
loop(true);
loop(false);
const counted: number[] = [];
const bare: number[] = [];
for (let round = 0; round < 5; round++) {
  counted.push(loop(true));
  bare.push(loop(false));
}
const best = (xs: number[]) => Math.min(...xs);
const cost = best(counted) - best(bare);
console.log(`${calls} calls, best of 5: counting costs ${cost.toFixed(1)} ns per request`);
console.log(
  `  against the proxy's CPU time per request (npm run bench:proxy, "proxy CPU µs/req"): ` +
    `${((cost / 50_000) * 100).toFixed(2)}% of 50 µs, ${((cost / 100_000) * 100).toFixed(2)}% of 100 µs`,
);
