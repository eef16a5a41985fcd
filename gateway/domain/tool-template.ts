/**
 * The templates of driver manifests (`model.providers.*.env|config`, `mcp.entries`):
 * JSON-like data whose strings may hold `{{name}}` placeholders.
 *
 * - A string that is exactly one placeholder takes the value as it is (a list, a map).
 * - Placeholders inside text are replaced by their (string or number) values.
 * - A string (or an object key) with a placeholder that has no value is left out, with
 *   the key or list item it belongs to: `baseURL: "{{baseUrl}}"` disappears when the
 *   provider has no base URL, rather than becoming an empty or a wrong value.
 */
export type TemplateValues = Readonly<Record<string, unknown>>;

const WHOLE = /^\{\{([A-Za-z][A-Za-z0-9]*)\}\}$/;
const PLACEHOLDER = /\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g;
const LEFT_OUT = Symbol('left out');

/** The template filled with `values`; undefined when the whole of it is left out. */
export function fillTemplate(template: unknown, values: TemplateValues): unknown {
  const filled = fill(template, values);
  return filled === LEFT_OUT ? undefined : filled;
}

function fill(template: unknown, values: TemplateValues): unknown {
  if (typeof template === 'string') return fillString(template, values);
  if (Array.isArray(template)) return template.map((item) => fill(item, values)).filter((item) => item !== LEFT_OUT);
  if (isPlainObject(template)) {
    const out: Record<string, unknown> = {};
    for (const [rawKey, rawValue] of Object.entries(template)) {
      const key = fillString(rawKey, values);
      const value = fill(rawValue, values);
      if (typeof key === 'string' && value !== LEFT_OUT) out[key] = value;
    }
    return out;
  }
  return template;
}

function fillString(text: string, values: TemplateValues): unknown {
  const whole = WHOLE.exec(text);
  if (whole) return values[whole[1]!] ?? LEFT_OUT;
  let missing = false;
  const out = text.replace(PLACEHOLDER, (_all, name: string) => {
    const value = values[name];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    missing = true;
    return '';
  });
  return missing ? LEFT_OUT : out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
