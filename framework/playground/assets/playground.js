// The playground page: routes, graph, input form, runs and streams, interrupts,
// threads and the run's trace, all through the server's own API.
import { agentUrl, ApiError, getJson, loadCredential, postJson, postStream, saveCredential } from './api.js'
import { renderSchemaForm } from './schema_form.js'
import { renderTimeline } from './timeline.js'

const $ = (id) => document.getElementById(id)
const THREADS_KEY = 'langvel.playground.threads'

const page = {
  routes: [],
  route: undefined,
  readInput: () => ({}),
  mode: 'form',
  busy: false,
  graphs: 0,
  // The run in progress (aborted when another route is chosen) and the trace on screen.
  controller: undefined,
  traceId: undefined,
  resume: undefined,
}

// --- credential --------------------------------------------------------------

function setupCredential() {
  const credential = loadCredential()
  $('credential-kind').value = credential.kind
  $('credential-value').value = credential.value
  const save = () => saveCredential({ kind: $('credential-kind').value, value: $('credential-value').value.trim() })
  $('credential-kind').addEventListener('change', save)
  $('credential-value').addEventListener('input', save)
  $('credential-clear').addEventListener('click', () => {
    $('credential-value').value = ''
    save()
  })
  $('credential').addEventListener('submit', (event) => event.preventDefault())
}

// --- routes ------------------------------------------------------------------

async function loadRoutes() {
  const list = $('routes')
  try {
    const { routes, tracing } = await getJson('/_langvel/api/routes')
    page.routes = routes
    page.tracing = tracing !== false
    list.replaceChildren()
    for (const route of routes) {
      const item = document.createElement('li')
      const button = document.createElement('button')
      button.type = 'button'
      button.className = 'route-link'
      button.dataset.path = route.path
      const path = document.createElement('span')
      path.className = 'route-path'
      path.textContent = `/${route.path}`
      button.append(path)
      if (route.protected) {
        const lock = document.createElement('span')
        lock.className = 'pill pill-auth'
        lock.textContent = 'auth'
        button.append(lock)
      }
      if (route.description) {
        const description = document.createElement('small')
        description.className = 'muted'
        description.textContent = route.description
        button.append(description)
      }
      button.addEventListener('click', () => selectRoute(route.path))
      item.append(button)
      list.append(item)
    }
    const wanted = decodeURIComponent(location.hash.slice(1))
    if (routes.some((route) => route.path === wanted)) selectRoute(wanted)
  } catch (error) {
    list.replaceChildren(Object.assign(document.createElement('li'), { className: 'error', textContent: describe(error) }))
  }
}

function selectRoute(path) {
  const route = page.routes.find((item) => item.path === path)
  if (!route) return
  // A run of the previous route stops here: nothing of it lands on this route's page.
  page.controller?.abort()
  page.controller = undefined
  page.traceId = undefined
  page.resume = undefined
  setBusy(false)
  page.route = route
  history.replaceState(null, '', `#${encodeURIComponent(path)}`)
  for (const button of document.querySelectorAll('.route-link')) button.classList.toggle('active', button.dataset.path === path)
  $('empty').hidden = true
  $('route').hidden = false
  $('route-title').textContent = `/${route.path}`
  $('route-description').textContent = route.description || route.name || ''
  $('route-agent').textContent = route.agent
  page.readInput = renderSchemaForm($('input-form'), route.input_schema)
  $('input-json').value = JSON.stringify(safeRead(page.readInput) ?? {}, null, 2)
  setMode('form')
  $('thread-id').value = ''
  resetRun()
  $('trace').replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Run the agent to see its trace.' }))
  $('trace-id').textContent = ''
  $('thread-view').hidden = true
  renderThreads()
  void drawGraph(route)
}

async function drawGraph(route) {
  const target = $('graph')
  target.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Drawing…' }))
  try {
    const { graph } = await getJson(agentUrl(route.path, 'graph'))
    if (page.route !== route) return
    if (!window.mermaid) throw new Error('mermaid did not load')
    window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', flowchart: { useMaxWidth: true } })
    const { svg } = await window.mermaid.render(`graph-${++page.graphs}`, graph)
    if (page.route !== route) return
    // Mermaid's output is sanitised SVG (securityLevel strict).
    target.innerHTML = svg
    target.dataset.path = route.path
  } catch (error) {
    target.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: `Graph unavailable: ${describe(error)}` }))
  }
}

// --- input -------------------------------------------------------------------

