import { Effect, Layer } from "effect"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { make, TemplateError, TemplateRenderer } from "../services/TemplateRenderer.js"

/** Reads every `*.md` file of a directory as a template override (file name = template name). */
export const readTemplateDirectory = (directory: string): Effect.Effect<Record<string, string>, TemplateError> =>
  Effect.tryPromise({
    try: async () => {
      const names = (await readdir(directory)).filter((name) => name.endsWith(".md"))
      const entries = await Promise.all(
        names.map(async (name) => [name, await readFile(join(directory, name), "utf8")] as const)
      )
      return Object.fromEntries(entries)
    },
    catch: (cause) =>
      new TemplateError({ template: directory, message: cause instanceof Error ? cause.message : String(cause) })
  })

/** The built-in templates, overridden by the `*.md` files of `directory` (read once, when the layer is built). */
export const layerFromDirectory = (directory: string): Layer.Layer<TemplateRenderer, TemplateError> =>
  Layer.effect(TemplateRenderer, Effect.map(readTemplateDirectory(directory), make))
