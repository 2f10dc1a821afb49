#!/usr/bin/env node
// A training step of a sigmoid network in plain JavaScript (Node, no packages), checked by
// backprop-conformance over its wire protocol (docs/WIRE.md).
//
// Check:  backprop-conformance --impl-cmd "node backprop.js" --conventions conventions.json
//
// Conventions (its own, declared in conventions.json, translated by the suite at the edge):
// samples are the ROWS of X (N, n_0) and Y (N, n_L); W^l is stored (n_{l-1}, n_l) ("in_out"); b^l is
// a (1, n_l) row; the loss is the SUM over the batch of 1/2 ||a^L_i - y_i||^2.  The entry point is a
// training step, train_step(params, X, Y, eta) -> the new params, one gradient-descent step:
//
//   z^l = a^{l-1} W^l + b^l,  a^l = sigma(z^l),  a^0 = X               (row i is sample i)
//   BP1  delta^L = (a^L - Y) * sigma'(z^L)
//   BP2  delta^l = (delta^{l+1} (W^{l+1})^T) * sigma'(z^l)
//   BP3  dC/db^l = sum over the rows of delta^l
//   BP4  dC/dW^l = (a^{l-1})^T delta^l
//   W^l <- W^l - eta dC/dW^l,  b^l <- b^l - eta dC/db^l
//
// It also answers the entry point "loss" (the summed loss it trains on).  Frames: a 16-byte prefix
// ("BPW1", uint32 header length, uint64 payload length, little-endian), a JSON header, the arrays'
// bytes.  Nothing but frames goes to stdout.
"use strict";

