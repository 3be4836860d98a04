import { E_BAD_REQUEST } from '../errors'

export type AgentAction = 'invoke' | 'graph' | 'state' | 'history' | 'resume' | 'create_run' | 'show_run' | 'cancel_run' | 'wait_run' | 'stream_run'

export interface AgentTarget {
  action: AgentAction
  /** The agent route path without leading or trailing slash (`support/billing`). */
  agentPath: string
  threadId?: string
  /** The background run of `/runs/{run_id}` endpoints. */
  runId?: string
}

export const AGENT_PREFIX = '/agents/'
/** The route alphabet: what an agent path segment may contain. */
const AGENT_SEGMENT = /^[a-z0-9_-]+$/
/** Thread ids come from clients (config.thread_id) or are UUIDs; never dots only. */
export const THREAD_ID_PATTERN = /^[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,127}$/
/** Characters a request under /agents/ may contain at all; `%` is absent, so nothing is ever decoded. */
const URL_ALPHABET = /^[A-Za-z0-9._:/-]+$/
/** Run ids as the runs table accepts them (UUIDs when the server makes them). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/
/** What follows `/runs/{run_id}/`, by method. */
const RUN_SUFFIXES = new Map<string, AgentAction>([
  ['GET wait', 'wait_run'],
  ['GET stream', 'stream_run'],
  ['POST cancel', 'cancel_run'],
])
const MAX_PATH_LENGTH = 512

/**
 * Turns the raw request target under `/agents/` into an action, before any
 * routing and without decoding it: percent-encoding (`%2e%2e`, `%2f`),
 * backslashes, dot segments, empty segments and characters outside the route
 * alphabet `[a-z0-9-_/]` are refused with 400. Agent paths are only ever
 * looked up in the route table; they never reach the filesystem.
 *
 * `hasRoute` settles the one ambiguity: a POST to `a/threads/b/resume`,
 * `a/runs` or `a/runs/r/cancel` is an invoke when an agent is registered at
 * exactly that path.
 *
 * @example
 * parseAgentTarget('GET', '/agents/support/threads/t-1/state', has)
 * // { action: 'state', agentPath: 'support', threadId: 't-1' }
 * parseAgentTarget('GET', '/agents/support/runs/r-1/wait', has)
 * // { action: 'wait_run', agentPath: 'support', runId: 'r-1' }
 */
export function parseAgentTarget(method: string, rawPath: string, hasRoute: (agentPath: string) => boolean): AgentTarget {
  if (!rawPath.startsWith(AGENT_PREFIX)) throw invalid('it must start with /agents/')
  const rest = rawPath.slice(AGENT_PREFIX.length)
  if (rest.length === 0 || rest.length > MAX_PATH_LENGTH) throw invalid(`it must be 1 to ${MAX_PATH_LENGTH} characters`)
  if (!URL_ALPHABET.test(rest)) throw invalid('only a-z, 0-9, "-", "_" and "/" are allowed (no encoded characters)')
  const segments = rest.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw invalid('empty and dot segments are not allowed')
  }

  const count = segments.length
  const last = segments[count - 1]
  const threadForm = count >= 4 && segments[count - 3] === 'threads'
  if ((method === 'GET' || method === 'HEAD') && last === 'graph' && count >= 2) {
    return { action: 'graph', agentPath: agentPath(segments.slice(0, -1)) }
  }
  if ((method === 'GET' || method === 'HEAD') && threadForm && (last === 'state' || last === 'history')) {
    return { action: last, agentPath: agentPath(segments.slice(0, -3)), threadId: threadId(segments[count - 2]) }
  }
  const registered = method === 'POST' && isAgentPath(segments) && hasRoute(segments.join('/'))
  if (method === 'POST' && threadForm && last === 'resume' && !registered) {
    return { action: 'resume', agentPath: agentPath(segments.slice(0, -3)), threadId: threadId(segments[count - 2]) }
  }
  if (method === 'POST' && count >= 2 && last === 'runs' && !registered) {
    return { action: 'create_run', agentPath: agentPath(segments.slice(0, -1)) }
  }
  const read = method === 'HEAD' ? 'GET' : method
  if (read === 'GET' && count >= 3 && segments[count - 2] === 'runs') {
    return { action: 'show_run', agentPath: agentPath(segments.slice(0, -2)), runId: runId(last) }
  }
  const runAction = count >= 4 && segments[count - 3] === 'runs' ? RUN_SUFFIXES.get(`${read} ${last}`) : undefined
  if (runAction && !registered) {
    return { action: runAction, agentPath: agentPath(segments.slice(0, -3)), runId: runId(segments[count - 2]) }
  }
  return { action: 'invoke', agentPath: agentPath(segments) }
}

/** Route paths as registered (`/echo`, `echo/`) compared without their outer slashes. */
export function normalizeAgentPath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '')
}

function isAgentPath(segments: string[]): boolean {
  return segments.every((segment) => AGENT_SEGMENT.test(segment))
}

function agentPath(segments: string[]): string {
  if (!isAgentPath(segments)) throw invalid('only a-z, 0-9, "-", "_" and "/" are allowed')
  return segments.join('/')
}

function threadId(value: string): string {
  if (!THREAD_ID_PATTERN.test(value)) throw new E_BAD_REQUEST('Invalid thread id: use 1-128 of A-Z a-z 0-9 . _ : -')
  return value
}

function runId(value: string): string {
  if (!RUN_ID_PATTERN.test(value)) throw new E_BAD_REQUEST('Invalid run id: use 1-128 of A-Z a-z 0-9 . _ -')
  return value
}

function invalid(reason: string) {
  return new E_BAD_REQUEST(`Invalid agent path: ${reason}`)
}
