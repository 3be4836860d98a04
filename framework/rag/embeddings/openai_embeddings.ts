import type { OpenAIEmbeddings as LangChainOpenAIEmbeddings } from '@langchain/openai'
import { E_EMBEDDINGS_FAILED, E_SERVICE_UNAVAILABLE, isException } from '../../errors'
import { abortError } from '../../support/abort'
import type { Embeddings } from '../types'

export interface OpenAIEmbeddingsOptions {
  /** `openai`, `ollama` or `openai-compatible`: all speak OpenAI's /v1/embeddings. */
  provider: string
  model: string
  apiKey?: string
  /** Where requests go; undefined means api.openai.com. */
  baseUrl?: string
  /** Per request. */
  timeoutMs?: number
  /** Retries after the first attempt on 429, 5xx and network errors. */
  maxRetries?: number
  /** Texts per request. */
  batchSize?: number
}

/** Statuses that will not change on a retry: the request or the key is wrong. */
const REFUSED = new Set([400, 401, 403, 404, 422])

/**
 * Embeddings from any server speaking OpenAI's `/v1/embeddings` (OpenAI,
 * Ollama's OpenAI-compatible endpoint, vLLM, LM Studio...) through
 * LangChain's OpenAIEmbeddings. Failures become Langvel errors: a refused
 * request (bad key, unknown model) is E_EMBEDDINGS_FAILED, an unreachable
 * or failing server E_SERVICE_UNAVAILABLE; neither message names the host.
 *
 * @example
 * const embeddings = new OpenAIEmbeddings({ provider: 'ollama', model: 'nomic-embed-text', baseUrl: 'http://127.0.0.1:11434/v1' })
 */
export class OpenAIEmbeddings implements Embeddings {
  readonly provider: string
  readonly model: string
  private client?: LangChainOpenAIEmbeddings
  private size?: number

  constructor(private readonly options: OpenAIEmbeddingsOptions) {
    this.provider = options.provider
    this.model = options.model
  }

  async dimensions(): Promise<number> {
    // Models do not declare their length: one probe tells, and it is remembered.
    this.size ??= (await this.embedQuery('dimensions')).length
    return this.size
  }

  async embedDocuments(texts: string[], options: { signal?: AbortSignal } = {}): Promise<number[][]> {
    if (texts.length === 0) return []
    const vectors = await this.call(() => this.langchain().embedDocuments(texts), options.signal)
    this.size ??= vectors[0]?.length
    return vectors
  }

  async embedQuery(text: string, options: { signal?: AbortSignal } = {}): Promise<number[]> {
    const vector = await this.call(() => this.langchain().embedQuery(text), options.signal)
    this.size ??= vector.length
    return vector
  }

  private langchain(): LangChainOpenAIEmbeddings {
    if (!this.client) {
      // Required on first use, like the chat clients: a project on the local provider never loads the SDK.
      const { OpenAIEmbeddings: Client } = require('@langchain/openai') as typeof import('@langchain/openai')
      const { apiKey, baseUrl, timeoutMs, maxRetries, batchSize } = this.options
      this.client = new Client({
        model: this.model,
        // Local servers (ollama) take any key; the OpenAI SDK refuses to start without one.
        apiKey: apiKey ?? 'unused',
        timeout: timeoutMs ?? 30_000,
        maxRetries: maxRetries ?? 2,
        batchSize: batchSize ?? 256,
        // The SDK otherwise asks for base64 and decodes it; servers that answer floats anyway (several
        // OpenAI-compatible ones) would come back as empty vectors.
        encodingFormat: 'float',
        // LangChain retries; the SDK's own retries would multiply them.
        configuration: { baseURL: baseUrl, maxRetries: 0 },
      })
    }
    return this.client
  }

  /**
   * The call, abandoned as soon as `signal` aborts: LangChain's embeddings
   * take no per-call signal, so the request itself runs on until its own
   * timeout (`timeoutMs` per attempt) and its result is dropped.
   */
  private async call<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw abortError(signal)
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal as AbortSignal))
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([run(), aborted])
    } catch (error) {
      throw isException(error) ? error : translate(error)
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort)
    }
  }
}

function translate(error: unknown): Error {
  const status = (error as { status?: unknown } | null)?.status
  if (typeof status === 'number' && REFUSED.has(status)) {
    return new E_EMBEDDINGS_FAILED(`status ${status}`, { cause: error })
  }
  return new E_SERVICE_UNAVAILABLE('The embedding provider', { cause: error })
}
