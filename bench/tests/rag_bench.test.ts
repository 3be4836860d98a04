import { parseRagBenchArgs } from '../rag_bench'
import { loadQuestions, measureQuality } from '../rag_quality'
import type { SearchOptions, SearchResult } from '../../framework/rag/types'
import { join } from 'node:path'

const result = (source: string): SearchResult => ({ id: source, text: '', score: 0.5, metadata: { source }, source })

describe('measureQuality', () => {
  it('counts a hit when the answering page is among the first 3, and MRR from the rank of its first chunk', async () => {
    const answers: Record<string, string[]> = {
      first: ['docs/a.md', 'docs/b.md', 'docs/c.md'],
      third: ['docs/b.md', 'docs/c.md', 'docs/a.md'],
      fifth: ['docs/b.md', 'docs/c.md', 'docs/d.md', 'docs/e.md', 'docs/a.md'],
      never: ['docs/b.md'],
    }
    const collection = { search: async (query: string, options: SearchOptions = {}) => answers[query].slice(0, options.k).map(result) }
    const report = await measureQuality(collection, Object.keys(answers).map((question) => ({ question, source: 'docs/a.md' })))
    expect(report.outcomes.map((outcome) => [outcome.hit, outcome.rank])).toEqual([
      [true, 1],
      [true, 3],
      [false, 5],
      [false, null],
    ])
    expect(report.hitAt3).toBe(0.5)
    expect(report.mrr).toBe(Math.round(((1 + 1 / 3 + 1 / 5) / 4) * 1000) / 1000)
  })

  it('matches a source recorded from another folder by its path ending', async () => {
    const collection = { search: async () => [result('/srv/app/docs/a.md')] }
    expect((await measureQuality(collection, [{ question: 'q', source: 'docs/a.md' }])).hitAt3).toBe(1)
  })

  it('reads the question set kept with the fixtures: pages of docs/', () => {
    const questions = loadQuestions(join(__dirname, '..', '..'))
    expect(questions.length).toBeGreaterThanOrEqual(20)
    for (const question of questions) expect(question.source).toMatch(/^docs\/[\w.-]+\.md$/)
  })
})

describe('parseRagBenchArgs', () => {
  it('defaults to 5000 chunks, k=5, fake embeddings for the corpus and quality with fake and local', () => {
    expect(parseRagBenchArgs([], new Date('2026-01-02T03:04:05Z'))).toEqual({
      name: 'rag-2026-01-02T03-04-05-000Z',
      chunks: 5000,
      queries: 500,
      k: 5,
      embeddings: 'fake',
      quality: ['fake', 'local'],
      help: false,
    })
  })

  it('refuses an unknown provider, a bad number and a stray argument, naming them', () => {
    expect(() => parseRagBenchArgs(['--embeddings', 'openai'])).toThrow('--embeddings "openai"')
    expect(() => parseRagBenchArgs(['--chunks', 'many'])).toThrow('--chunks "many"')
    expect(() => parseRagBenchArgs(['load'])).toThrow('unexpected argument: load')
  })
})
