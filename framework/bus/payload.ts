import { E_INVALID_INPUT } from '../errors'

/**
 * Messages cross processes on the redis driver, so both drivers carry them
 * as JSON: what a subscriber receives is the same whichever driver runs, and
 * a payload that cannot travel fails at publish, not in another process.
 */
export function encodePayload(topic: string, payload: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(payload === undefined ? null : payload)
  } catch (error) {
    throw new E_INVALID_INPUT(`Bus message for topic "${topic}" is not JSON-serialisable: ${(error as Error).message}`)
  }
  if (text === undefined) throw new E_INVALID_INPUT(`Bus message for topic "${topic}" is not JSON-serialisable`)
  return text
}

export function decodePayload(text: string): unknown {
  return JSON.parse(text) as unknown
}
