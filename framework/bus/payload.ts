import { decodeJson, encodeJson } from '../support/json_payload'

/**
 * Messages cross processes on the redis driver, so both drivers carry them
 * as JSON: what a subscriber receives is the same whichever driver runs, and
 * a payload that cannot travel fails at publish, not in another process.
 */
export function encodePayload(topic: string, payload: unknown): string {
  return encodeJson(payload, `Bus message for topic "${topic}"`)
}

export const decodePayload = decodeJson

/** What a request's reply carries: the handler's value as JSON, or why it could not be (the handler itself succeeded). */
export type EncodedReply = { ok: true; value: unknown } | { ok: false; attempts: number; error: string }

/**
 * Round-trips a handler's return value through JSON, as a reply travels.
 * Never throws: a value JSON cannot carry (a function, a BigInt, a cycle)
 * becomes a failed reply naming the problem, so the requester is told and
 * the message, whose handler did succeed, is still acknowledged.
 */
export function encodeReply(topic: string, value: unknown, attempts: number): EncodedReply {
  try {
    return { ok: true, value: decodePayload(encodePayload(topic, value)) }
  } catch (error) {
    return { ok: false, attempts, error: `the handler succeeded but its reply cannot be sent: ${(error as Error).message}` }
  }
}
