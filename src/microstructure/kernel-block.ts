/**
 * Rows per kernel call in the columnar faces. A kernel run over a whole column in one call is
 * entered once and optimised on-stack (V8's OSR), where its loop-carried doubles stay boxed: a
 * heap number allocated per row, and a garbage collection every few hundred thousand rows. Run
 * in blocks, it is entered often enough to be optimised as a whole function, with those doubles
 * in registers. A kernel keeps its state between calls, so the outputs are the same either way.
 *
 * @see https://v8.dev/blog/turbofan-jit (on-stack replacement) and https://v8.dev/docs/turbofan
 */
export const KERNEL_BLOCK = 512;
