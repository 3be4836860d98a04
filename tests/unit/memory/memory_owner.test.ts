import { validateNamespace } from '@langchain/langgraph-checkpoint'
import { memoryNamespace, ownerOf, parseOwner } from '../../../framework/memory/memory_owner'

describe('memory owners', () => {
  it('writes a principal as <type>:<id>, as thread ownership does', () => {
    expect(ownerOf({ id: '42', type: 'user', permissions: [] })).toBe('user:42')
    expect(ownerOf({ id: '42', type: 'api_key', permissions: [] })).toBe('api_key:42')
  })

  it('reads a principal typed on the command line; a bare id is a user', () => {
    expect(parseOwner('42')).toBe('user:42')
    expect(parseOwner(' user:42 ')).toBe('user:42')
    expect(parseOwner('api_key:k_1')).toBe('api_key:k_1')
    expect(parseOwner('system:cli')).toBe('system:cli')
    expect(parseOwner('anonymous')).toBe('anonymous')
    expect(parseOwner('alice@example.com')).toBe('user:alice@example.com')
    expect(parseOwner('team:ops')).toBe('user:team:ops')
    expect(() => parseOwner('  ')).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
  })

  it('gives each owner a namespace every LangGraph store accepts, distinct for distinct owners', () => {
    const owners = ['user:1', 'user:10', 'user:1.0', 'api_key:1', 'user:a_b%c\\d', 'user:é', 'user:~3a', 'anonymous', 'user:anonymous']
    const labels = owners.map((owner) => memoryNamespace(owner))
    for (const namespace of labels) {
      expect(() => validateNamespace(namespace)).not.toThrow()
      expect(namespace[0]).toBe('memories')
      expect(namespace[1]).toMatch(/^[A-Za-z0-9~-]+$/)
    }
    expect(new Set(labels.map((namespace) => namespace[1])).size).toBe(owners.length)
    expect(memoryNamespace('user:42')).toEqual(['memories', 'user~3a42', 'm'])
    expect(memoryNamespace('anonymous')).toEqual(['memories', 'anonymous', 'm'])
  })

  it('ends every namespace with a level of its own, so the text prefix of one owner is never that of another', () => {
    // Stores such as Postgres match a search prefix as text: `memories:user~3a1` is a prefix of `memories:user~3a10`.
    const joined = (owner: string) => memoryNamespace(owner).join(':')
    for (const [short, long] of [['user:1', 'user:10'], ['user:a', 'user:ab'], ['user:alice', 'user:alice-2']]) {
      expect(joined(long).startsWith(joined(short))).toBe(false)
    }
  })

  it('refuses an id holding an unpaired surrogate, which UTF-8 would turn into U+FFFD and merge with another owner', () => {
    for (const owner of ['user:x\uD800', 'user:x\uDC00', 'user:\uDC00\uD800', 'user:x\uD83D']) {
      expect(() => memoryNamespace(owner)).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
      expect(() => parseOwner(owner)).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
    }
    // Well-formed ids keep distinct namespaces: U+FFFD itself and a real surrogate pair are fine.
    expect(memoryNamespace('user:x\uFFFD')).not.toEqual(memoryNamespace('user:x\uD83D\uDE00'))
    expect(parseOwner('x\uD83D\uDE00')).toBe('user:x\uD83D\uDE00')
  })
})
