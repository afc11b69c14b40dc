import type { Options } from "tsup"

/** The build of every package: ESM and CJS with types, one shared chunk per class so `.` and `./testing` agree. */
export const packageConfig = (entry: Record<string, string>): Options => ({
  entry,
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // CJS too, so every entry point shares one copy of every class
  splitting: true,
  // ./tsconfig.json with "composite": false: tsup's dts step rejects composite
  tsconfig: "tsconfig.build.json"
})
