import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { RunEvent, RunEventLog } from '../contracts/run_events'
import { isException } from '../errors'
import { SseStream } from '../http/sse_stream'
import { normalizeEventId } from './event_id'

export interface StreamRunEventsOptions {
  /** Resume after this id (see lastEventId); from the first event kept when absent. */
  after?: string
  /** Seconds between heartbeat comments while the run is quiet (0: none). */
  heartbeatSeconds: number
  /** The `data` of the `error` event sent when reading fails midway (default: its code and message, never a stack). */
  errorData?: (error: unknown) => unknown
  /** false: send what is stored and end, without waiting for more (a run that ended long ago). Default true. */
  follow?: boolean
  /** Ends the stream (quietly, as when the client leaves) when it aborts. */
  signal?: AbortSignal
  /** What each stored event is sent as (default: itself): none, one or several frames, each with the stored event's id. */
  present?: (event: RunEvent) => Array<{ event: string; data: unknown }>
}

/**
 * The Last-Event-ID a reconnecting client sent, in normal form, or undefined
 * without one; E_INVALID_EVENT_ID (400) when it is malformed. Call it before
 * the response starts, so a bad header is answered as an error.
 *
 * @example
 * const after = lastEventId(req.headers)
 */
export function lastEventId(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['last-event-id']
  if (value === undefined || value === '') return undefined
  return normalizeEventId(Array.isArray(value) ? value[0] : value)
}

function defaultErrorData(error: unknown): unknown {
  if (isException(error)) return { code: error.code, message: error.message }
  return { code: 'E_RUNTIME', message: 'Reading the run events failed' }
}

/**
 * Answers with the run's events as Server-Sent Events, each with its stored
 * id as `id:`: the replay after `after`, then the live events, until the run
 * ends (the response then ends) or the client goes away (the read stops).
 * A malformed `after` throws E_INVALID_EVENT_ID, too many live readers
 * E_OVERLOADED and an unreachable store E_SERVICE_UNAVAILABLE, all before
 * anything is written, for the caller to answer. A failure once the stream
 * has started is sent as an `error` event without an `id:` line (a
 * reconnecting client resumes after the last event it received).
 *
 * @example
 * await streamRunEvents(res, app.make('runEvents'), runId, { after: lastEventId(req.headers), heartbeatSeconds: 15 })
 */
export async function streamRunEvents(res: ServerResponse, log: RunEventLog, runId: string, options: StreamRunEventsOptions): Promise<void> {
  const gone = new AbortController()
  // read() checks the run id and `after` synchronously: bad input fails here, before the headers go out.
  const events = log.read(runId, { after: options.after, signal: gone.signal, follow: options.follow ?? true })
  const stop = () => gone.abort()
  res.once('close', stop)
  if (options.signal?.aborted) stop()
  else options.signal?.addEventListener('abort', stop, { once: true })
  try {
    // The live-reader slot and the store are checked before the headers go out: E_OVERLOADED or E_SERVICE_UNAVAILABLE is a 503, not a broken stream.
    await events.ready()
  } catch (error) {
    res.off('close', stop)
    options.signal?.removeEventListener('abort', stop)
    gone.abort()
    throw error
  }
  const sse = new SseStream(res, { heartbeatSeconds: options.heartbeatSeconds })
  sse.open()
  try {
    for await (const event of events) {
      for (const frame of options.present ? options.present(event) : [event]) await sse.send(frame.event, frame.data, event.id)
      if (sse.closed) break
    }
  } catch (error) {
    // No id: line, so a reconnecting client sends back the id of the last event it received, not this frame's.
    if (!gone.signal.aborted) await sse.send('error', (options.errorData ?? defaultErrorData)(error), null)
  } finally {
    res.off('close', stop)
    options.signal?.removeEventListener('abort', stop)
    sse.close()
  }
}
