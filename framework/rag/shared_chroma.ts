import { randomUUID } from 'node:crypto'
import { E_SERVICE_UNAVAILABLE } from '../errors'
import type { Application } from '../foundation/application'

/** The request a cluster worker sends its primary; the name of the one thing asked for. */
export const CHROMA_REQUEST = 'langvel:rag:chroma-url'

interface ChromaRequest {
  type: typeof CHROMA_REQUEST
  id: string
}

interface ChromaAnswer {
  type: typeof CHROMA_REQUEST
  id: string
  url?: string
  error?: string
}

/** Longest a worker waits for its primary to start the managed Chroma and answer. */
const ANSWER_TIMEOUT_MS = 30_000

export function isChromaRequest(message: unknown): message is ChromaRequest {
  return typeof message === 'object' && message !== null && (message as ChromaRequest).type === CHROMA_REQUEST && typeof (message as ChromaRequest).id === 'string'
}

/**
 * In a cluster worker: asks the primary for the managed Chroma's URL (the
 * primary starts it on the first request), so all workers share one server
 * and one data folder. Only asked when RAG is first used.
 *
 * @example
 * new RagManager({ ..., managedChromaUrl: askPrimaryForChroma })
 */
export function askPrimaryForChroma(): Promise<string> {
  const send = process.send?.bind(process)
  if (!send) return Promise.reject(new E_SERVICE_UNAVAILABLE('The managed vector store'))
  const id = randomUUID()
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new E_SERVICE_UNAVAILABLE('The managed vector store'))), ANSWER_TIMEOUT_MS)
    const onMessage = (message: unknown) => {
      if (!isChromaRequest(message) || message.id !== id) return
      const answer = message as ChromaAnswer
      finish(() => (answer.url ? resolve(answer.url) : reject(new E_SERVICE_UNAVAILABLE('The managed vector store', { cause: answer.error }))))
    }
    const finish = (settle: () => void) => {
      clearTimeout(timer)
      process.off('message', onMessage)
      settle()
    }
    process.on('message', onMessage)
    send({ type: CHROMA_REQUEST, id } satisfies ChromaRequest)
  })
}

/**
 * For the cluster primary of `langvel serve --workers N`: the answer to
 * workers asking for the managed Chroma (started here on the first ask), or
 * undefined when RAG uses CHROMA_URL, runs in production, or is not bound.
 * `stop` stops the server once the workers have drained.
 *
 * @example
 * const chroma = primaryChromaProvider(app)
 * await runClusterPrimary({ workers, logger, graceSeconds, onMessage: chroma?.onMessage })
 * await chroma?.stop()
 */
export function primaryChromaProvider(app: Application): { onMessage: (reply: (message: unknown) => void, message: unknown) => void; stop: () => Promise<void> } | undefined {
  if (!app.bound('rag') || !app.config.has('rag') || app.isProduction || app.config.get('rag').chroma.url) return undefined
  return {
    onMessage(reply, message) {
      if (!isChromaRequest(message)) return
      app
        .make('rag')
        .startManagedChroma()
        .then(
          (url) => reply({ type: CHROMA_REQUEST, id: message.id, url } satisfies ChromaAnswer),
          (error: unknown) => {
            app.logger.error('the managed Chroma did not start for the workers', error instanceof Error ? error : new Error(String(error)))
            reply({ type: CHROMA_REQUEST, id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies ChromaAnswer)
          },
        )
    },
    stop: async () => {
      if (app.resolved('rag')) await app.make('rag').close()
    },
  }
}
