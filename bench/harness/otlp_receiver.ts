import { join } from 'node:path'
import type { Stoppable } from './process_guard'
import { ServerProcess } from './server_process'

/** What the receiver counted (bench/otlp_receiver.js). */
export interface OtlpStats {
  /** Trace exports accepted (POST /v1/traces answered 200). */
  exports: number
  spans: number
  /** Spans without a parent: one per trace. */
  rootSpans: number
  spansByName: Record<string, number>
  bytes: number
  /** Requests refused as not an OTLP JSON trace export. */
  refused: number
}

/**
 * A local OTLP/HTTP receiver (bench/otlp_receiver.js) in a process of its
 * own: a traced server exports to `url` (its OTEL_EXPORTER_OTLP_ENDPOINT),
 * and `stats()` says what arrived.
 *
 * @example
 * const receiver = await OtlpReceiver.start({ root, scratch, name: 'echo_tracing', adopt: (c) => guard.adopt(c) })
 * env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
 * (await receiver.stats()).spans
 */
export class OtlpReceiver {
  private constructor(private readonly process: ServerProcess) {}

  static async start(options: { root: string; scratch: string; name: string; adopt: (child: Stoppable) => void }): Promise<OtlpReceiver> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' }
    const server = await ServerProcess.start(
      {
        name: 'otlp receiver',
        args: [join(options.root, 'bench', 'otlp_receiver.js'), '--port', '0'],
        env,
        cwd: options.root,
        logFile: join(options.scratch, `${options.name}-otlp-receiver.log`),
      },
      options.adopt,
    )
    return new OtlpReceiver(server)
  }

  /** The collector's base URL: traces go to `<url>/v1/traces`. */
  get url(): string {
    return this.process.url
  }

  async stats(): Promise<OtlpStats> {
    const response = await fetch(`${this.url}/stats`, { signal: AbortSignal.timeout(5000) })
    if (!response.ok) throw new Error(`the OTLP receiver answered ${response.status} to GET /stats`)
    return (await response.json()) as OtlpStats
  }

  stop(): Promise<void> {
    return this.process.stop()
  }
}