function safeRead(read) {
  try {
    return read()
  } catch {
    return undefined
  }
}

function setMode(mode) {
  if (mode === 'json' && page.mode === 'form') {
    const value = safeRead(page.readInput)
    if (value !== undefined) $('input-json').value = JSON.stringify(value, null, 2)
  }
  if (mode === 'form' && page.mode === 'json') {
    try {
      page.readInput = renderSchemaForm($('input-form'), page.route.input_schema, JSON.parse($('input-json').value))
    } catch {
      // Invalid JSON keeps the form as it was.
    }
  }
  page.mode = mode
  $('tab-form').setAttribute('aria-selected', String(mode === 'form'))
  $('tab-json').setAttribute('aria-selected', String(mode === 'json'))
  $('input-form').hidden = mode !== 'form'
  $('input-json').hidden = mode !== 'json'
}

function readInput() {
  if (page.mode === 'json') {
    try {
      return JSON.parse($('input-json').value)
    } catch {
      throw new Error('The input is not valid JSON')
    }
  }
  return page.readInput()
}

function runBody(input) {
  const body = { input }
  const thread = $('thread-id').value.trim()
  if (thread) body.config = { thread_id: thread }
  return body
}

// --- runs --------------------------------------------------------------------

function resetRun() {
  // A trace still being fetched for an earlier run is not drawn any more.
  page.traceId = undefined
  $('events').replaceChildren()
  $('output').textContent = ''
  $('output').classList.remove('filled')
  $('interrupt').hidden = true
  showError(undefined)
  setStatus('')
}

function setStatus(text, kind = '') {
  $('status').textContent = text
  $('status').className = `status ${kind}`
}

function showError(error) {
  const box = $('input-error')
  box.hidden = !error
  box.textContent = error ? describe(error) : ''
}

function describe(error) {
  if (error instanceof ApiError) {
    const details = (error.details || []).map((item) => `${item.path || '(input)'}: ${item.message}`).join('; ')
    return `${error.status} ${error.code}: ${error.message}${details && !error.message.includes(details) ? ` (${details})` : ''}`
  }
  return error && error.message ? error.message : String(error)
}

function setBusy(busy) {
  page.busy = busy
  for (const id of ['run', 'stream', 'resume']) $(id).disabled = busy
}

function addEvent(event, data) {
  const item = document.createElement('li')
  item.className = `event event-${event}`
  item.dataset.event = event
  const name = document.createElement('span')
  name.className = 'event-name'
  name.textContent = event
  const body = document.createElement('code')
  body.textContent = summarize(event, data)
  item.append(name, body)
  $('events').append(item)
  item.scrollIntoView({ block: 'nearest' })
}

function summarize(event, data) {
  if (event === 'messages' && Array.isArray(data)) {
    const [chunk, meta] = data
    const text = chunk && (chunk.content ?? chunk.kwargs?.content)
    const calls = (chunk && chunk.tool_calls) || []
    const shown = typeof text === 'string' && text !== '' ? text : calls.length > 0 ? calls.map((call) => `→ ${call.name}(${JSON.stringify(call.args)})`).join(' ') : JSON.stringify(chunk)
    return `${meta?.langgraph_node ? `[${meta.langgraph_node}] ` : ''}${shown}`
  }
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  return text.length > 600 ? `${text.slice(0, 600)}…` : text
}

function showOutput(value) {
  $('output').textContent = JSON.stringify(value, null, 2)
  $('output').classList.add('filled')
}

function rememberThread(route, threadId) {
  if (!threadId || !route) return
  const all = threadsByRoute()
  const list = (all[route.path] || []).filter((id) => id !== threadId)
  list.unshift(threadId)
  all[route.path] = list.slice(0, 20)
  sessionStorage.setItem(THREADS_KEY, JSON.stringify(all))
  renderThreads()
}

function threadsByRoute() {
  try {
    return JSON.parse(sessionStorage.getItem(THREADS_KEY) || '{}')
  } catch {
    return {}
  }
}

/**
 * One form per pending interrupt, each built from its point's resume schema.
 * One interrupt is answered with its value; several (parallel tool approvals)
 * with `{ [interruptId]: value }`, so each call gets its own answer.
 */
