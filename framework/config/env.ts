import { z } from 'zod'

/**
 * Schema helpers for environment variables. Every helper names the expected
 * form in its error message, so a bad value is reported with how to fix it.
 */
const number = (expected: string) => z.coerce.number({ error: `expected ${expected}` }).refine(Number.isFinite, `expected ${expected}`)

export const env = {
  string: (fallback?: string) => (fallback === undefined ? z.string() : z.string().default(fallback)),
  optionalString: () => z.string().optional(),
  /** true/false, 1/0, yes/no, on/off. */
  boolean: (fallback: boolean) =>
    z
      .stringbool({ error: 'expected a boolean (true/false, 1/0, yes/no, on/off)' })
      .default(fallback),
  integer: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => {
    const expected = `an integer between ${min} and ${max}`
    return number(expected).pipe(z.number().int(`expected ${expected}`).min(min, `expected ${expected}`).max(max, `expected ${expected}`)).default(fallback)
  },
  float: (fallback: number, min: number, max: number) => {
    const expected = `a number between ${min} and ${max}`
    return number(expected).pipe(z.number().min(min, `expected ${expected}`).max(max, `expected ${expected}`)).default(fallback)
  },
  port: (fallback: number) => {
    const expected = 'a TCP port (an integer between 1 and 65535)'
    return number(expected).pipe(z.number().int(`expected ${expected}`).min(1, `expected ${expected}`).max(65535, `expected ${expected}`)).default(fallback)
  },
  enum: <const V extends readonly [string, ...string[]]>(values: V, fallback: V[number]) =>
    z.enum(values, { error: `expected one of: ${values.join(', ')}` }).default(fallback as never),
  /** One of a fixed set of values, or unset. */
  optionalEnum: <const V extends readonly [string, ...string[]]>(values: V) =>
    z.enum(values, { error: `expected one of: ${values.join(', ')}` }).optional(),
  /** A comma-separated list, trimmed, empty items dropped. */
  list: (fallback: string[] = []) =>
    z
      .string()
      .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
      .default(fallback),
  url: (protocols: string[]) =>
    z.string().refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''))
      } catch {
        return false
      }
    }, `expected a URL (${protocols.map((p) => `${p}://...`).join(' or ')})`),
  /** A duration such as `30s`, `15m`, `1h`, `7d`, or a bare number of seconds. */
  duration: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value, ctx) => {
        const seconds = parseDuration(value)
        if (seconds === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration such as 30s, 15m, 1h, 7d or a number of seconds' })
          return z.NEVER
        }
        return seconds
      }),
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** Parses `90`, `30s`, `15m`, `1h`, `7d` into seconds; undefined when malformed. */
export function parseDuration(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(value)
  if (!match) return undefined
  const seconds = Number(match[1]) * UNITS[match[2] ?? 's']
  return seconds > 0 ? seconds : undefined
}
