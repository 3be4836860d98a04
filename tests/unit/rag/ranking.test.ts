import { candidateCount, keywordScores, rankMatches, tokenize } from '../../../framework/rag/ranking'
import type { QueryMatch } from '../../../framework/rag/types'

const match = (id: string, text: string, distance: number, metadata: QueryMatch['metadata'] = {}): QueryMatch => ({ id, text, distance, metadata })

describe('rankMatches', () => {
  it('scores by vector similarity alone with keywordWeight 0: 1 - distance / 2, best first, with source and chunk', () => {
    const results = rankMatches('anything', [match('far', 'a', 1, { source: 'docs/b.md', chunk: 2 }), match('near', 'b', 0.2)], { keywordWeight: 0 })
    expect(results.map((result) => [result.id, result.score])).toEqual([
      ['near', 0.9],
      ['far', 0.5],
    ])
    expect(results[1]).toMatchObject({ source: 'docs/b.md', chunk: 2, metadata: { source: 'docs/b.md', chunk: 2 } })
  })

  it('lifts the passage that shares the rare words of the question above nearer but vaguer neighbours', () => {
    const matches = [
      match('vague', 'Threads are saved after each step of the graph by the configured driver.', 0.3),
      match('other', 'Agents run graphs; each step returns an update.', 0.32),
      match('exact', 'The redis driver keeps a thread for CHECKPOINT_REDIS_TTL after its last write.', 0.45),
    ]
    expect(rankMatches('how long does redis keep a thread (ttl)?', matches, { keywordWeight: 0 })[0].id).toBe('vague')
    expect(rankMatches('how long does redis keep a thread (ttl)?', matches)[0].id).toBe('exact')
  })

  it('keeps every score within 0..1, also for distances outside the cosine range', () => {
    const scores = rankMatches('redis', [match('a', 'redis redis', -0.5), match('b', 'nothing', 3)]).map((result) => result.score)
    for (const score of scores) expect(score).toBeGreaterThanOrEqual(0)
    for (const score of scores) expect(score).toBeLessThanOrEqual(1)
  })

  it('counts words of the heading ingestion recorded for a chunk', () => {
    const scores = keywordScores('rate limiter algorithm', [
      { text: 'A sliding-window log of request times.', metadata: { heading: 'Rate limiting > The algorithm' } },
      { text: 'A sliding-window log of request times.' },
    ])
    expect(scores[0]).toBe(1)
    expect(scores[1]).toBe(0)
  })
})

describe('keywordScores', () => {
  it('gives the best match 1, others a share, and all 0 when no word of the query appears', () => {
    const scores = keywordScores('checkpointer ttl', [{ text: 'checkpointer ttl ttl' }, { text: 'the checkpointer' }, { text: 'unrelated' }])
    expect(scores[0]).toBe(1)
    expect(scores[1]).toBeGreaterThan(0)
    expect(scores[1]).toBeLessThan(1)
    expect(scores[2]).toBe(0)
    expect(keywordScores('zebra', [{ text: 'checkpointer' }])).toEqual([0])
  })
})

describe('tokenize', () => {
  it('drops function words, splits identifiers and matches simple inflections', () => {
    expect(tokenize('How do I resume the threads?')).toEqual(tokenize('resumed thread'))
    expect(tokenize('CHECKPOINT_REDIS_TTL')).toEqual(['checkpoint', 'redis', 'ttl'])
    expect(tokenize('policies caching cached')).toEqual(['policy', 'cach', 'cach'])
  })
})

describe('candidateCount', () => {
  it('asks the store for the same pool for every small k, so a smaller k returns a prefix of a larger one', () => {
    expect(candidateCount(3)).toBe(candidateCount(10))
    expect(candidateCount(3)).toBeGreaterThan(10)
    expect(candidateCount(500)).toBe(500)
  })
})
