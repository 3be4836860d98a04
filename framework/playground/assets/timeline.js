// A trace as a timeline: one row per span, indented under its parent, with a
// bar placed on the trace's time axis and the duration (and tokens) beside it.

function categoryOf(span) {
  const a = span.attributes || {}
  if (a['langgraph.node']) return 'node'
  if (a['gen_ai.operation.name'] === 'execute_tool') return 'tool'
  if (a['gen_ai.operation.name'] === 'invoke_agent' || span.name.startsWith('invoke_agent')) return 'run'
  if (a['gen_ai.operation.name']) return 'model'
  if (span.kind === 'server') return 'http'
  return 'other'
}

function tokensOf(span) {
  const a = span.attributes || {}
  const input = a['gen_ai.usage.input_tokens']
  const output = a['gen_ai.usage.output_tokens']
  if (input === undefined && output === undefined) return ''
  return ` · ${input ?? 0} in / ${output ?? 0} out tokens`
}

function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
}

/** Orders spans depth-first under their parents (spans whose parent is not recorded are roots). */
function ordered(spans) {
  const ids = new Set(spans.map((span) => span.spanId))
  const children = new Map()
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : ''
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent).push(span)
  }
  const out = []
  const visit = (parent, depth) => {
    const list = (children.get(parent) || []).sort((a, b) => a.startTime - b.startTime)
    for (const span of list) {
      out.push({ span, depth })
      visit(span.spanId, depth + 1)
    }
  }
  visit('', 0)
  return out
}

export function renderTimeline(container, trace) {
  container.replaceChildren()
  const spans = trace.spans || []
  if (spans.length === 0) {
    container.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'No spans recorded for this trace yet.' }))
    return
  }
  const start = Math.min(...spans.map((span) => span.startTime))
  const end = Math.max(...spans.map((span) => span.startTime + span.durationMs))
  const total = Math.max(end - start, 0.001)
  const legend = document.createElement('div')
  legend.className = 'timeline-legend'
  for (const category of ['http', 'run', 'node', 'tool', 'model']) {
    const item = document.createElement('span')
    item.className = `legend legend-${category}`
    item.textContent = category
    legend.append(item)
  }
  container.append(legend)
  for (const { span, depth } of ordered(spans)) {
    const row = document.createElement('div')
    const category = categoryOf(span)
    row.className = `span-row span-${category}${span.status === 'error' ? ' span-error' : ''}`
    row.dataset.category = category
    const label = document.createElement('div')
    label.className = 'span-label'
    label.style.paddingLeft = `${depth * 14}px`
    label.textContent = span.name
    label.title = JSON.stringify(span.attributes, null, 2)
    const track = document.createElement('div')
    track.className = 'span-track'
    const bar = document.createElement('div')
    bar.className = 'span-bar'
    bar.style.left = `${((span.startTime - start) / total) * 100}%`
    bar.style.width = `${Math.max((span.durationMs / total) * 100, 0.4)}%`
    track.append(bar)
    const meta = document.createElement('div')
    meta.className = 'span-meta'
    meta.textContent = `${formatMs(span.durationMs)}${tokensOf(span)}`
    row.append(label, track, meta)
    container.append(row)
  }
  if (trace.dropped_spans > 0) {
    container.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: `${trace.dropped_spans} more spans were not kept.` }))
  }
}
