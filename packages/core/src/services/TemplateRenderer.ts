import { Context, Effect, Layer, Schema } from "effect"
import { Liquid } from "liquidjs"
import { defaultTemplates } from "../templates/defaults.js"

/** Variables a workspace template sees; every value is a string. */
export type TemplateContext = Readonly<Record<string, string>>

/** A template is missing or failed to render. */
export class TemplateError extends Schema.TaggedError<TemplateError>()("TemplateError", {
  template: Schema.String,
  message: Schema.String
}) {}

/** Renders workspace templates. Rendered output is trimmed. */
export class TemplateRenderer extends Context.Service<TemplateRenderer, {
  /** Renders the template of this name (e.g. `HEARTBEAT_LEAD.md`). */
  readonly render: (name: string, context: TemplateContext) => Effect.Effect<string, TemplateError>
  /** Renders template source given inline (an agent's identity or soul override). */
  readonly renderText: (label: string, source: string, context: TemplateContext) => Effect.Effect<string, TemplateError>
}>()("@mission-control/core/TemplateRenderer") {}

/**
 * Liquid rendering with the built-in templates, any of which `overrides` replaces by name. Liquid runs no host code:
 * templates, including the per-agent overrides users type in, can only read the variables they are given.
 */
export const make = (overrides: Readonly<Record<string, string>> = {}): TemplateRenderer["Service"] => {
  const templates = { ...defaultTemplates, ...overrides }
  const engine = new Liquid({
    templates,
    strictVariables: true,
    strictFilters: true,
    lenientIf: true,
    ownPropertyOnly: true,
    greedy: false,
    // Each template parsed once: a sync renders the same dozen for every agent, and parsing was half of rendering.
    cache: true
  })
  // Inline sources (identity and soul overrides) parsed once each too, the most recent few hundred kept.
  const parsedTexts = new Map<string, ReturnType<Liquid["parse"]>>()
  const parsedText = (source: string) => {
    let parsed = parsedTexts.get(source)
    if (parsed === undefined) {
      parsed = engine.parse(source)
      if (parsedTexts.size >= 256) parsedTexts.delete(parsedTexts.keys().next().value!)
    } else {
      parsedTexts.delete(source)
    }
    parsedTexts.set(source, parsed)
    return parsed
  }
  const failure = (template: string) => (cause: unknown) =>
    new TemplateError({ template, message: cause instanceof Error ? cause.message : String(cause) })
  return {
    render: (name, context) =>
      name in templates
        ? Effect.tryPromise({ try: () => engine.renderFile(name, context), catch: failure(name) }).pipe(
          Effect.map((text: string) => text.trim())
        )
        : Effect.fail(new TemplateError({ template: name, message: `Missing template file: ${name}` })),
    renderText: (label, source, context) =>
      Effect.tryPromise({ try: () => engine.render(parsedText(source), context), catch: failure(label) }).pipe(
        Effect.map((text: string) => text.trim())
      )
  }
}

/** The built-in templates. */
export const layer = Layer.succeed(TemplateRenderer, make())

/** The built-in templates with some replaced by name. */
export const layerWithOverrides = (overrides: Readonly<Record<string, string>>) =>
  Layer.succeed(TemplateRenderer, make(overrides))
