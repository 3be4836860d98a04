/**
 * True when `promise` settled (resolved or rejected) within `ms`, false when
 * the time ran out first. Never rejects: the caller asks whether something
 * finished in time, not how, and a rejection left unobserved here would
 * surface as an unhandled rejection.
 *
 * @example
 * if (!(await within(kernel.idle(), graceMs))) supervisor.abortAll(new E_SHUTTING_DOWN())
 */
export function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    const settled = () => {
      clearTimeout(timer)
      resolve(true)
    }
    promise.then(settled, settled)
  })
}

/**
 * Waits until `promise` settles, either way, or `ms` have passed, whichever
 * comes first; never rejects. For clean-up that deserves a bounded wait.
 *
 * @example
 * await settleWithin(iterator.return(), abortGraceMs)
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  await within(promise, ms)
}
