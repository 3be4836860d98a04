import { normalizeAgentPath, parseAgentTarget } from '../../../framework/http/agent_path'

const none = () => false

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('parseAgentTarget', () => {
  it('reads a POST to an agent path, nested or not, as an invoke', () => {
    expect(parseAgentTarget('POST', '/agents/echo', none)).toEqual({ action: 'invoke', agentPath: 'echo' })
    expect(parseAgentTarget('POST', '/agents/support/billing-v2_x', none)).toEqual({ action: 'invoke', agentPath: 'support/billing-v2_x' })
  })

  it('recognises the graph, state, history and resume endpoints with their thread id', () => {
    expect(parseAgentTarget('GET', '/agents/support/graph', none)).toEqual({ action: 'graph', agentPath: 'support' })
    expect(parseAgentTarget('GET', '/agents/support/threads/T-1:a.b/state', none)).toEqual({ action: 'state', agentPath: 'support', threadId: 'T-1:a.b' })
    expect(parseAgentTarget('HEAD', '/agents/a/b/threads/t/history', none)).toEqual({ action: 'history', agentPath: 'a/b', threadId: 't' })
    expect(parseAgentTarget('POST', '/agents/a/threads/t/resume', none)).toEqual({ action: 'resume', agentPath: 'a', threadId: 't' })
  })

  it('prefers an agent registered at the full path over the resume form', () => {
    const has = (path: string) => path === 'a/threads/t/resume'
    expect(parseAgentTarget('POST', '/agents/a/threads/t/resume', has)).toEqual({ action: 'invoke', agentPath: 'a/threads/t/resume' })
  })

  it('recognises the background run endpoints with their run id', () => {
    expect(parseAgentTarget('POST', '/agents/support/billing/runs', none)).toEqual({ action: 'create_run', agentPath: 'support/billing' })
    expect(parseAgentTarget('GET', '/agents/support/runs/r-1', none)).toEqual({ action: 'show_run', agentPath: 'support', runId: 'r-1' })
    expect(parseAgentTarget('HEAD', '/agents/support/runs/r-1', none)).toEqual({ action: 'show_run', agentPath: 'support', runId: 'r-1' })
    expect(parseAgentTarget('POST', '/agents/a/b/runs/R_1.x/cancel', none)).toEqual({ action: 'cancel_run', agentPath: 'a/b', runId: 'R_1.x' })
    expect(parseAgentTarget('GET', '/agents/a/runs/r/wait', none)).toEqual({ action: 'wait_run', agentPath: 'a', runId: 'r' })
    expect(parseAgentTarget('GET', '/agents/a/runs/r/stream', none)).toEqual({ action: 'stream_run', agentPath: 'a', runId: 'r' })
  })

  it('prefers an agent registered at the full path over the run forms a POST can take', () => {
    const has = (path: string) => path === 'a/runs' || path === 'b/runs/r/cancel'
    expect(parseAgentTarget('POST', '/agents/a/runs', has)).toEqual({ action: 'invoke', agentPath: 'a/runs' })
    expect(parseAgentTarget('POST', '/agents/b/runs/r/cancel', has)).toEqual({ action: 'invoke', agentPath: 'b/runs/r/cancel' })
    expect(parseAgentTarget('GET', '/agents/a/runs/r', has)).toEqual({ action: 'show_run', agentPath: 'a', runId: 'r' })
  })

  it('keeps the graph of an agent whose path ends in runs, and reads a wrong method on a run URL as an invoke of that path', () => {
    expect(parseAgentTarget('GET', '/agents/a/runs/graph', none)).toEqual({ action: 'graph', agentPath: 'a/runs' })
    expect(parseAgentTarget('POST', '/agents/a/runs/r/wait', none)).toEqual({ action: 'invoke', agentPath: 'a/runs/r/wait' })
    expect(parseAgentTarget('GET', '/agents/a/runs/r/constructor', none)).toEqual({ action: 'invoke', agentPath: 'a/runs/r/constructor' })
  })

  it('refuses run ids that start with a dot or carry other characters', () => {
    expect(codeOf(() => parseAgentTarget('GET', '/agents/a/runs/.hidden', none))).toBe('E_BAD_REQUEST')
    expect(codeOf(() => parseAgentTarget('GET', '/agents/a/runs/r:1/wait', none))).toBe('E_BAD_REQUEST')
    expect(codeOf(() => parseAgentTarget('GET', '/agents/A/runs/r/wait', none))).toBe('E_BAD_REQUEST')
  })

  it.each([
    ['traversal', '/agents/../etc/passwd'],
    ['a dot segment', '/agents/./echo'],
    ['encoded dots', '/agents/%2e%2e/%2e%2e/etc/passwd'],
    ['an encoded slash', '/agents/echo%2f..%2fsecret'],
    ['a backslash', '/agents/..\\..\\windows'],
    ['an empty segment', '/agents/support//billing'],
    ['a trailing slash', '/agents/echo/'],
    ['upper case', '/agents/Echo'],
    ['a space', '/agents/ec ho'],
    ['a NUL byte', '/agents/echo\u0000'],
    ['non-ASCII', '/agents/échø'],
    ['nothing after the prefix', '/agents/'],
    ['a huge path', `/agents/${'a'.repeat(600)}`],
  ])('refuses %s with E_BAD_REQUEST', (_what, path) => {
    expect(codeOf(() => parseAgentTarget('POST', path, none))).toBe('E_BAD_REQUEST')
  })

  it('refuses thread ids that are dots only or carry other characters', () => {
    expect(codeOf(() => parseAgentTarget('GET', '/agents/a/threads/../state', none))).toBe('E_BAD_REQUEST')
    expect(codeOf(() => parseAgentTarget('GET', '/agents/a/threads/.hidden/state', none))).toBe('E_BAD_REQUEST')
  })

  it('refuses upper case in the agent part of a thread URL even though thread ids allow it', () => {
    expect(codeOf(() => parseAgentTarget('GET', '/agents/Support/threads/T1/state', none))).toBe('E_BAD_REQUEST')
  })
})

describe('normalizeAgentPath', () => {
  it('compares registered paths without their outer slashes', () => {
    expect(normalizeAgentPath('/support/billing/')).toBe('support/billing')
    expect(normalizeAgentPath('echo')).toBe('echo')
  })
})
