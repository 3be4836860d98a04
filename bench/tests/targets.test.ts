import { needsToken, resolveHeaders, selectTargets, TARGETS } from '../targets'

describe('targets', () => {
  it('selects targets by name in the order given', () => {
    expect(selectTargets(['echo', 'baseline']).map((target) => target.name)).toEqual(['echo', 'baseline'])
  })

  it('names the unknown target and the known ones', () => {
    expect(() => selectTargets(['echo', 'ehco'])).toThrow(/ehco.*known: baseline, echo/)
  })

  it('substitutes a minted token into header values and knows which targets need one', () => {
    const [secure] = selectTargets(['secure_echo'])
    expect(needsToken([secure])).toBe(true)
    expect(needsToken(selectTargets(['baseline', 'echo']))).toBe(false)
    expect(resolveHeaders(secure, { token: 'a.b.c' })).toEqual({ authorization: 'Bearer a.b.c' })
    expect(() => resolveHeaders(secure, {})).toThrow(/needs a token/)
  })

  it('has unique names and paths under /agents/', () => {
    expect(new Set(TARGETS.map((target) => target.name)).size).toBe(TARGETS.length)
    for (const target of TARGETS) expect(target.path).toMatch(/^\/agents\//)
  })
})
