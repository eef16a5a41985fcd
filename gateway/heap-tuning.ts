import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 lets the old generation grow past what survived the last full
 * collection before it starts the next one: 150% above it (V8's own factor
 * falls to ~1.1 on a small, quiet heap).
 *
 * Why: every Buffer a bulk transfer allocates (a read from the engine's socket,
 * an SSH packet) is external memory, and V8 counts the external memory allocated
 * since the last full collection against the old generation's headroom. After the
 * server has been idle, the memory reducer has shrunk that headroom to ~8 MB
 * while ~32 MB of dead Buffers pile up between two young collections, so a
 * transfer ran a full mark-compact every ~10 MB: 200 MB through the gateway took
 * 15-20 of them and ~4.5 CPU-s per GB instead of ~1.5 (test/bench, "gateway CPU
 * per GB", on a server idle for 25 s first). The live heap stays what it was;
 * only garbage may wait longer before it is collected.
 *
 * Set at run time (`--heap-growing-percent` is read at each collection), for
 * `mai serve` only: the CLI's commands are too short-lived to care.
 */
export const HEAP_GROWING_PERCENT = 150;

export function tuneHeapForBulkTransfers(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