const sigmoid = (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const sigmoidPrime = (z) => { const e = Math.exp(-Math.abs(z)); return e / ((1 + e) * (1 + e)); };

// A matrix: {rows, cols, v: Float64Array} in row-major order.
const matrix = (rows, cols) => ({ rows, cols, v: new Float64Array(rows * cols) });

function fromWire([dtype, shape, order], bytes) {
  if (dtype !== "<f8" || shape.length < 1 || shape.length > 2) throw new Error(`unsupported array ${dtype} ${shape}`);
  const rows = shape[0], cols = shape.length === 2 ? shape[1] : 1;
  const m = matrix(rows, cols);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      m.v[i * cols + j] = view.getFloat64(8 * (order === "F" ? j * rows + i : i * cols + j), true);
  return m;
}

// z^l and a^l for every layer; params = [W1, b1, W2, b2, ...] with W (n_{l-1}, n_l), b (1, n_l)
function feedforward(params, X) {
  const zs = [null], as = [X];
  for (let l = 1; 2 * l <= params.length; l++) {
    const W = params[2 * l - 2], b = params[2 * l - 1], prev = as[l - 1];
    if (W.rows !== prev.cols || b.cols !== W.cols) throw new Error(`layer ${l}: the shapes do not chain`);
    const z = matrix(prev.rows, W.cols), a = matrix(prev.rows, W.cols);
    for (let n = 0; n < prev.rows; n++)
      for (let j = 0; j < W.cols; j++) {
        let s = b.v[j];
        for (let k = 0; k < W.rows; k++) s += prev.v[n * prev.cols + k] * W.v[k * W.cols + j];
        z.v[n * z.cols + j] = s;
        a.v[n * a.cols + j] = sigmoid(s);
      }
    zs.push(z);
    as.push(a);
  }
  return { zs, as };
}

// dC/dW^l and dC/db^l of the summed loss (BP1-BP4)
function backprop(params, X, Y) {
  const L = params.length / 2, { zs, as } = feedforward(params, X);
  let delta = matrix(Y.rows, Y.cols);
  for (let i = 0; i < delta.v.length; i++)
    delta.v[i] = (as[L].v[i] - Y.v[i]) * sigmoidPrime(zs[L].v[i]);                      // BP1
  const grads = new Array(2 * L);
  for (let l = L; l >= 1; l--) {
    const prev = as[l - 1], dW = matrix(prev.cols, delta.cols), db = matrix(1, delta.cols);
    for (let n = 0; n < delta.rows; n++)
      for (let j = 0; j < delta.cols; j++) {
        const d = delta.v[n * delta.cols + j];
        db.v[j] += d;                                                                     // BP3
        for (let k = 0; k < prev.cols; k++) dW.v[k * dW.cols + j] += prev.v[n * prev.cols + k] * d;  // BP4
      }
    grads[2 * l - 2] = dW;
    grads[2 * l - 1] = db;
    if (l === 1) break;
    const W = params[2 * l - 2], below = matrix(delta.rows, W.rows);
    for (let n = 0; n < delta.rows; n++)
      for (let k = 0; k < W.rows; k++) {
        let s = 0;
        for (let j = 0; j < W.cols; j++) s += delta.v[n * delta.cols + j] * W.v[k * W.cols + j];
        below.v[n * below.cols + k] = s * sigmoidPrime(zs[l - 1].v[n * below.cols + k]);  // BP2
      }
    delta = below;
  }
  return grads;
}

function summedLoss(params, X, Y) {
  const { as } = feedforward(params, X), aL = as[as.length - 1];
  let c = 0;
  for (let i = 0; i < aL.v.length; i++) c += 0.5 * (aL.v[i] - Y.v[i]) ** 2;
  return c;
}

// ---------- the wire protocol ----------

function frame(header, arrays = []) {
  if (arrays.length) header.arrays = arrays.map((m) => ["<f8", [m.rows, m.cols], "C"]);
  const head = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(16);
  prefix.write("BPW1", 0, "latin1");
  prefix.writeUInt32LE(head.length, 4);
  prefix.writeBigUInt64LE(BigInt(arrays.reduce((s, m) => s + 8 * m.v.length, 0)), 8);
  const data = arrays.map((m) => Buffer.from(m.v.buffer, m.v.byteOffset, m.v.byteLength));
  process.stdout.write(Buffer.concat([prefix, head, ...data]));
}

function answer(header, payload) {
  const id = header.id;
  if (header.op === "hello") return frame({ id, protocol: 1, worker: "backprop.js" });
  if (header.op === "shutdown") { frame({ id }); process.exit(0); }
  if (header.op !== "call" || !["train_step", "loss"].includes(header.entry))
    return frame({ id, error: { category: "protocol", message: "this worker answers train_step and loss calls" } });
  const metas = header.arrays || [];
  let offset = 0;
  const arrays = metas.map((meta) => {
    const bytes = payload.subarray(offset, offset + 8 * meta[1].reduce((a, b) => a * b, 1));
    offset += bytes.length;
    return fromWire(meta, bytes);
  });
  // arrays: W1, b1, ..., WL, bL (the params, flat), then X, Y
  const params = arrays.slice(0, -2), X = arrays[arrays.length - 2], Y = arrays[arrays.length - 1];
  try {
    if (header.entry === "loss") return frame({ id, value: summedLoss(params, X, Y) });
    const eta = header.eta, grads = backprop(params, X, Y);
    const updated = params.map((p, i) => ({ rows: p.rows, cols: p.cols, v: p.v.map((x, k) => x - eta * grads[i].v[k]) }));
    const value = [];
    for (let l = 0; l < updated.length / 2; l++) value.push([{ $array: 2 * l }, { $array: 2 * l + 1 }]);
    return frame({ id, value }, updated);
  } catch (err) {
    return frame({ id, error: { category: "raises", message: `raised ${err.name}: ${err.message}` } });
  }
}

let pending = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 16) {
    if (pending.toString("latin1", 0, 4) !== "BPW1") { process.stderr.write("backprop.js: not a frame\n"); process.exit(3); }
    const h = pending.readUInt32LE(4), p = Number(pending.readBigUInt64LE(8));
    if (pending.length < 16 + h + p) break;
    const header = JSON.parse(pending.toString("utf8", 16, 16 + h));
    const payload = Buffer.from(pending.subarray(16 + h, 16 + h + p));
    pending = pending.subarray(16 + h + p);
    answer(header, payload);
  }
});
process.stdin.on("end", () => process.exit(0));
