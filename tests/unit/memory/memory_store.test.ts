import { MemoryManager } from '../../../framework/memory/memory_manager'
import { memoryStoreConformance } from '../../conformance/memory/memory_store_suite'

describe('long-term memory on the memory driver (InMemoryStore)', () => {
  memoryStoreConformance({
    create: async ({ semantic, allowAnonymous, embeddings }) =>
      new MemoryManager({ config: { default: 'memory', semantic, allowAnonymous: allowAnonymous ?? false, recallLimit: 5, episodeMaxChars: 2000 }, embeddings }),
  })

  it('names its drivers and refuses an unknown one with E_UNKNOWN_DRIVER', () => {
    const manager = new MemoryManager({ config: { default: 'memory', semantic: false, allowAnonymous: false, recallLimit: 5, episodeMaxChars: 2000 } })
    expect(manager.drivers).toEqual(['memory', 'postgres'])
    expect(manager.use()).toBe(manager.use('memory'))
    expect(() => manager.use('mongo')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER' }))
    expect(() => manager.use('postgres')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })
})
