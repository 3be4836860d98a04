import type { QueryMatch, SearchResult } from './types'

/**
 * Turns the store's matches for `query` into scored results, best first.
 * Collections use cosine distance (0 = same direction, 2 = opposite), so the
 * base score is `1 - distance / 2`, in 0..1.
 *
 * @example
 * rankMatches('how do I resume a thread?', matches) // [{ id, text, score, metadata, source, chunk }, ...]
 */
export function rankMatches(_query: string, matches: readonly QueryMatch[]): SearchResult[] {
  return matches
    .map((match) => ({
      id: match.id,
      text: match.text,
      score: Math.max(0, Math.min(1, 1 - match.distance / 2)),
      metadata: match.metadata,
      source: typeof match.metadata.source === 'string' ? match.metadata.source : undefined,
      chunk: typeof match.metadata.chunk === 'number' ? match.metadata.chunk : undefined,
    }))
    .sort((a, b) => b.score - a.score)
}
