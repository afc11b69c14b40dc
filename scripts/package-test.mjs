#!/usr/bin/env node
// pnpm test:package: the packages as a user gets them. Builds and packs every package, installs the tarballs with npm
// into a fresh project together with today's `effect` and `express`, and checks that:
// - npm reports no peer conflict;
// - every `.cjs` file in every `dist` parses (`node --check`);
// - every entry point and subpath loads with `import` and with `require`;
// - `attw --profile node16` finds no problem in any tarball;
// - a strict `tsc` in the host (ESM and CommonJS files, `skipLibCheck: false`) passes on our published types alone.
// Prints one line per check and `N passed, N failed` at the end; exits non-zero when a check failed.
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const packageDirs = ["core", "gateway-rpc", "adapter-pg", "adapter-express"].map((name) => join(root, "packages", name))
const results = []
const check = (name, ok, detail = "") => {
  results.push(ok)
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || detail === "" ? "" : `\n${detail.trimEnd()}`}`)
}
const run = (command, args, options = {}) =>
  spawnSync(command, args, { encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024, ...options })
const output = (result) => `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`

const work = mkdtempSync(join(tmpdir(), "mc-package-test-"))
const host = join(work, "host")
try {
  const build = run("npx", ["--yes", "pnpm@10", "build"], { cwd: root })
  check("pnpm build", build.status === 0, output(build))
  if (build.status !== 0) throw new Error("build failed")

  const tarballs = []
  for (const dir of packageDirs) {
    const packed = run("npx", ["--yes", "pnpm@10", "pack", "--pack-destination", work], { cwd: dir })
    const name = readdirSync(work).find((file) => file.endsWith(".tgz") && !tarballs.includes(join(work, file)))
    check(`pack ${relative(root, dir)}`, packed.status === 0 && name !== undefined, output(packed))
    if (name !== undefined) tarballs.push(join(work, name))
  }

  for (const tarball of tarballs) {
    const attw = run(join(root, "node_modules", ".bin", "attw"), ["--profile", "node16", "--format", "ascii", tarball])
    check(`attw --profile node16 ${relative(work, tarball)}`, attw.status === 0, output(attw))
  }

  // A user's project: the tarballs and the latest `effect` and `express` from the registry, as npm resolves them.
  const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
  mkdirSync(host)
  writeFileSync(join(host, "package.json"), JSON.stringify({ name: "mc-host", private: true, version: "0.0.0" }))
  const install = run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--loglevel=warn",
    ...tarballs,
    "effect@latest",
    "express@latest",
    `typescript@${rootManifest.devDependencies.typescript}`,
    "@types/node@20"
  ], { cwd: host })
  const installLog = output(install)
  check("npm install of the tarballs with effect and express", install.status === 0, installLog)
  check("no peer dependency conflict", !/ERESOLVE|peer dep|conflicting peer|invalid peer/i.test(installLog), installLog)
  if (install.status !== 0) throw new Error("install failed")

  const installed = (name) => join(host, "node_modules", "@mission-control", name)
  for (const dir of packageDirs) {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
    const cjsFiles = walk(join(installed(manifest.name.split("/")[1]), "dist")).filter((file) => file.endsWith(".cjs"))
    const broken = cjsFiles.map((file) => [file, run(process.execPath, ["--check", file])]).filter(([, r]) => r.status !== 0)
    check(
      `node --check ${manifest.name} (${cjsFiles.length} .cjs files)`,
      cjsFiles.length > 0 && broken.length === 0,
      broken.map(([file, r]) => `${file}\n${output(r)}`).join("\n")
    )
    for (const subpath of Object.keys(manifest.exports).filter((key) => key !== "./package.json")) {
      const specifier = subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`
      const esm = run(process.execPath, [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(specifier)}); if (Object.keys(m).length === 0) throw new Error("no exports")`
      ], { cwd: host })
      check(`import ${specifier}`, esm.status === 0, output(esm))
      // From a file, as a CommonJS user requires it (`node -e` has no file URL, which some ESM dependencies need).
      const requirer = join(host, "require-check.cjs")
      writeFileSync(
        requirer,
        `const m = require(${JSON.stringify(specifier)}); if (Object.keys(m).length === 0) throw new Error("no exports")`
      )
      const cjs = run(process.execPath, [requirer], { cwd: host })
      check(`require ${specifier}`, cjs.status === 0, output(cjs))
    }
  }

  // Strict TypeScript in the host, reading only what npm installed (our .d.ts/.d.cts and their declared deps).
  const usage = `
import { Effect, Layer, Schema } from "effect"
import express from "express"
import { Actor, AgentCreate, createAgent, httpStatus, type CoreError } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as PgAdapter from "@mission-control/adapter-pg"
import * as PgTesting from "@mission-control/adapter-pg/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import * as GatewaySimulator from "@mission-control/gateway-rpc/testing"
import * as ExpressAdapter from "@mission-control/adapter-express"
import { makeClient, NotFoundResponse, openApiDocument } from "@mission-control/core/http"
import { FetchHttpClient } from "effect/http"

const status = (error: CoreError): number => httpStatus[error._tag]
const program = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  return yield* createAgent(Actor.user(world.owner), Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Host" }))
})
const layer = TestKit.layer().pipe(Layer.orDie)
// The typed client: its calls answer the wire shapes and fail with the error bodies.
const client = Effect.gen(function*() {
  const api = yield* makeClient("http://127.0.0.1:8000")
  const agent = yield* api.agents.create({ payload: { name: "Client", board_id: null } })
  const missing = yield* api.agents.get({ params: { agent_id: agent.id } }).pipe(Effect.flip)
  return missing instanceof NotFoundResponse ? missing.detail : agent.is_board_lead
}).pipe(Effect.provide(FetchHttpClient.layer))
const handler = ExpressAdapter.createMissionControlHandler({ layer, authenticateUser: () => undefined })
export const used = [status, program, layer, express, PgAdapter, PgTesting, GatewayRpc, GatewaySimulator, ExpressAdapter, client, handler, openApiDocument]
`
  writeFileSync(join(host, "esm.mts"), usage)
  writeFileSync(join(host, "cjs.cts"), usage)
  writeFileSync(
    join(host, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        // node20: CommonJS may require() ES modules (as Node does from 20.19 on); effect 4 is ESM-only.
        module: "node20",
        moduleResolution: "node16",
        target: "ES2022",
        // No `types` list: every installed @types package is visible, as in a default tsconfig. (PGlite's
        // declarations use the Emscripten globals of @types/emscripten without referencing them.)
        esModuleInterop: true,
        skipLibCheck: false,
        noEmit: true
      },
      files: ["esm.mts", "cjs.cts"]
    })
  )
  const tsc = run(process.execPath, [join(host, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
    cwd: host
  })
  check("strict tsc in the host (ESM and CJS)", tsc.status === 0, output(tsc))
} catch (error) {
  check("package test ran to the end", false, String(error))
} finally {
  rmSync(work, { recursive: true, force: true })
}

const passed = results.filter(Boolean).length
console.log(`${passed} passed, ${results.length - passed} failed`)
process.exit(results.every(Boolean) ? 0 : 1)

function walk(dir) {
  let files = []
  try {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry)
      files = statSync(path).isDirectory() ? files.concat(walk(path)) : files.concat(path)
    }
  } catch {
    return files
  }
  return files
}
