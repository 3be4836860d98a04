import { E_ABORTED, isException } from '../errors'

/**
 * The error a cancelled signal should surface as: a Langvel exception given
 * as the abort reason (E_TIMEOUT from the runner, E_TOOL_TIMEOUT) is kept,
 * anything else becomes E_ABORTED.
 *
 * @example
 * if (signal.aborted) throw abortError(signal)
 */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  if (isException(reason)) return reason
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'signal aborted'
  return new E_ABORTED(text, { cause: reason })
}
