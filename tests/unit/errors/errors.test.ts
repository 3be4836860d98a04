import { E_AGENT_NOT_FOUND, E_FILE_EXISTS, E_INVALID_CONFIG, E_UNKNOWN_DRIVER, Exception, createError, isException } from '../../../framework/errors'

describe('typed errors', () => {
  it('carry a stable code, an HTTP status and a message built from their arguments', () => {
    const error = new E_AGENT_NOT_FOUND('/support')
    expect(error).toBeInstanceOf(Exception)
    expect(error).toBeInstanceOf(E_AGENT_NOT_FOUND)
    expect(error.code).toBe('E_AGENT_NOT_FOUND')
    expect(error.status).toBe(404)
    expect(error.name).toBe('E_AGENT_NOT_FOUND')
    expect(error.message).toContain('/support')
    expect(isException(error)).toBe(true)
    expect(isException(new Error('plain'))).toBe(false)
  })

  it('expose client errors and hide server errors', () => {
    expect(new E_AGENT_NOT_FOUND('/x').expose).toBe(true)
    expect(new E_UNKNOWN_DRIVER('cache', 'mem', ['memory', 'redis']).expose).toBe(false)
  })

  it('take help, details and a cause as an optional last argument', () => {
    const cause = new Error('disk full')
    const error = new E_INVALID_CONFIG(['A=1: bad'], { details: [{ key: 'A' }], cause })
    expect(error.details).toEqual([{ key: 'A' }])
    expect(error.cause).toBe(cause)
    expect(error.help).toContain('docs/CONFIGURATION.md')
    expect(new E_FILE_EXISTS('app/agents/x.ts').help).toContain('--force')
  })

  it('lists the available drivers when a driver name is unknown', () => {
    expect(new E_UNKNOWN_DRIVER('checkpointer', 'postgress', ['memory', 'postgres']).message).toBe(
      'Unknown checkpointer driver "postgress". Available: memory, postgres',
    )
  })

  it('can be declared by applications with createError', () => {
    const E_CUSTOM = createError('E_RUNTIME', 418, (what: string) => `no ${what}`)
    const error = new E_CUSTOM('coffee')
    expect(error.status).toBe(418)
    expect(error.message).toBe('no coffee')
  })
})
