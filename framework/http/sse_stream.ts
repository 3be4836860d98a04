import type { ServerResponse } from 'node:http'

export interface SseStreamOptions {
  /** Seconds between `: heartbeat` comments, which keep proxies from closing an idle stream. */
  heartbeatSeconds: number
}

/**
 * A Server-Sent Events response: numbered events (`id:`), JSON data on one
 * line, heartbeat comments while the run is quiet, and back-pressure (a slow
 * reader pauses the writer instead of growing memory).
 *
 * @example
 * const sse = new SseStream(res, { heartbeatSeconds: 15 })
 * sse.open()
 * await sse.send('metadata', { thread_id })
 * sse.close()
 */
export class SseStream {
  private nextId = 1
  private heartbeat?: NodeJS.Timeout

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseStreamOptions,
  ) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed
  }

  open(): void {
    const res = this.res
    res.statusCode = 200
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8')
    res.setHeader('Cache-Control', 'no-cache, no-transform')
    // Tells nginx not to buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no')
    res.flushHeaders()
    if (this.options.heartbeatSeconds > 0) {
      this.heartbeat = setInterval(() => this.comment('heartbeat'), this.options.heartbeatSeconds * 1000)
      this.heartbeat.unref()
    }
  }

  /**
   * Writes one event; resolves once the socket can take more. `id` replaces
   * the stream's own counter (a stored event's id, which a client sends back
   * as Last-Event-ID); `null` writes no `id:` line, so the client keeps the
   * last id it had (for a frame that is not a stored event, such as an error).
   */
  send(event: string, data: unknown, id?: string | number | null): Promise<void> {
    if (this.closed) return Promise.resolve()
    const idLine = id === null ? '' : `id: ${id ?? this.nextId++}\n`
    const frame = `${idLine}event: ${event}\ndata: ${JSON.stringify(data ?? null)}\n\n`
    const room = this.res.write(frame)
    this.flush()
    if (room) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done)
        this.res.off('close', done)
        resolve()
      }
      this.res.once('drain', done)
      this.res.once('close', done)
    })
  }

  comment(text: string): void {
    // A reader that is not keeping up needs no keep-alive, and its buffer must not grow.
    if (this.closed || this.res.writableNeedDrain) return
    this.res.write(`: ${text}\n\n`)
    this.flush()
  }

  /**
   * Sends what was written now. Node's HTTP response corks its socket on a
   * write until the next tick; a graph whose steps all resolve as promises
   * (a synchronous checkpointer such as SQLite) keeps that tick from coming
   * until the run ends, and every event would leave at once at the end.
   */
  private flush(): void {
    const socket = this.res.socket
    if (socket && socket.writableCorked > 0) socket.uncork()
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = undefined
    if (!this.closed) this.res.end()
  }
}
