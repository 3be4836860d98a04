import { z } from 'zod'
import { Agent } from '../agents/agent'
import type { AgentRouteInfo, AgentRunner } from '../contracts/agent_run'
import { E_BAD_REQUEST, E_RUNTIME, E_VALIDATION } from '../errors'
import type { HttpContext } from '../http/context'
import { validationDetails } from '../http/controllers/runs_controller'

/** The body as `schema` reads it, or E_VALIDATION (422) listing each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body)
  if (!result.success) throw new E_VALIDATION('The request body is invalid', { details: validationDetails(result.error.issues) })
  return result.data
}

/** A boolean query parameter (`?xray=true`); absent is false. */
export function queryFlag(ctx: HttpContext, name: string): boolean {
  const value = ctx.searchParam(name)
  if (value === null || value === '' || value === 'false' || value === '0') return false
  if (value === 'true' || value === '1') return true
  throw new E_BAD_REQUEST(`${name} must be true or false`)
}

/** The compiled agent of a route, for reading its LangGraph graph and checkpoints. */
export async function agentOf(runner: AgentRunner, route: AgentRouteInfo): Promise<Agent> {
  const agent = await runner.compiledAgent?.(route.path)
  if (!(agent instanceof Agent)) throw new E_RUNTIME(`The agent of ${route.path} does not expose its LangGraph graph`)
  return agent
}

/** Deletes a thread's checkpoints from its agent's checkpointer. */
export async function deleteCheckpoints(agent: Agent, threadId: string): Promise<void> {
  const saver = agent.compiledGraph.checkpointer
  if (!saver || typeof saver === 'boolean') return
  await saver.deleteThread(agent.checkpointConfig(threadId).configurable?.thread_id as string)
}

/** The most a thread's metadata may hold, as JSON: anyone, anonymous callers too, may create threads. */
export const MAX_METADATA_BYTES = 64 * 1024

/** Whether `metadata` fits in MAX_METADATA_BYTES as JSON. */
export function metadataFits(metadata: unknown): boolean {
  return Buffer.byteLength(JSON.stringify(metadata ?? {}), 'utf8') <= MAX_METADATA_BYTES
}

/** A metadata object, at most MAX_METADATA_BYTES as JSON. */
export const boundedMetadata = z.record(z.string(), z.unknown()).refine(metadataFits, `metadata must be at most ${MAX_METADATA_BYTES / 1024} KB as JSON`)
