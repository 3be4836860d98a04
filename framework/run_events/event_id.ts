import type { RunEventInput } from '../contracts/run_events'
import { E_INVALID_EVENT_ID, E_INVALID_NAME, E_RUN_EVENT_TOO_LARGE } from '../errors'
import { encodeJson } from '../support/json_payload'

/** `<ms>-<seq>`, the form of a Redis stream id, used by every driver. */
const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/

export interface ParsedEventId {
  ms: number
  seq: number
}

/**
 * Parses an event id (a Last-Event-ID header as received); E_INVALID_EVENT_ID
 * (400) when it is not one.
 *
 * @example
 * parseEventId('1733363200000-3') // { ms: 1733363200000, seq: 3 }
 */
export function parseEventId(value: string): ParsedEventId {
  const match = typeof value === 'string' ? EVENT_ID.exec(value.trim()) : null
  if (!match) throw new E_INVALID_EVENT_ID(String(value))
  return { ms: Number(match[1]), seq: Number(match[2]) }
}

/** The id in its normal form (no leading zeros), valid input for every driver; E_INVALID_EVENT_ID when malformed. */
export function normalizeEventId(value: string): string {
  const { ms, seq } = parseEventId(value)
  return `${ms}-${seq}`
}

/** Negative, zero or positive as `a` comes before, with or after `b`. */
export function compareEventIds(a: ParsedEventId, b: ParsedEventId): number {
  return a.ms - b.ms || a.seq - b.seq
}

// Run ids become Redis keys and log fields: a closed alphabet keeps both sane.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/** Throws E_INVALID_NAME unless `runId` is usable (1 to 128 letters, digits, ".", "_", ":" and "-"). */
export function checkRunId(runId: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new E_INVALID_NAME('run', String(runId), 'use 1 to 128 letters, digits, ".", "_", ":" and "-", starting with a letter or digit')
  }
  return runId
}

/** Throws E_INVALID_NAME unless `event` is a usable SSE event name (no line breaks, 1 to 128 characters). */
export function checkEventName(event: string): string {
  if (typeof event !== 'string' || event.length === 0 || event.length > 128 || /[\r\n]/.test(event)) {
    throw new E_INVALID_NAME('event', String(event).slice(0, 64), 'use 1 to 128 characters without line breaks')
  }
  return event
}

/**
 * An event as stored: its name checked, its data as JSON, its size (UTF-8
 * bytes of both) within `maxEventBytes`, else E_RUN_EVENT_TOO_LARGE (413).
 */
export function storedEvent(input: RunEventInput, maxEventBytes: number): { event: string; data: string; bytes: number } {
  const event = checkEventName(input?.event)
  const data = encodeJson(input.data, 'Run event data')
  const bytes = Buffer.byteLength(event) + Buffer.byteLength(data)
  if (bytes > maxEventBytes) throw new E_RUN_EVENT_TOO_LARGE(bytes, maxEventBytes)
  return { event, data, bytes }
}
