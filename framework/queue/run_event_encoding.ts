import { toPlainValues } from '../agents/plain_values'
import { cleanValues } from '../agents/run_support'
import type { StreamEvent } from '../contracts/agent_run'
import { serializedMessage } from '../langgraph_api/messages_mode'

/**
 * A runner event as a background run's event log stores it, the same for
 * the agent API and the LangGraph API: `values` as plain state values,
 * `updates` keyed by the node that wrote them, `messages` as LangGraph's
 * `[message, metadata]` tuple, `custom` as written; a subgraph's events are
 * named `<mode>|<namespace>`.
 */
export function encodeRunEvent(event: Exclude<StreamEvent, { event: 'interrupt' }>): { event: string; data: unknown } {
  const suffix = event.namespace?.length ? `|${event.namespace.join('|')}` : ''
  switch (event.event) {
    case 'values':
      return { event: `values${suffix}`, data: toPlainValues(cleanValues(event.data)) }
    case 'updates': {
      const data = toPlainValues(cleanValues(event.data))
      return { event: `updates${suffix}`, data: event.node !== undefined ? { [event.node]: data } : data }
    }
    case 'messages': {
      const [chunk, metadata] = event.data as [unknown, unknown]
      return { event: `messages${suffix}`, data: [serializedMessage(chunk), metadata] }
    }
    default:
      return { event: `${event.event}${suffix}`, data: event.data }
  }
}
