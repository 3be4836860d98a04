import { E_INVALID_INPUT } from '../errors'

/** The data of an event as stored: JSON, so every driver hands readers a copy, never the appender's object. */
export function encodeEventData(data: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(data ?? null)
  } catch (error) {
    throw new E_INVALID_INPUT(`Run event data must be JSON-serialisable: ${(error as Error).message}`)
  }
  if (text === undefined) throw new E_INVALID_INPUT('Run event data must be JSON-serialisable')
  return text
}

export function decodeEventData(text: string): unknown {
  return JSON.parse(text) as unknown
}
