// A form generated from a JSON Schema (what zod's toJSONSchema produces for an
// agent's input or an interrupt's resume value). Objects become fieldsets,
// strings text fields, numbers number fields, booleans checkboxes, enums
// selects; anything else gets a small JSON field of its own.

let counter = 0

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (name === 'text') node.textContent = value
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) node.append(child)
  return node
}

function kindOf(schema) {
  if (!schema || typeof schema !== 'object') return 'json'
  if (Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === 'string')) return 'enum'
  if (schema.const !== undefined) return 'const'
  const type = Array.isArray(schema.type) ? schema.type.find((item) => item !== 'null') : schema.type
  if (type === 'object' && schema.properties) return 'object'
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') return type
  return 'json'
}

/** One field: returns its element and a `read()` giving the value (undefined when left empty). */
function field(name, schema, required, initial) {
  const id = `field-${++counter}`
  const kind = kindOf(schema)
  const label = element('label', { for: id, text: schema.title || name })
  if (required) label.append(element('span', { class: 'required', text: ' *' }))
  const hint = schema.description ? element('small', { class: 'muted', text: schema.description }) : undefined
  const wrap = (control) => element('div', { class: `field field-${kind}` }, [label, control, ...(hint ? [hint] : [])])

  if (kind === 'object') {
    const nested = objectFields(schema, initial)
    const legend = element('legend', { text: schema.title || name })
    const set = element('fieldset', {}, [legend, ...(hint ? [hint] : []), ...nested.nodes])
    if (required) return { node: set, read: nested.read }
    // An optional object is left out unless asked for: its own required fields would otherwise always be sent.
    const include = element('input', { type: 'checkbox', 'aria-label': `Include ${name}` })
    include.checked = initial !== undefined
    const sync = () => {
      set.classList.toggle('excluded', !include.checked)
      for (const control of set.querySelectorAll('input, select, textarea')) if (control !== include) control.disabled = !include.checked
    }
    include.addEventListener('change', sync)
    legend.prepend(include, ' ')
    sync()
    return { node: set, read: () => (include.checked ? nested.read() : undefined) }
  }
  if (kind === 'const') return { node: element('span'), read: () => schema.const }
  if (kind === 'boolean' && required) {
    const input = element('input', { id, name, type: 'checkbox' })
    input.checked = initial ?? schema.default ?? false
    const row = element('div', { class: 'field field-boolean' }, [input, label, ...(hint ? [hint] : [])])
    return { node: row, read: () => input.checked }
  }
  if (kind === 'boolean') {
    // Optional: unset, true or false.
    const select = element('select', { id, name }, ['', 'true', 'false'].map((value) => element('option', { value, text: value || '—' })))
    const start = initial ?? schema.default
    select.value = start === undefined ? '' : String(start)
    return { node: wrap(select), read: () => (select.value === '' ? undefined : select.value === 'true') }
  }
  if (kind === 'enum') {
    const select = element('select', { id, name }, [
      ...(required ? [] : [element('option', { value: '', text: '—' })]),
      ...schema.enum.map((value) => element('option', { value, text: value })),
    ])
    select.value = initial ?? schema.default ?? (required ? schema.enum[0] : '')
    return { node: wrap(select), read: () => (select.value === '' ? undefined : select.value) }
  }
  if (kind === 'number' || kind === 'integer') {
    const input = element('input', { id, name, type: 'number', step: kind === 'integer' ? 1 : 'any', min: schema.minimum, max: schema.maximum })
    if ((initial ?? schema.default) !== undefined) input.value = String(initial ?? schema.default)
    return { node: wrap(input), read: () => (input.value === '' ? undefined : Number(input.value)) }
  }
  if (kind === 'string') {
    const long = !schema.maxLength || schema.maxLength > 200
    const input = long ? element('textarea', { id, name, rows: 2 }) : element('input', { id, name, type: 'text' })
    input.spellcheck = false
    if (schema.maxLength) input.maxLength = schema.maxLength
    input.value = initial ?? schema.default ?? ''
    return { node: wrap(input), read: () => (input.value === '' && !required ? undefined : input.value) }
  }
  const area = element('textarea', { id, name, rows: 3, class: 'code' })
  area.spellcheck = false
  const start = initial ?? schema.default
  area.value = start === undefined ? '' : JSON.stringify(start, null, 2)
  return {
    node: wrap(area),
    read: () => {
      if (area.value.trim() === '') return undefined
      try {
        return JSON.parse(area.value)
      } catch {
        throw new Error(`${name}: not valid JSON`)
      }
    },
  }
}

function objectFields(schema, initial = {}) {
  const required = new Set(schema.required || [])
  const fields = Object.entries(schema.properties || {}).map(([name, property]) => ({ name, ...field(name, property, required.has(name), initial?.[name]) }))
  return {
    nodes: fields.map((item) => item.node),
    read() {
      const value = {}
      for (const item of fields) {
        const read = item.read()
        if (read !== undefined) value[item.name] = read
      }
      return value
    },
  }
}

/**
 * Fills `form` from `schema`; returns `read()` for the value the form holds.
 * A schema that is not an object with properties is one JSON field.
 */
export function renderSchemaForm(form, schema, initial) {
  form.replaceChildren()
  if (kindOf(schema) === 'object') {
    const fields = objectFields(schema, initial)
    if (fields.nodes.length === 0) form.append(element('p', { class: 'muted', text: 'No fields: the value is an empty object.' }))
    form.append(...fields.nodes)
    return fields.read
  }
  const single = field('value', schema || {}, true, initial)
  form.append(single.node)
  return single.read
}
