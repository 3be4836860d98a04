import { E_INVALID_INPUT, E_INVALID_NAME } from '../errors'

export const BUS_DRIVERS = ['memory', 'redis'] as const
export type BusDriverName = (typeof BUS_DRIVERS)[number]

/** What config/bus.ts defaults to, so a bus built by hand behaves like a configured one. */
export const BUS_DEFAULTS = {
  maxQueue: 1000,
  onFull: 'wait' as 'wait' | 'refuse',
  publishTimeoutMs: 5000,
  maxAttempts: 3,
  retryBaseMs: 100,
  retryMaxMs: 5000,
  deadLetterMax: 1000,
  claimIdleMs: 30_000,
  drainTimeoutMs: 10_000,
}

/** The behaviour both drivers share (config/bus.ts without the driver name). */
export interface BusOptions {
  maxQueue: number
  onFull: 'wait' | 'refuse'
  publishTimeoutMs: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  deadLetterMax: number
  claimIdleMs: number
  drainTimeoutMs: number
}

export function busOptions(options: Partial<BusOptions> = {}): BusOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
  return { ...BUS_DEFAULTS, ...defined }
}

// Topics and groups become Redis keys and metric labels: a closed alphabet keeps both sane.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/** Throws E_INVALID_NAME unless `name` is a usable topic or group name. */
export function checkBusName(kind: 'topic' | 'group', name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new E_INVALID_NAME(`bus ${kind}`, String(name), 'use 1 to 128 letters, digits, ".", "_", ":" and "-", starting with a letter or digit')
  }
  return name
}

/** The longest delay a Node timer honours; a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647

/** Throws E_INVALID_INPUT unless `ms` is a usable timeout: finite, 0 or more, at most MAX_TIMEOUT_MS (about 24.8 days). */
export function checkTimeout(name: string, ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_TIMEOUT_MS) {
    throw new E_INVALID_INPUT(`Bus ${name} must be a number of milliseconds from 0 to ${MAX_TIMEOUT_MS}, got ${String(ms)}`)
  }
  return ms
}

/** The `limit` of deadLetters(): a whole number, 0 or more (0 reads none); E_INVALID_INPUT otherwise. */
export function checkLimit(limit: number | undefined, fallback: number): number {
  const value = limit ?? fallback
  if (!Number.isInteger(value) || value < 0) throw new E_INVALID_INPUT(`Bus deadLetters limit must be a whole number, 0 or more, got ${String(limit)}`)
  return value
}
