import type { Item } from '@langchain/langgraph-checkpoint'
import { E_INVALID_INPUT } from '../errors'

/**
 * The summary of one finished thread of one principal (episodic memory):
 * what happened in it, to be recalled in later threads.
 */
export interface Episode {
  /** The thread's key: its id under the agent's thread namespace (`/assistant:3f2a...`), so threads of two agents never share one. */
  key: string
  threadId: string
  /** The agent class that ran the thread. */
  agent: string
  /** The route path it was served at, when it ran through the router. */
  route?: string
  summary: string
  /** When the run that wrote this summary finished. */
  finishedAt: Date
  /** When the thread's first summary was stored; a later run of the thread replaces the summary, not this. */
  createdAt: Date
  updatedAt: Date
}

/** An episode as `episodes(query)` ranks it (`score`, as for recalled memories). */
export interface RecalledEpisode extends Episode {
  score: number
}

/** What `rememberEpisode` stores; the key defaults to the thread id. */
export interface EpisodeInput {
  threadId: string
  agent: string
  route?: string
  summary: string
  key?: string
  finishedAt?: Date
}

/** The value of an episode item (beside `text`, the summary, and the optional vector of every stored memory). */
export interface EpisodeValue extends Record<string, unknown> {
  threadId: string
  agent: string
  route?: string
  summary: string
  finishedAt: string
}

/** Summaries are cut to this many characters when the caller gives no bound (MEMORY_EPISODE_MAX_CHARS). */
export const DEFAULT_EPISODE_MAX_CHARS = 2000

/** The episode to store: checked, the summary trimmed and cut to `maxChars` (on a code point, never inside a surrogate pair). */
export function episodeValue(input: EpisodeInput, maxChars: number): { key: string; value: EpisodeValue } {
  if (typeof input.threadId !== 'string' || input.threadId.length === 0) throw new E_INVALID_INPUT('an episode needs the id of its thread')
  if (typeof input.summary !== 'string') throw new E_INVALID_INPUT('an episode summary is a string')
  const key = input.key ?? input.threadId
  const value: EpisodeValue = {
    threadId: input.threadId,
    agent: input.agent,
    summary: cut(input.summary.trim(), maxChars),
    finishedAt: (input.finishedAt ?? new Date()).toISOString(),
  }
  if (input.route) value.route = input.route
  return { key, value }
}

export function toEpisode(item: Item): Episode {
  const value = (item.value as { value: EpisodeValue }).value
  return {
    key: item.key,
    threadId: value.threadId,
    agent: value.agent,
    ...(value.route ? { route: value.route } : {}),
    summary: value.summary,
    finishedAt: new Date(value.finishedAt),
    createdAt: new Date(item.createdAt),
    updatedAt: new Date(item.updatedAt),
  }
}

function cut(text: string, maxChars: number): string {
  const points = [...text]
  if (points.length <= maxChars) return text
  return `${points.slice(0, Math.max(0, maxChars - 1)).join('')}…`
}
