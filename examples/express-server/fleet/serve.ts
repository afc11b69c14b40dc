// Serves the fleet page: its HTML and CSS as they are, its script bundled by esbuild from page/ on the first request
// (the same esbuild tsx runs on), kept in memory for the life of the process. No build step to forget, no stale
// bundle: what the server runs and what the page runs come from the same sources.
import * as esbuild from "esbuild"
import express from "express"
import { fileURLToPath } from "node:url"

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** The page's script and its source map. */
interface Bundle {
  readonly script: string
  readonly sourceMap: string
}

const bundle = async (): Promise<Bundle> => {
  const result = await esbuild.build({
    entryPoints: [here("./page/main.ts")],
    // Resolves @mission-control/* to the workspace sources, as tsx and the typecheck do.
    tsconfig: here("../tsconfig.json"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    outfile: "fleet.js",
    write: false,
    legalComments: "none",
    logLevel: "silent",
    // The client needs none of core's server modules; what they import from Node is dropped with them.
    external: ["node:*"]
  })
  const script = result.outputFiles.find((file) => file.path.endsWith(".js"))?.text
  const sourceMap = result.outputFiles.find((file) => file.path.endsWith(".js.map"))?.text
  if (script === undefined || sourceMap === undefined) throw new Error("esbuild wrote no script")
  if (/\bfrom\s*"node:|import\(\s*"node:/.test(script)) throw new Error("the page's script imports a Node module")
  return { script, sourceMap }
}

// The page holds a bearer token: nothing but its own files may run or be fetched, and it may not be framed.
const pageHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache"
}

/** The fleet page at `/`, its files under `/fleet/`. A failed bundle answers 500 with esbuild's reason, once. */
export const fleetPage = (): express.Router => {
  let built: Promise<Bundle> | undefined
  const build = (): Promise<Bundle> => {
    built ??= bundle().catch((error: unknown) => {
      built = undefined // the next request tries again, e.g. after the sources are fixed
      throw error
    })
    return built
  }
  const sendBuilt = (part: keyof Bundle, type: string): express.RequestHandler => async (_req, res) => {
    try {
      const files = await build()
      res.set(pageHeaders).type(type).send(files[part])
    } catch (error) {
      res.status(500).type("text/plain").send(`The fleet page could not be built: ${String(error)}`)
    }
  }
  const sendFile = (path: string): express.RequestHandler => (_req, res, next) =>
    res.set(pageHeaders).sendFile(here(path), (error: unknown) => {
      if (error !== undefined && !res.headersSent) next(error)
    })
  const router = express.Router()
  router.get("/", sendFile("./index.html"))
  router.get("/fleet/fleet.css", sendFile("./fleet.css"))
  router.get("/fleet/icon.svg", sendFile("./icon.svg"))
  router.get("/fleet/fleet.js", sendBuilt("script", "text/javascript"))
  router.get("/fleet/fleet.js.map", sendBuilt("sourceMap", "application/json"))
  return router
}
