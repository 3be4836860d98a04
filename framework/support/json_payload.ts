import { E_INVALID_INPUT } from '../errors'

/**
 * A value as the JSON text it travels or is stored as, so every driver of a
 * capability hands its readers a copy (never the caller's object) and a value
 * that cannot travel fails where it is given, not in another process.
 * E_INVALID_INPUT (400) names `what` when JSON cannot carry the value.
 *
 * @example
 * encodeJson(payload, `Bus message for topic "${topic}"`)
 */
export function encodeJson(value: unknown, what: string): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value === undefined ? null : value)
  } catch (error) {
    throw new E_INVALID_INPUT(`${what} is not JSON-serialisable: ${(error as Error).message}`)
  }
  if (text === undefined) throw new E_INVALID_INPUT(`${what} is not JSON-serialisable`)
  return text
}

/** The value of a JSON text written by encodeJson. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text) as unknown
}
