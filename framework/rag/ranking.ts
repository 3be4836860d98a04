import type { QueryMatch, SearchResult } from './types'

export interface RankingOptions {
  /**
   * Share of the keyword score in the final score, 0..1 (default
   * KEYWORD_WEIGHT). 0 ranks by vector similarity alone.
   */
  keywordWeight?: number
}

/**
 * How much keyword matching counts. Small offline embedding models place
 * texts about one topic close together whatever the exact words; the words a
 * question shares with a passage (a setting name, a command) separate the
 * passage that answers from its neighbours.
 */
export const KEYWORD_WEIGHT = 0.4

/**
 * Candidates the store is asked for, whatever k up to it: the same pool for
 * every k, so a search for 3 results returns the first 3 of a search for 10.
 */
const CANDIDATES = 40

/** BM25's usual constants: term-frequency saturation and length normalisation. */
const K1 = 1.2
const B = 0.75

/**
 * How many matches to ask the vector store for when `k` results are wanted:
 * more than k, so rankMatches can re-rank the nearest neighbours before the
 * list is cut to k.
 *
 * @example
 * const matches = await store.query(name, vector, { k: candidateCount(k), where })
 * const results = rankMatches(query, matches).slice(0, k)
 */
export function candidateCount(k: number): number {
  return Math.max(CANDIDATES, k)
}

/**
 * Turns the store's matches for `query` into scored results, best first.
 * Collections use cosine distance (0 = same direction, 2 = opposite), so the
 * vector score is `1 - distance / 2`, in 0..1. It is blended with a keyword
 * score: BM25 of the query's words over the candidates (the candidates are
 * the corpus its document frequencies come from), divided by the best
 * candidate's, so the best keyword match scores 1. `score` stays in 0..1.
 *
 * @example
 * rankMatches('how do I resume a thread?', matches) // [{ id, text, score, metadata, source, chunk }, ...]
 */
export function rankMatches(query: string, matches: readonly QueryMatch[], options: RankingOptions = {}): SearchResult[] {
  const weight = clamp(options.keywordWeight ?? KEYWORD_WEIGHT)
  const keyword = weight > 0 ? keywordScores(query, matches) : matches.map(() => 0)
  return matches
    .map((match, index) => {
      const vector = clamp(1 - match.distance / 2)
      return {
        id: match.id,
        text: match.text,
        score: round((1 - weight) * vector + weight * keyword[index]),
        metadata: match.metadata,
        source: typeof match.metadata.source === 'string' ? match.metadata.source : undefined,
        chunk: typeof match.metadata.chunk === 'number' ? match.metadata.chunk : undefined,
      }
    })
    .sort((a, b) => b.score - a.score)
}

/** BM25 of the query over each match's text, scaled so the best match scores 1 (all 0 when no word matches). */
export function keywordScores(query: string, matches: readonly { text: string; metadata?: Record<string, unknown> }[]): number[] {
  const terms = [...new Set(tokenize(query))]
  if (terms.length === 0 || matches.length === 0) return matches.map(() => 0)
  const documents = matches.map((match) => termCounts(`${headingOf(match.metadata)} ${match.text}`))
  const averageLength = documents.reduce((sum, document) => sum + document.length, 0) / documents.length || 1
  const idf = new Map<string, number>()
  for (const term of terms) {
    const containing = documents.filter((document) => document.counts.has(term)).length
    idf.set(term, Math.log(1 + (documents.length - containing + 0.5) / (containing + 0.5)))
  }
  const raw = documents.map((document) => {
    let score = 0
    for (const term of terms) {
      const frequency = document.counts.get(term) ?? 0
      if (frequency === 0) continue
      score += (idf.get(term) as number) * ((frequency * (K1 + 1)) / (frequency + K1 * (1 - B + (B * document.length) / averageLength)))
    }
    return score
  })
  const best = Math.max(...raw)
  return best > 0 ? raw.map((score) => score / best) : raw.map(() => 0)
}

/**
 * Lower-cased words without the most common English function words, each
 * reduced by a light suffix stripping (`threads` and `thread` match;
 * `resumed` and `resume` do too). Identifiers split on `_`, `-`, `.`, `:`
 * and `/`, so `CHECKPOINT_REDIS_TTL` matches a question about a redis TTL.
 */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  return words.filter((word) => !STOP_WORDS.has(word)).map(stem)
}

function termCounts(text: string): { counts: Map<string, number>; length: number } {
  const counts = new Map<string, number>()
  const words = tokenize(text)
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1)
  return { counts, length: words.length }
}

function headingOf(metadata: Record<string, unknown> | undefined): string {
  const heading = metadata?.heading
  return typeof heading === 'string' ? heading : ''
}

function stem(word: string): string {
  if (word.length <= 4 || /\d/.test(word)) return word
  // Not plurals: access, redis, status.
  if (/(ss|is|us)$/.test(word)) return word
  for (const [suffix, replacement] of SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length) + replacement
  }
  return word
}

const SUFFIXES: ReadonlyArray<[string, string]> = [
  ['ies', 'y'],
  ['ing', ''],
  ['ed', ''],
  ['es', ''],
  ['s', ''],
  ['e', ''],
]

const STOP_WORDS = new Set(
  (
    'a about after all also an and any are as at be because been before being both but by can could did do does each for from had has have ' +
    'how i if in into is it its just me more most my no not of on only or other our please say says should so some such tell than that the ' +
    'their them then there these they this those to too very was we were what when where which while who why will with would you your'
  ).split(' '),
)

function clamp(value: number): number {
  return Math.max(0, Math.min(1, value))
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000
}
