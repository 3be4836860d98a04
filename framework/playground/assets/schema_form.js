// A form generated from a JSON Schema (what zod's toJSONSchema produces for an
// agent's input or an interrupt's resume value). Objects become fieldsets,
// strings text fields, numbers number fields, booleans checkboxes, enums
// selects, lists of strings, numbers or enums one item per line; a nullable
// field has a "null" switch; anything else gets a small JSON field of its own.

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

const PRIMITIVES = ['string', 'number', 'integer', 'boolean']

/** The schema without its `null` alternative, and whether null is allowed (`type: [t, 'null']` or `anyOf: [s, { type: 'null' }]`). */
function withoutNull(schema) {
  if (!schema || typeof schema !== 'object') return { schema, nullable: false }
  if (Array.isArray(schema.type) && schema.type.includes('null')) {
    const rest = schema.type.filter((item) => item !== 'null')
    return { schema: { ...schema, type: rest.length === 1 ? rest[0] : rest }, nullable: true }
  }
  const options = schema.anyOf || schema.oneOf
  if (Array.isArray(options) && options.length === 2) {
    const other = options.find((option) => !(option && option.type === 'null'))
    if (other && options.some((option) => option && option.type === 'null')) {
      const { anyOf: _anyOf, oneOf: _oneOf, ...own } = schema
      return { schema: { ...own, ...other }, nullable: true }
    }
  }
  return { schema, nullable: false }
}

function kindOf(schema) {
  if (!schema || typeof schema !== 'object') return 'json'
  if (Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === 'string')) return 'enum'
  if (schema.const !== undefined) return 'const'
  const type = Array.isArray(schema.type) ? undefined : schema.type
  if (type === 'object' && schema.properties) return 'object'
  if (type === 'array' && schema.items && ['string', 'number', 'integer', 'enum'].includes(kindOf(schema.items))) return 'list'
  if (PRIMITIVES.includes(type)) return type
  return 'json'
}

/** One field: returns its element and a `read()` giving the value (undefined when left empty). */
function field(name, fullSchema, required, initial) {
  const { schema, nullable } = withoutNull(fullSchema)
  const inner = control(name, schema, required, nullable && initial === null ? undefined : initial)
  if (!nullable) return inner
  // Nullable: a switch sends null instead of the field's value.
  const toggle = element('input', { type: 'checkbox', class: 'null-toggle', 'aria-label': `${name} is null`, 'data-null-for': name })
  toggle.checked = initial === null || (initial === undefined && schema.default === null)
  const set = element('fieldset', { class: 'nullable' }, [element('legend', {}, [toggle, ' null']), inner.node])
  const sync = () => {
    inner.node.toggleAttribute('inert', toggle.checked)
    inner.node.classList.toggle('excluded', toggle.checked)
  }
  toggle.addEventListener('change', sync)
  sync()
  return { node: set, read: () => (toggle.checked ? null : inner.read()) }
}

function control(name, schema, required, initial) {
  const id = `field-${++counter}`
  const kind = kindOf(schema)
  const label = element('label', { for: id, text: schema.title || name })
  if (required) label.append(element('span', { class: 'required', text: ' *' }))
  const hint = (text) => (text ? element('small', { class: 'muted', text }) : undefined)
  const wrap = (input, extra) => element('div', { class: `field field-${kind}` }, [label, input, ...[hint(extra), hint(schema.description)].filter(Boolean)])

  if (kind === 'object') {
    const start = initial ?? schema.default
    const nested = objectFields(schema, start)
    const legend = element('legend', { text: schema.title || name })
    const set = element('fieldset', { 'data-object': name }, [legend, ...[hint(schema.description)].filter(Boolean), ...nested.nodes])
    if (required) return { node: set, read: nested.read }
    // An optional object is left out unless asked for: its own required fields would otherwise always be sent.
    // A disabled fieldset disables everything in it but its legend, nested objects keeping their own switch.
    const include = element('input', { type: 'checkbox', 'aria-label': `Include ${name}`, 'data-include': name })
    include.checked = start !== undefined
    const sync = () => {
      set.classList.toggle('excluded', !include.checked)
      set.disabled = !include.checked
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
    const row = element('div', { class: 'field field-boolean' }, [input, label, ...[hint(schema.description)].filter(Boolean)])
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
  if (kind === 'list') {
    // A list of strings, numbers or enum values: one item per line.
    const itemKind = kindOf(schema.items)
    const area = element('textarea', { id, name, rows: 3, 'data-list': itemKind })
    area.spellcheck = false
    const start = initial ?? schema.default
    area.value = Array.isArray(start) ? start.join('\n') : ''
    const allowed = itemKind === 'enum' ? ` (${schema.items.enum.join(', ')})` : ''
    return {
      node: wrap(area, `One ${itemKind === 'string' ? 'item' : itemKind === 'enum' ? 'value' : 'number'} per line${allowed}; empty lines are skipped.`),
      read: () => {
        const lines = area.value.split('\n').map((line) => (itemKind === 'string' ? line : line.trim())).filter((line) => line.trim() !== '')
        // A required list is sent even when empty.
        if (lines.length === 0) return required ? [] : undefined
        return lines.map((line, index) => {
          if (itemKind === 'enum' && !schema.items.enum.includes(line)) throw new Error(`${name}, line ${index + 1}: expected one of ${schema.items.enum.join(', ')}`)
          if (itemKind !== 'number' && itemKind !== 'integer') return line
          const number = Number(line)
          if (!Number.isFinite(number) || (itemKind === 'integer' && !Number.isInteger(number))) throw new Error(`${name}, line ${index + 1}: "${line}" is not ${itemKind === 'integer' ? 'an integer' : 'a number'}`)
          return number
        })
      },
    }
  }
  const expected = schema.type === 'array' ? 'array' : schema.type === 'object' ? 'object' : undefined
  const area = element('textarea', { id, name, rows: 3, class: 'code', 'data-json': expected || 'any' })
  area.spellcheck = false
  const start = initial ?? schema.default
  area.value = start === undefined ? '' : JSON.stringify(start, null, 2)
  const example = expected === 'array' ? 'a JSON array, e.g. [{ ... }]' : expected === 'object' ? 'a JSON object, e.g. { "key": "value" }' : 'any JSON value'
  return {
    node: wrap(area, `Expects ${example}.`),
    read: () => {
      if (area.value.trim() === '') return required && expected === 'array' ? [] : undefined
      let value
      try {
        value = JSON.parse(area.value)
      } catch {
        throw new Error(`${name}: not valid JSON`)
      }
      if (expected === 'array' && !Array.isArray(value)) throw new Error(`${name}: expected a JSON array`)
      if (expected === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value))) throw new Error(`${name}: expected a JSON object`)
      return value
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
 * Fills `form` from `schema`; returns `read()` for the value the form holds
 * (it throws an Error naming the field when a value cannot be read).
 * A schema that is not an object with properties is one field of its own.
 */
export function renderSchemaForm(form, schema, initial) {
  form.replaceChildren()
  if (kindOf(schema) === 'object') {
    const fields = objectFields(schema, initial ?? schema.default)
    if (fields.nodes.length === 0) form.append(element('p', { class: 'muted', text: 'No fields: the value is an empty object.' }))
    form.append(...fields.nodes)
    return fields.read
  }
  const single = field('value', schema || {}, true, initial)
  form.append(single.node)
  return single.read
}
