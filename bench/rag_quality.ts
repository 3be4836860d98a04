import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RagCollection } from '../framework/rag/types'

/** What is measured: a collection, or any search with its signature (a ranking variant). */
export type Searchable = Pick<RagCollection, 'search'>

export interface QualityQuestion {
  question: string
  /** The page that answers it (`docs/checkpointers.md`). */
  source: string
}

export interface QuestionOutcome extends QualityQuestion {
  /** A result from `source` among the 3 a k=3 search returned. */
  hit: boolean
  /** 1-based rank of the first result from `source` in a k=`depth` search; null when absent. */
  rank: number | null
  /** Sources of the top 3 results, for reading a miss. */
  top: string[]
}

export interface QualityReport {
  questions: number
  /** Share of questions with a result from the answering page among the top 3. */
  hitAt3: number
  /** Mean of 1/rank of the first result from the answering page (0 when not in the top `depth`). */
  mrr: number
  depth: number
  outcomes: QuestionOutcome[]
}

/** The question set kept with the benchmark fixtures. */
export function loadQuestions(root: string): QualityQuestion[] {
  const file = join(root, 'bench', 'fixtures', 'rag', 'questions.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as { questions: QualityQuestion[] }).questions
}

/**
 * Retrieval quality of `collection` on questions whose answer lives in one
 * known page: hit@3 (is a chunk of that page among the top 3 results?) and
 * MRR over the top `depth`. Searches go through RagCollection.search, so the
 * figures include the ranking it applies. A result counts for its page when
 * its source ends with the page's path, whatever folder ingestion ran from.
 *
 * @example
 * const report = await measureQuality(rag.collection('docs'), loadQuestions(root))
 * report.hitAt3 // 0.9
 */
export async function measureQuality(collection: Searchable, questions: readonly QualityQuestion[], options: { depth?: number } = {}): Promise<QualityReport> {
  const depth = options.depth ?? 10
  const outcomes: QuestionOutcome[] = []
  for (const item of questions) {
    // hit@3 from a k=3 search: what an agent asking for 3 passages gets.
    const top = await collection.search(item.question, { k: 3 })
    const deep = await collection.search(item.question, { k: depth })
    const index = deep.findIndex((result) => fromPage(result.source, item.source))
    outcomes.push({
      ...item,
      hit: top.some((result) => fromPage(result.source, item.source)),
      rank: index >= 0 ? index + 1 : null,
      top: top.map((result) => result.source ?? result.id),
    })
  }
  const hits = outcomes.filter((outcome) => outcome.hit).length
  const reciprocal = outcomes.reduce((sum, outcome) => sum + (outcome.rank ? 1 / outcome.rank : 0), 0)
  return { questions: outcomes.length, hitAt3: round(hits / outcomes.length), mrr: round(reciprocal / outcomes.length), depth, outcomes }
}

function fromPage(source: string | undefined, page: string): boolean {
  if (!source) return false
  const normalised = source.replace(/\\/g, '/')
  return normalised === page || normalised.endsWith(`/${page}`) || page.endsWith(`/${normalised}`)
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