function showInterrupts(route, threadId, interrupts) {
  const box = $('interrupt')
  if (!interrupts || interrupts.length === 0) {
    box.hidden = true
    page.resume = undefined
    return
  }
  const points = route.interrupts || []
  const forms = interrupts.map((interrupt, index) => {
    const point = points.find((item) => item.point === interrupt.node || (interrupt.node && item.point.endsWith(`/${interrupt.node}`))) || (points.length === 1 ? points[0] : undefined)
    const block = Object.assign(document.createElement('div'), { className: 'resume-block' })
    block.dataset.interrupt = interrupt.id || String(index)
    if (interrupts.length > 1) block.append(Object.assign(document.createElement('h5'), { className: 'mono', textContent: `${interrupt.node || 'interrupt'} · ${interrupt.id || index + 1}` }))
    const value = Object.assign(document.createElement('pre'), { className: 'code interrupt-value', textContent: JSON.stringify(interrupt.value, null, 2) })
    const form = Object.assign(document.createElement('form'), { className: 'schema-form resume-form', noValidate: true })
    form.addEventListener('submit', (event) => event.preventDefault())
    block.append(value, form)
    return { id: interrupt.id, block, read: renderSchemaForm(form, point && point.resume_schema ? point.resume_schema : {}) }
  })
  $('resume-forms').replaceChildren(...forms.map((item) => item.block))
  page.resume = {
    route,
    threadId,
    read: () => (forms.length === 1 ? forms[0].read() : Object.fromEntries(forms.map((item) => [item.id, item.read()]))),
  }
  box.hidden = false
  box.dataset.thread = threadId
}

async function afterRun(route, threadId, traceId, output, interrupts) {
  rememberThread(route, threadId)
  if (page.route !== route) return
  if (output === undefined && threadId) {
    try {
      output = (await getJson(agentUrl(route.path, 'threads', threadId, 'state'))).values
    } catch (error) {
      if (page.route === route) showError(error)
    }
  }
  // Another route was chosen meanwhile: its page is not this run's.
  if (page.route !== route) return
  if (output !== undefined) showOutput(output)
  showInterrupts(route, threadId, interrupts)
  if (traceId || !page.tracing) void loadTrace(traceId || '')
}

async function run() {
  if (page.busy) return
  const route = page.route
  resetRun()
  let input
  try {
    input = readInput()
  } catch (error) {
    return showError(error)
  }
  const controller = new AbortController()
  page.controller = controller
  setBusy(true)
  setStatus('running…', 'running')
  try {
    const result = await postJson(agentUrl(route.path), runBody(input), controller.signal)
    if (controller.signal.aborted) return rememberThread(route, result.thread_id)
    addEvent('result', { thread_id: result.thread_id, interrupts: result.interrupts.length, duration_ms: result.metadata?.duration_ms })
    setStatus(result.interrupts.length > 0 ? 'interrupted' : 'completed', result.interrupts.length > 0 ? 'waiting' : 'ok')
    await afterRun(route, result.thread_id, result.metadata?.trace_id, result.output, result.interrupts)
  } catch (error) {
    if (controller.signal.aborted) return
    setStatus('failed', 'failed')
    showError(error)
  } finally {
    if (page.controller === controller) {
      page.controller = undefined
      setBusy(false)
    }
  }
}

/** Streams a run (or a resume) and shows each event as it arrives; the output once the stream ends. */
async function stream(route, url, body) {
  const controller = new AbortController()
  page.controller = controller
  setBusy(true)
  setStatus('streaming…', 'running')
  let threadId
  let traceId
  let interrupts = []
  let status = 'completed'
  try {
    await postStream(url, { ...body, stream_mode: ['updates', 'messages', 'custom'] }, async ({ event, data }) => {
      if (controller.signal.aborted) return
      addEvent(event, data)
      if (event === 'metadata') {
        threadId = data.thread_id
        traceId = data.trace_id
      } else if (event === 'interrupt') {
        interrupts = data.interrupts || []
      } else if (event === 'error') {
        status = 'failed'
        showError(new ApiError(500, { error: data }))
      } else if (event === 'end') {
        status = data.status
      }
      // Yield to the browser between events, so each is on screen before the next is read.
      await new Promise((resolve) => setTimeout(resolve, 0))
    }, controller.signal)
    if (controller.signal.aborted) return rememberThread(route, threadId)
    setStatus(status, status === 'completed' ? 'ok' : status === 'interrupted' ? 'waiting' : 'failed')
    await afterRun(route, threadId, traceId, undefined, interrupts)
  } catch (error) {
    // Stopped because another route was chosen: the thread is still filed under its own route.
    if (controller.signal.aborted) return rememberThread(route, threadId)
    setStatus('failed', 'failed')
    showError(error)
  } finally {
    if (page.controller === controller) {
      page.controller = undefined
      setBusy(false)
    }
  }
}

