// What the machine's cores give at the moment, for benchmarks of parallel work: the same fixed
// piece of pure computation (an exponentially weighted mean and variance over a 32 KB
// Float64Array, with a branch per element, as a run's inner loops do) timed on one thread alone
// and on two threads at once. Two free cores do twice the work of one in the same time (2.00×);
// cores shared with other tenants do less, and no parallel program on them can do better. A
// benchmark that compares N workers with one prints this beside its own ratio, measured next to
// its rounds. It measures computation only: its work is a chain of dependent arithmetic in L1,
// which two threads sharing a core's units, its caches or the memory bandwidth still run at
// nearly 2×. A loop reading a 1 MB array can scale less on the same cores at the same time
// (1.30–1.87× where this gave 1.86–1.99×, on 2026-12-07): a probe near 2.00 is a ceiling, not a
// promise.
//
//   const probe = await coreProbe();          // two threads, started once
//   const { one, two, ratio } = await probe.measure();  // ms of one thread, ms of two, 2·one/two
//   await probe.close();
import { Worker } from 'node:worker_threads';

const WORK = `
const { parentPort } = require('node:worker_threads');
const a = new Float64Array(4096);
for (let i = 0; i < a.length; i++) a[i] = Math.sin(i) * 100;
function pass(rounds) {
  let m = 0, v = 0, up = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < a.length; i++) {
      const x = a[i] + r * 1e-9;
      const d = x - m;
      m += 0.01 * d;
      v = 0.99 * (v + 0.01 * d * d);
      if (d > 0) up++;
    }
  }
  return m + v + up;
}
pass(50); // compiled before it is timed
parentPort.on('message', (rounds) => {
  const t = performance.now();
  const s = pass(rounds);
  parentPort.postMessage({ ms: performance.now() - t, s });
});
`;

/** Two probe threads; `measure()` times one of them alone, then both at once, on the same work. */
export async function coreProbe({ rounds = 30000 } = {}) {
  const workers = [0, 1].map(() => new Worker(WORK, { eval: true }));
  const ask = (w) =>
    new Promise((res) => {
      w.once('message', (m) => res(m.ms));
      w.postMessage(rounds);
    });
  await Promise.all(workers.map(ask)); // warm
  return {
    async measure() {
      const one = await ask(workers[0]);
      const both = await Promise.all(workers.map(ask));
      const two = Math.max(...both);
      return { one, two, ratio: (2 * one) / two };
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
}
