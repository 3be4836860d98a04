import { validateCollectionName } from '../../../framework/rag/collection_name'
import { FakeEmbeddings } from '../../../framework/rag/embeddings/fake_embeddings'
import { ragErrorKind } from '../../../framework/rag/rag_metrics'
import { E_EMBEDDINGS_MISMATCH, E_SERVICE_UNAVAILABLE } from '../../../framework/errors'

describe('FakeEmbeddings', () => {
  const fake = new FakeEmbeddings(16)
  const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index], 0)

  it('gives the same unit vector for the same text, and closer vectors for texts sharing words', async () => {
    const [a, again, related, unrelated] = await fake.embedDocuments(['resume the thread', 'resume the thread', 'resume a paused thread', 'weather in Lisbon'])
    expect(a).toEqual(again)
    expect(a).toHaveLength(16)
    expect(Math.hypot(...a)).toBeCloseTo(1, 10)
    expect(cosine(a, related)).toBeGreaterThan(cosine(a, unrelated))
  })

  it('gives a valid vector for an empty text', async () => {
    const vector = await fake.embedQuery('')
    expect(Math.hypot(...vector)).toBeCloseTo(1, 10)
  })

  it('names its model after its length', async () => {
    expect(fake).toMatchObject({ provider: 'fake', model: 'fake-hash-16' })
    await expect(fake.dimensions()).resolves.toBe(16)
  })
})

describe('validateCollectionName', () => {
  it('accepts Chroma-valid names', () => {
    for (const name of ['docs', 'my-docs_v2.1', 'abc', 'A'.repeat(512)]) expect(validateCollectionName(name)).toBe(name)
  })

  it('refuses the rest with E_INVALID_COLLECTION (400)', () => {
    for (const name of ['ab', '', 'with space', '.hidden', 'ends-', 'é-accent', 'x'.repeat(513), 'slash/name']) {
      expect(() => validateCollectionName(name)).toThrow(expect.objectContaining({ code: 'E_INVALID_COLLECTION', status: 400 }))
    }
  })
})

describe('ragErrorKind', () => {
  it('labels errors by a closed set of kinds', () => {
    expect(ragErrorKind(new E_SERVICE_UNAVAILABLE('The vector store'))).toBe('unavailable')
    expect(ragErrorKind(new E_EMBEDDINGS_MISMATCH('docs', 'a', 'b'))).toBe('mismatch')
    expect(ragErrorKind(new Error('plain'))).toBe('other')
  })
})