function streamRun() {
  if (page.busy) return
  resetRun()
  let input
  try {
    input = readInput()
  } catch (error) {
    return showError(error)
  }
  void stream(page.route, agentUrl(page.route.path), runBody(input))
}

function resume() {
  const pending = page.resume
  if (page.busy || !pending || pending.route !== page.route) return
  let value
  try {
    value = pending.read()
  } catch (error) {
    return showError(error)
  }
  const { route, threadId } = pending
  page.resume = undefined
  $('interrupt').hidden = true
  $('output').textContent = ''
  $('output').classList.remove('filled')
  showError(undefined)
  void stream(route, agentUrl(route.path, 'threads', threadId, 'resume'), { value })
}

// --- traces --------------------------------------------------------------------

async function loadTrace(traceId, attempt = 0) {
  if (attempt === 0) page.traceId = traceId
  // A later run (or another route) owns the trace panel now.
  if (page.traceId !== traceId) return
  $('trace-id').textContent = traceId
  if (!page.tracing) {
    $('trace').replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Tracing is disabled on this server (OTEL_SDK_DISABLED=true): no trace is recorded.' }))
    return
  }
  try {
    const trace = await getJson(`/_langvel/api/traces/${encodeURIComponent(traceId)}`)
    if (page.traceId !== traceId) return
    renderTimeline($('trace'), trace)
    // The request's own span ends once its response is out: fetch once more to show it.
    if (!trace.spans.some((span) => span.kind === 'server') && attempt < 3) setTimeout(() => loadTrace(traceId, attempt + 1), 250)
  } catch (error) {
    if (page.traceId !== traceId) return
    if (error instanceof ApiError && error.status === 404 && attempt < 3) {
      setTimeout(() => loadTrace(traceId, attempt + 1), 250)
      return
    }
    $('trace').replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: `No trace: ${describe(error)}` }))
  }
}

// --- threads -------------------------------------------------------------------

function renderThreads() {
  const list = $('threads')
  list.replaceChildren()
  const ids = (page.route && threadsByRoute()[page.route.path]) || []
  if (ids.length === 0) {
    list.append(Object.assign(document.createElement('li'), { className: 'muted', textContent: 'Threads this tab ran on this route appear here.' }))
    return
  }
  for (const id of ids) {
    const item = document.createElement('li')
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'link mono'
    button.textContent = id
    button.addEventListener('click', () => openThread(id))
    item.append(button)
    list.append(item)
  }
}

async function openThread(threadId) {
  const route = page.route
  $('thread-view').hidden = false
  $('thread-view-id').textContent = threadId
  $('thread-state').textContent = 'Loading…'
  $('thread-history').replaceChildren()
  try {
    const [state, { history }] = await Promise.all([
      getJson(agentUrl(route.path, 'threads', threadId, 'state')),
      getJson(agentUrl(route.path, 'threads', threadId, 'history')),
    ])
    if (page.route !== route) return
    $('thread-state').textContent = JSON.stringify({ values: state.values, next: state.next }, null, 2)
    for (const checkpoint of history) {
      const item = document.createElement('li')
      const title = document.createElement('div')
      title.className = 'mono'
      const step = checkpoint.metadata && checkpoint.metadata.step
      title.textContent = `${checkpoint.created_at || ''}  step ${step ?? '?'}  next: ${checkpoint.next.join(', ') || '—'}`
      const values = document.createElement('code')
      values.textContent = summarize('values', checkpoint.values)
      item.append(title, values)
      $('thread-history').append(item)
    }
    $('thread-id').value = threadId
    showInterrupts(route, threadId, state.interrupts)
  } catch (error) {
    if (page.route === route) $('thread-state').textContent = describe(error)
  }
}

// --- start ---------------------------------------------------------------------

function start() {
  setupCredential()
  $('tab-form').addEventListener('click', () => setMode('form'))
  $('tab-json').addEventListener('click', () => setMode('json'))
  $('run').addEventListener('click', run)
  $('stream').addEventListener('click', streamRun)
  $('resume').addEventListener('click', resume)
  $('open-thread').addEventListener('submit', (event) => {
    event.preventDefault()
    const id = $('open-thread-id').value.trim()
    if (id && page.route) void openThread(id)
  })
  void loadRoutes()
}

start()
