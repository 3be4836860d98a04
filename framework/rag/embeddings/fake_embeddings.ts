import { createHash } from 'node:crypto'
import type { Embeddings } from '../types'

/**
 * Deterministic embeddings for tests and offline demos: each word is hashed
 * into one of `dimensions` buckets and the counts are normalised, so texts
 * sharing words are close and the same text always gives the same vector.
 * No model, no network.
 *
 * @example
 * const fake = new FakeEmbeddings(64)
 * await fake.embedQuery('resume a thread') // 64 numbers, unit length
 */
export class FakeEmbeddings implements Embeddings {
  readonly provider = 'fake'
  readonly model: string

  constructor(private readonly size = 64, model?: string) {
    this.model = model ?? `fake-hash-${size}`
  }

  async dimensions(): Promise<number> {
    return this.size
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.vector(text))
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.vector(text)
  }

  private vector(text: string): number[] {
    const vector = new Array<number>(this.size).fill(0)
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
    for (const word of words) vector[createHash('sha1').update(word).digest().readUInt32BE(0) % this.size] += 1
    const norm = Math.hypot(...vector)
    // An empty text still needs a valid (non-zero) vector for cosine distance.
    if (norm === 0) return vector.map((_, index) => (index === 0 ? 1 : 0))
    return vector.map((value) => value / norm)
  }
}
