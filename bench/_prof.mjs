import * as tf from "@tensorflow/tfjs-core";
const engine = tf.engine(); const orig = engine.runKernel.bind(engine);
const seen = new Map(); let depth = 0; let t = 0; const start = performance.now(); let counting = false;
setTimeout(() => { counting = true; t = performance.now(); }, 25000).unref();
engine.runKernel = (name, inputs, attrs) => { depth++; const t0 = performance.now(); try { return orig(name, inputs, attrs); } finally { depth--; if (depth === 0 && counting) { const sh = Object.values(inputs).map(x => "[" + x.shape + "]").join(" "); const key = name + (name === "BatchMatMul" ? " " + sh + (attrs?.transposeA ? " tA" : "") + (attrs?.transposeB ? " tB" : "") : ""); const e = seen.get(key) ?? [0, 0]; e[0]++; e[1] += performance.now() - t0; seen.set(key, e); } } };
process.on("exit", () => { const wall = performance.now() - t; let tot = 0; for (const [, [, ms]] of seen) tot += ms; console.error(`profiled ${wall.toFixed(0)} ms wall, ${tot.toFixed(0)} ms in kernels`); for (const [k, [n, ms]] of [...seen].sort((a, b) => b[1][1] - a[1][1]).slice(0, 40)) console.error(String(n).padStart(6), ms.toFixed(0).padStart(7), "ms", (100*ms/wall).toFixed(1).padStart(5) + "%", k); });
