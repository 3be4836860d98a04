export interface SseEvent {
  id?: string
  event: string
  data: any
}

/** Splits a text/event-stream body into events; comment lines are returned separately. */
export function parseSse(text: string): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = []
  const comments: string[] = []
  for (const frame of text.split('\n\n')) {
    if (!frame.trim()) continue
    const event: Partial<SseEvent> & { dataText?: string } = {}
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim())
      else if (line.startsWith('id: ')) event.id = line.slice(4)
      else if (line.startsWith('event: ')) event.event = line.slice(7)
      else if (line.startsWith('data: ')) event.dataText = line.slice(6)
    }
    if (event.event) events.push({ id: event.id, event: event.event, data: event.dataText === undefined ? undefined : JSON.parse(event.dataText) })
  }
  return { events, comments }
}
