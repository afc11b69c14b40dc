/** How deep a JSON body may nest (an object in an object is depth 2): deeper bodies answer 422 `json_limits`. */
export const maxBodyDepth = 64

/** The deepest nesting of a JSON text's arrays and objects, by one scan (strings skipped), without parsing it. */
const nestingOf = (text: string): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (inString) {
      if (code === 92) index++ // a backslash escapes the next character
      else if (code === 34) inString = false
    } else if (code === 34) inString = true
    else if (code === 91 || code === 123) {
      if (++depth > deepest) deepest = depth
    } else if (code === 93 || code === 125) depth--
  }
  return deepest
}

/**
 * Where `value` nests deeper than `maxDepth`: the top-level field it is under (`[]` for a body that is not an
 * object). Walks without recursion, so any depth is safe.
 */
const fieldTooDeep = (value: unknown, maxDepth: number): ReadonlyArray<string> => {
  const pending: Array<readonly [object, number, ReadonlyArray<string>]> = []
  if (typeof value === "object" && value !== null) pending.push([value, 1, []])
  while (pending.length > 0) {
    const [current, depth, field] = pending.pop()!
    if (depth > maxDepth) return field
    const atTop = depth === 1 && !Array.isArray(current)
    for (const [key, inner] of Object.entries(current)) {
      if (typeof inner === "object" && inner !== null) pending.push([inner, depth + 1, atTop ? [key] : field])
    }
  }
  return []
}

/**
 * The field of a JSON body that nests past `maxBodyDepth`, or `undefined` when it keeps the limit (or is not JSON:
 * the API's decoder reports that). Deep bodies are refused before they are decoded: an error body quoting a value
 * nested thousands deep could not even be serialised.
 */
export const tooDeepField = (text: string): ReadonlyArray<string> | undefined => {
  if (nestingOf(text) <= maxBodyDepth) return undefined
  try {
    return fieldTooDeep(JSON.parse(text), maxBodyDepth) // V8 parses without recursion
  } catch {
    return undefined
  }
}
