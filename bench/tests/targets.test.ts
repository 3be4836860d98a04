import { COMPARISONS, needsToken, PRESETS, resolveHeaders, selectTargets, TARGETS } from '../targets'

describe('targets', () => {
  it('selects targets by name in the order given', () => {
    expect(selectTargets(['echo', 'baseline']).map((target) => target.name)).toEqual(['echo', 'baseline'])
  })

  it('names the unknown target, the known ones and the presets', () => {
    expect(() => selectTargets(['echo', 'ehco'])).toThrow(/ehco.*known: baseline, echo.*presets: stack, persistence, tracing, sdk/)
  })

  it('substitutes a minted token into header values and knows which targets need one', () => {
    const [secure] = selectTargets(['secure_echo'])
    expect(needsToken([secure])).toBe(true)
    expect(needsToken(selectTargets(['baseline', 'echo']))).toBe(false)
    expect(resolveHeaders(secure, { token: 'a.b.c' })).toEqual({ authorization: 'Bearer a.b.c' })
    expect(() => resolveHeaders(secure, {})).toThrow(/needs a token/)
  })

  it('has unique names and paths under /agents/ or the LangGraph protocol\'s /runs/', () => {
    expect(new Set(TARGETS.map((target) => target.name)).size).toBe(TARGETS.length)
    for (const target of TARGETS) expect(target.path).toMatch(/^\/(agents|runs)\//)
  })

  it('compares tracing on with off and the protocol\'s runs.wait with the native route, on the same echo request', () => {
    const [echo, tracing, sdk] = selectTargets(['echo', 'echo_tracing', 'echo_sdk'])
    expect(tracing).toMatchObject({ server: 'langvel', path: echo.path, body: echo.body, otlp: true })
    expect(tracing.env).toBeUndefined()
    expect(echo.otlp).toBeUndefined()
    expect(sdk).toMatchObject({ server: 'langvel', method: 'POST', path: '/runs/wait', body: { input: (echo.body as { input: unknown }).input, assistant_id: 'echo' }, expect: echo.expect })
    expect(selectTargets(['tracing']).map((target) => target.name)).toEqual(['baseline', 'echo', 'echo_tracing'])
    expect(selectTargets(['sdk']).map((target) => target.name)).toEqual(['echo', 'echo_sdk'])
    expect(COMPARISONS.filter((comparison) => comparison.reference === 'echo' && ['echo_tracing', 'echo_sdk'].includes(comparison.measured)).map((comparison) => comparison.target)).toEqual([0.9, 0.9])
  })

  it('runs the echo route on each checkpointer, with the default durability and with exit', () => {
    const targets = selectTargets(['persistence'])
    expect(targets.map((target) => [target.name, target.env])).toEqual([
      ['echo_memory', { STATE_CHECKPOINTER: 'memory' }],
      ['echo_memory_exit', { STATE_CHECKPOINTER: 'memory', AGENT_DURABILITY: 'exit' }],
      ['echo_sqlite', { STATE_CHECKPOINTER: 'sqlite' }],
      ['echo_sqlite_exit', { STATE_CHECKPOINTER: 'sqlite', AGENT_DURABILITY: 'exit' }],
      ['echo_postgres', { STATE_CHECKPOINTER: 'postgres' }],
      ['echo_postgres_exit', { STATE_CHECKPOINTER: 'postgres', AGENT_DURABILITY: 'exit' }],
    ])
    expect(targets.filter((target) => target.postgres).map((target) => target.name)).toEqual(['echo_postgres', 'echo_postgres_exit'])
    for (const target of targets) expect(target).toMatchObject({ server: 'langvel', path: '/agents/echo', persistence: { checkpointer: target.env?.STATE_CHECKPOINTER } })
    for (const preset of Object.values(PRESETS)) expect(() => selectTargets(preset)).not.toThrow()
  })
})
